// What a hostile listing may put into cursor keys and ledger keys: Tron transaction ids and TON
// hashes are checked for their form, a Tron id is lowercased (the ledger's key is
// case-sensitive), a block timestamp ahead of now is refused, and the cursor refuses a key that
// would forge its stored state.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "adapters/position_cursor.h"
#include "adapters/ton_adapter.h"
#include "adapters/tron_adapter.h"

namespace instamarket {
namespace {

constexpr char kOurs[] = "TM1zzNDZD2DPASbKcgdVoTYhfmYgtfwx9D";

nlohmann::json Fixture(const std::string& name) {
  std::ifstream in(std::string(INSTAMARKET_SOURCE_DIR) + "/tests/fixtures/chains/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

NetworkConfig Tron() {
  NetworkConfig n;
  n.id = "usdt_trc_20";
  n.kind = "tron";
  n.token = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";
  n.address = kOurs;
  n.decimals = 6;
  return n;
}

// The recording's first confirmed record to us.
std::size_t FirstOurs(const nlohmann::json& page) {
  for (std::size_t i = 0; i < page["data"].size(); ++i) {
    const auto& r = page["data"][i];
    if (r["to"] == kOurs && r.value("_unconfirmed", false) == false) return i;
  }
  return 0;
}

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(FeedKeyValidation, ATronIdInCapitalsIsTheSameDeposit) {
  auto body = Fixture("tron-trc20-transfers-blockatlas.json");
  const std::size_t i = FirstOurs(body);
  const std::string id = body["data"][i]["transaction_id"];
  auto plain = ParseTronPage(body, Tron());
  body["data"][i]["transaction_id"] = Upper(id);
  auto shouted = ParseTronPage(body, Tron());
  ASSERT_TRUE(plain.ok() && shouted.ok());
  ASSERT_EQ(plain->records.size(), shouted->records.size());
  bool found = false;
  for (std::size_t r = 0; r < plain->records.size(); ++r) {
    EXPECT_EQ(shouted->records[r].key, plain->records[r].key);
    if (!shouted->records[r].transfer || shouted->records[r].transfer->amount.raw !=
                                             body["data"][i]["value"].get<std::string>())
      continue;
    EXPECT_EQ(shouted->records[r].transfer->tx_id, id);
    found = true;
  }
  EXPECT_TRUE(found);
}

TEST(FeedKeyValidation, ATronIdThatIsNot64HexDigitsIsGarbage) {
  for (const std::string& bad : {std::string("a ^@9999999999999 b"), std::string(63, 'a'),
                                std::string(65, 'a'), std::string(63, 'a') + "g",
                                std::string("x@1"), std::string("")}) {
    auto body = Fixture("tron-trc20-transfers-blockatlas.json");
    body["data"][0]["transaction_id"] = bad;  // a record not ours
    auto page = ParseTronPage(body, Tron());
    ASSERT_FALSE(page.ok()) << bad;
    EXPECT_EQ(page.error().code, ErrorCode::kUnavailable);
  }
}

TEST(FeedKeyValidation, ATronTimestampAheadOfNowIsGarbage) {
  auto body = Fixture("tron-trc20-transfers-blockatlas.json");
  body["data"][0]["block_timestamp"] = NowMs() + 59 * 60'000;  // not ours: it would move the cursor
  EXPECT_FALSE(ParseTronPage(body, Tron()).ok());
  body["data"][0]["block_timestamp"] = NowMs() + 60'000;
  EXPECT_FALSE(ParseTronPage(body, Tron()).ok());
  body["data"][0]["block_timestamp"] = NowMs() - 60'000;  // a solidified record's age
  EXPECT_TRUE(ParseTronPage(body, Tron()).ok());
}

TEST(FeedKeyValidation, ATonHashThatIsNotAHashIsGarbage) {
  NetworkConfig ton;
  ton.id = "usdt_ton";
  ton.kind = "ton";
  ton.decimals = 6;
  auto body = Fixture("ton-jetton-transfers.json");
  ASSERT_TRUE(ParseTonTransfers(body, ton).ok());
  body["jetton_transfers"][0]["transaction_hash"] = std::string(64, 'a');  // hex is a hash too
  EXPECT_TRUE(ParseTonTransfers(body, ton).ok());
  for (const std::string& bad :
       {std::string("a ^@9999999999999999 b"), std::string(43, 'A') + "@",
        std::string(44, 'A'), std::string(63, 'a') + " ", std::string("")}) {
    body["jetton_transfers"][0]["transaction_hash"] = bad;
    EXPECT_FALSE(ParseTonTransfers(body, ton).ok()) << bad;
  }
}

TEST(FeedKeyValidation, TheCursorRefusesKeysThatWouldForgeItsState) {
  PositionCursor cursor(PositionCursor::Starting(1000), 100);
  for (const std::string& bad : {std::string("a ^@9999999999999 b"), std::string("a\tb"),
                                std::string("x@5"), std::string("^"), std::string("")}) {
    auto taken = cursor.Take(1000, bad);
    ASSERT_FALSE(taken.ok()) << bad;
    EXPECT_EQ(taken.error().code, ErrorCode::kUnavailable);
  }
  ASSERT_TRUE(cursor.Take(1000, "good:1").ok());
  ChainCursor stored = cursor.ToChainCursor();
  EXPECT_EQ(stored.state, "^@1000 good:1@1000");  // nothing forged
  EXPECT_EQ(PositionCursor(stored, 100).QueryFrom(), 1000);
}

TEST(FeedKeyValidation, OnlyTheMarksOwnEntrySaysTheTronCursorHoldsTheWholeWindow) {
  EXPECT_TRUE(TronCursorHoldsWholeWindow(ChainCursor{5000, "k:1@4990 ~window180@5000"}));
  EXPECT_FALSE(TronCursorHoldsWholeWindow(ChainCursor{5000, "k:1@4990"}));
  EXPECT_FALSE(TronCursorHoldsWholeWindow(ChainCursor{5000, "x~window180@5000"}));
  EXPECT_FALSE(TronCursorHoldsWholeWindow(ChainCursor{5000, "~window180x@5000"}));
}

}  // namespace
}  // namespace instamarket
