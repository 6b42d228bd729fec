#include "ledger/topup_progress.h"

#include <gtest/gtest.h>

namespace instamarket {
namespace {

NetworkConfig Network(const std::string& kind, int confirmations, const std::string& finality,
                      std::int64_t chain_id = 0) {
  NetworkConfig n;
  n.kind = kind;
  n.confirmations = confirmations;
  n.finality = finality;
  n.chain_id = chain_id;
  return n;
}

TEST(TopupProgressTest, FinalityIsADepthOrATagWithTheChainsExpectedTime) {
  auto depth = FinalityOf(Network("evm", 12, ""));
  EXPECT_EQ(depth.confirmations_needed, 12);
  EXPECT_EQ(depth.tag, "");
  EXPECT_FALSE(depth.expected_seconds);

  auto ethereum = FinalityOf(Network("evm", 0, "finalized", 1));
  EXPECT_EQ(ethereum.confirmations_needed, 0);
  EXPECT_EQ(ethereum.tag, "finalized");
  EXPECT_EQ(ethereum.expected_seconds, 900);
  EXPECT_EQ(FinalityOf(Network("evm", 0, "safe", 11155111)).expected_seconds, 600);
  EXPECT_FALSE(FinalityOf(Network("evm", 0, "finalized", 56)).expected_seconds);  // no figure
  EXPECT_EQ(FinalityOf(Network("tron", 0, "solidified")).expected_seconds, 57);
  EXPECT_EQ(FinalityOf(Network("solana", 0, "finalized")).expected_seconds, 13);
}

TEST(TopupProgressTest, ConfirmingJsonCountsTheBlocksOnTop) {
  TopupConfirming c;
  c.tx_id = "0xabc";
  c.block_number = 100;
  c.amount = Money::FromMicros(12'340'000);
  c.head = 102;
  c.since = 1700000000;
  c.finality.confirmations_needed = 3;
  JsonWriter json;
  WriteTopupConfirmingJson(json, c);
  EXPECT_EQ(json.str(),
            R"({"tx_id":"0xabc","block_number":100,"amount_usdt":12.34,"confirmations":2,)"
            R"("confirmations_needed":3,"finality":"confirmations",)"
            R"("expected_finality_seconds":null,"seen_at":1700000000})");

  c.head = 90;  // a head behind the sighting (a node that lags): never negative
  c.finality = {0, "finalized", 900};
  JsonWriter tagged;
  WriteTopupConfirmingJson(tagged, c);
  EXPECT_NE(tagged.str().find(R"("confirmations":0,"confirmations_needed":null,)"
                              R"("finality":"finalized","expected_finality_seconds":900)"),
            std::string::npos)
      << tagged.str();
}

TEST(TopupProgressTest, VisibleStatus) {
  EXPECT_EQ(TopupVisibleStatus("pending", false, false), "pending");
  EXPECT_EQ(TopupVisibleStatus("pending", true, false), "confirming");
  EXPECT_EQ(TopupVisibleStatus("pending", true, true), "confirming");  // may still credit
  EXPECT_EQ(TopupVisibleStatus("pending", false, true), "expired");
  EXPECT_EQ(TopupVisibleStatus("credited_short", true, false), "credited_short");
  EXPECT_EQ(TopupVisibleStatus("expired", false, true), "expired");
}

}  // namespace
}  // namespace instamarket
