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

TEST(EvmLogTest, AMissingFieldIsUnavailableNotUndefined) {
  // Each of these was read with nlohmann's const operator[]: undefined behaviour when absent.
  for (const char* field : {"transactionHash", "blockHash", "data", "logIndex", "blockNumber"}) {
    auto log = TransferLog();
    log.erase(field);
    auto t = ParseEvmTransferLog(log, Bsc(), 0, 1'000'000'000);
    ASSERT_FALSE(t.ok()) << field;
    EXPECT_EQ(t.error().code, ErrorCode::kUnavailable) << field;
  }
  for (const char* field : {"topics", "address"}) {  // not a Transfer of our token: skipped
    auto log = TransferLog();
    log.erase(field);
    auto t = ParseEvmTransferLog(log, Bsc(), 0, 1'000'000'000);
    ASSERT_TRUE(t.ok()) << field;
    EXPECT_FALSE(t->has_value()) << field;
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
