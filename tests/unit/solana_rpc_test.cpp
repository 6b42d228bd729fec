// Reading a Solana JSON-RPC batch reply: one node's answers to every call, or none.
#include "adapters/solana_rpc.h"

#include <gtest/gtest.h>

#include <limits>

namespace instamarket {
namespace {

nlohmann::json Answer(int id, nlohmann::json result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

TEST(SolanaBatchReply, ResultsInRequestOrderWhateverTheReplyOrder) {
  auto read = ReadBatchReply({Answer(8, nlohmann::json::array()), Answer(7, 184930610)}, 7, 2);
  ASSERT_TRUE(read.ok()) << read.error().message;
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ((*read)[0], 184930610);
  EXPECT_EQ((*read)[1], nlohmann::json::array());
  // A null result is a result (no such signature), not a missing answer.
  EXPECT_TRUE(ReadBatchReply({Answer(1, nullptr), Answer(2, 0)}, 1, 2).ok());
}

TEST(SolanaBatchReply, AnythingButOneAnswerPerCallIsUnavailable) {
  auto min_context = nlohmann::json{
      {"jsonrpc", "2.0"},
      {"id", 2},
      {"error", {{"code", -32016}, {"message", "Minimum context slot has not been reached"}}}};
  for (const auto& reply : {
           nlohmann::json{Answer(1, 5)},                   // one missing
           nlohmann::json{Answer(1, 5), Answer(1, 6)},     // twice to one, none to the other
           nlohmann::json{Answer(1, 5), Answer(3, 6)},     // to no call of the batch
           nlohmann::json{Answer(1, 5), {{"result", 6}}},  // without id
           nlohmann::json{Answer(1, 5), min_context},      // an error in one
           nlohmann::json{{"jsonrpc", "2.0"},
                          {"id", nullptr},  // the batch refused
                          {"error", {{"code", -32600}, {"message", "batch too large"}}}},
           Answer(1, 5),  // one result for a batch
           nlohmann::json("garbage"),
       }) {
    auto read = ReadBatchReply(reply, 1, 2);
    EXPECT_FALSE(read.ok()) << reply.dump();
    if (!read.ok()) {
      EXPECT_EQ(read.error().code, ErrorCode::kUnavailable) << reply.dump();
    }
  }
}

TEST(SolanaBatchReply, AnIdFarOutsideTheBatchIsUnavailableWithoutOverflow) {
  // id - first_id would overflow for these (undefined behaviour): the range is checked first.
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  for (std::int64_t id : {kMin, kMin + 1, kMax}) {
    nlohmann::json far = {{"jsonrpc", "2.0"}, {"id", id}, {"result", 6}};
    auto read = ReadBatchReply({Answer(7, 5), far}, 7, 2);
    ASSERT_FALSE(read.ok()) << id;
    EXPECT_EQ(read.error().code, ErrorCode::kUnavailable) << id;
  }
  // And with a batch whose first id is negative-far too (ids are ours, but the check holds).
  nlohmann::json top = {{"jsonrpc", "2.0"}, {"id", kMax}, {"result", 6}};
  EXPECT_FALSE(ReadBatchReply({top}, kMin + 1, 1).ok());
}

}  // namespace
}  // namespace instamarket
