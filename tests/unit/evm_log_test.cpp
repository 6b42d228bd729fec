// The EVM adapter's reader of eth_getLogs entries on malformed node replies (what
// tests/fuzz/fuzz_evm_response found).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "adapters/evm_adapter.h"

namespace instamarket {
namespace {

constexpr char kToken[] = "0x55d398326f99059ff775485246999027b3197955";
constexpr char kOurs[] = "0x8894e0a0c962cb723c1976a4421c95949be2d4e3";

NetworkConfig Bsc() {
  NetworkConfig n;
  n.id = "usdt_bep_20";
  n.kind = "evm";
  n.token = kToken;
  n.address = kOurs;
  n.decimals = 18;
  return n;
}

nlohmann::json TransferLog() {
  return {{"address", kToken},
          {"topics",
           {"0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
            "0x0000000000000000000000003c783c21a0383057d128bae431894a5c19f9cf06",
            std::string("0x000000000000000000000000") + (kOurs + 2)}},
          {"data", "0x0000000000000000000000000000000000000000000000056bc75e2d63100000"},
          {"blockNumber", "0x2160ec0"},
          {"transactionHash", "0x" + std::string(64, 'a')},
          {"blockHash", "0x" + std::string(64, 'b')},
          {"logIndex", "0x1f"},
          {"removed", false}};
}

TEST(EvmLogTest, ReadsATransferToUs) {
  auto t = ParseEvmTransferLog(TransferLog(), Bsc(), 0, 1'000'000'000);
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_TRUE(t->has_value());
  EXPECT_EQ((*t)->amount.raw, "100000000000000000000");
  EXPECT_EQ((*t)->event_index, 31);
  EXPECT_EQ((*t)->block_number, 0x2160ec0);
}

constexpr const char* kOwedFields[] = {"address",   "topics",      "data",    "transactionHash",
                                       "blockHash", "blockNumber", "logIndex"};

TEST(EvmLogTest, ALogMissingAnyFieldIsRefusedNotSkipped) {
  // Read with nlohmann's const operator[] once (undefined behaviour when absent); then a log
  // without address or topics was skipped as "not ours", so a node could hide a deposit by
  // dropping a field. Refused (kUnavailable), the range is asked again.
  for (const char* field : kOwedFields) {
    auto log = TransferLog();
    log.erase(field);
    auto t = ParseEvmTransferLog(log, Bsc(), 0, 1'000'000'000);
    ASSERT_FALSE(t.ok()) << field;
    EXPECT_EQ(t.error().code, ErrorCode::kUnavailable) << field;
  }
}

TEST(EvmLogTest, ALogWithAnyFieldOfTheWrongTypeIsRefused) {
  const nlohmann::json wrong[] = {
      nullptr, 7, 1.5, true, nlohmann::json::object(), nlohmann::json::array(), "0xzz", ""};
  for (const char* field : kOwedFields) {
    for (const auto& value : wrong) {
      auto log = TransferLog();
      log[field] = value;
      auto t = ParseEvmTransferLog(log, Bsc(), 0, 1'000'000'000);
      ASSERT_FALSE(t.ok()) << field << " = " << value.dump();
      EXPECT_EQ(t.error().code, ErrorCode::kUnavailable) << field << " = " << value.dump();
    }
  }
  // Inside topics, too: a sender or receiver that is not 32 bytes of hex.
  for (int i : {1, 2}) {
    for (const nlohmann::json& value : {nlohmann::json(5), nlohmann::json("0x1234"),
                                        nlohmann::json("0x" + std::string(64, 'g'))}) {
      auto log = TransferLog();
      log["topics"][i] = value;
      EXPECT_FALSE(ParseEvmTransferLog(log, Bsc(), 0, 1'000'000'000).ok()) << i << value.dump();
    }
  }
}

TEST(EvmLogTest, AnotherTokenEventOrReceiverIsSkipped) {
  auto other_token = TransferLog();
  other_token["address"] = "0x" + std::string(40, '1');
  auto approval = TransferLog();
  approval["topics"][0] = "0x8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925";
  auto elsewhere = TransferLog();
  elsewhere["topics"][2] = "0x" + std::string(64, '2');
  for (const auto& log : {other_token, approval, elsewhere}) {
    auto t = ParseEvmTransferLog(log, Bsc(), 0, 1'000'000'000);
    ASSERT_TRUE(t.ok()) << log.dump();
    EXPECT_FALSE(t->has_value()) << log.dump();
  }
}

TEST(EvmLogTest, AZeroValueTransferIsNeverADeposit) {
  auto log = TransferLog();
  log["data"] = "0x" + std::string(64, '0');
  auto t = ParseEvmTransferLog(log, Bsc(), 0, 1'000'000'000);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_FALSE(t->has_value());
}

TEST(EvmLogTest, AMintFromTheZeroAddressIsADeposit) {
  // USD₮0 on Arbitrum: the bridge mints to the receiver, Transfer(0x0, master, value).
  auto log = TransferLog();
  log["topics"][1] = "0x" + std::string(64, '0');
  auto t = ParseEvmTransferLog(log, Bsc(), 0, 1'000'000'000);
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_TRUE(t->has_value());
  EXPECT_EQ((*t)->from, "0x" + std::string(40, '0'));
  EXPECT_EQ((*t)->amount.raw, "100000000000000000000");
}

TEST(EvmLogTest, DecimalsReplyIsOneWord) {
  auto six = ParseEvmDecimalsReply("0x" + std::string(63, '0') + "6");
  ASSERT_TRUE(six.ok());
  EXPECT_EQ(*six, "6");
  auto eighteen = ParseEvmDecimalsReply("0x" + std::string(62, '0') + "12");
  ASSERT_TRUE(eighteen.ok());
  EXPECT_EQ(*eighteen, "18");
  for (const nlohmann::json& bad :
       {nlohmann::json("0x"), nlohmann::json("0x6"), nlohmann::json(6), nlohmann::json(nullptr),
        nlohmann::json("0x" + std::string(64, 'z'))}) {
    auto r = ParseEvmDecimalsReply(bad);
    ASSERT_FALSE(r.ok()) << bad.dump();
    EXPECT_EQ(r.error().code, ErrorCode::kUnavailable) << bad.dump();
  }
}

TEST(EvmLogTest, ANonBooleanRemovedDoesNotThrow) {
  auto log = TransferLog();
  log["removed"] = "yes";  // json::value("removed", false) threw type_error here
  auto t = ParseEvmTransferLog(log, Bsc(), 0, 1'000'000'000);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->has_value());  // only `true` means removed
  log["removed"] = true;
  t = ParseEvmTransferLog(log, Bsc(), 0, 1'000'000'000);
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->has_value());
}

}  // namespace
}  // namespace instamarket
