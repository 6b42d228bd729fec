// What TON transfers are never credited, by the indexer's flags (ParseTonTransfers), on the real
// recorded answer (tests/fixtures/chains/ton-jetton-transfers.json, an older shape without
// transaction_aborted) and on variations of it.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "adapters/ton_adapter.h"

namespace instamarket {
namespace {

nlohmann::json Recorded() {
  std::ifstream in(std::string(INSTAMARKET_SOURCE_DIR) +
                   "/tests/fixtures/chains/ton-jetton-transfers.json");
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

NetworkConfig Network() {
  NetworkConfig n;
  n.id = "usdt_ton";
  n.kind = "ton";
  n.token = "0:b113a994b5024a16719f69139328eb759596c38a25f59028b146fecdc3621dfe";
  n.address = "0:169c9367c01c8b4e1471962db32e99e3e4473aafb47e1a6a643a4177a6758f16";
  n.decimals = 6;
  return n;
}

std::size_t Credited(const nlohmann::json& page) {
  auto records = ParseTonTransfers(page, Network());
  EXPECT_TRUE(records.ok()) << records.error().message;
  std::size_t n = 0;
  for (const auto& r : *records) n += r.transfer.has_value();
  return n;
}

TEST(TonTransferFlags, TheRecordedAnswerWithoutTheFlagIsCredited) {
  EXPECT_EQ(Credited(Recorded()), 2u);
}

TEST(TonTransferFlags, AbortedAndBouncedTransfersAreNot) {
  auto page = Recorded();
  page["jetton_transfers"][0]["transaction_aborted"] = true;
  page["jetton_transfers"][1]["transaction_aborted"] = false;
  EXPECT_EQ(Credited(page), 1u);
  page["jetton_transfers"][1]["bounced"] = true;
  EXPECT_EQ(Credited(page), 0u);
  page["jetton_transfers"][0]["transaction_aborted"] = false;
  page["jetton_transfers"][1]["bounced"] = false;
  EXPECT_EQ(Credited(page), 2u);
}

TEST(TonTransferFlags, AnAbortedFlagThatIsNotABooleanIsNotBelieved) {
  for (const nlohmann::json& odd : {nlohmann::json("false"), nlohmann::json(0)}) {
    auto page = Recorded();
    page["jetton_transfers"][0]["transaction_aborted"] = odd;
    auto records = ParseTonTransfers(page, Network());
    ASSERT_FALSE(records.ok()) << odd.dump();
    EXPECT_EQ(records.error().code, ErrorCode::kUnavailable);
  }
}

}  // namespace
}  // namespace instamarket
