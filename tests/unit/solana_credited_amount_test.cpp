// What a Solana transaction credited to our token account, on real recorded answers
// (tests/fixtures/chains, each with its source) and on variations of them: a token balance
// missing from the meta is unknown, never zero.
#include "adapters/solana_credited_amount.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "adapters/solana_adapter.h"

namespace instamarket {
namespace {

nlohmann::json Fixture(const std::string& name) {
  std::ifstream in(std::string(INSTAMARKET_SOURCE_DIR) + "/tests/fixtures/chains/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

constexpr char kUsdc[] = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";
constexpr char kUsdt[] = "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB";
constexpr char kWrappedSol[] = "So11111111111111111111111111111111111111112";
// The real USDC transfer (solana-getTransaction-jsonParsed-token.json): our account is index 2,
// created by the transaction (associated-token-account create, inner initializeAccount3).
constexpr char kOurAccount[] = "H51DXRt3ubThhdhNeDMScfkbC5X4AWzYfHaZS3JKEfPh";
constexpr std::size_t kOurIndex = 2;
// The real block (solana-getBlock-jsonParsed-solders.json), transaction 18: an inner wSOL
// transfer of 12500 into GmYFC3... (index 11), which held 8512820000 before.
constexpr char kBlockAccount[] = "GmYFC3J2qXE3XPZSKEFLzmKKgmDRnxcMtqcv96D53wpf";
constexpr std::size_t kBlockIndex = 11;

nlohmann::json CreatedInTransaction() {
  return Fixture("solana-getTransaction-jsonParsed-token.json")["result"];
}

nlohmann::json BlockTransaction() {
  return Fixture("solana-getBlock-jsonParsed-solders.json")["result"]["transactions"][18];
}

// The transaction without its account-creating instructions: our account existed before.
nlohmann::json ExistedBefore(std::uint64_t post_balance) {
  auto tx = CreatedInTransaction();
  auto& instructions = tx["transaction"]["message"]["instructions"];
  instructions.erase(instructions.begin());  // the associated-token-account create
  tx["meta"]["innerInstructions"] = nlohmann::json::array();
  for (auto& b : tx["meta"]["postTokenBalances"])
    if (b["accountIndex"] == kOurIndex) b["uiTokenAmount"]["amount"] = std::to_string(post_balance);
  return tx;
}

void RemovePre(nlohmann::json& tx, std::size_t index) {
  auto& pre = tx["meta"]["preTokenBalances"];
  for (auto it = pre.begin(); it != pre.end();) {
    it = (*it)["accountIndex"] == index ? pre.erase(it) : it + 1;
  }
}

std::optional<std::uint64_t> Credited(const nlohmann::json& tx, std::size_t index,
                                      const std::string& account, const std::string& mint) {
  auto amount = SolanaCreditedAmount(tx, index, account, mint);
  EXPECT_TRUE(amount.ok()) << amount.error().message;
  return amount.ok() ? *amount : std::nullopt;
}

bool Unknown(const nlohmann::json& tx, std::size_t index, const std::string& account,
             const std::string& mint) {
  auto amount = SolanaCreditedAmount(tx, index, account, mint);
  return !amount.ok() && amount.error().code == ErrorCode::kUnavailable;
}

TEST(SolanaCreditedAmount, BothBalancesListedIsPostMinusPre) {
  EXPECT_EQ(Credited(BlockTransaction(), kBlockIndex, kBlockAccount, kWrappedSol), 12500u);
  // The source account went down: nothing credited to it.
  EXPECT_EQ(
      Credited(BlockTransaction(), 2, "3hYRE5WJtvmetHxH3KgkN2tACUJqaMFtBgnoHjkGH7iU", kWrappedSol),
      std::nullopt);
}

TEST(SolanaCreditedAmount, AnAccountCreatedInTheTransactionCountsFromZero) {
  EXPECT_EQ(Credited(CreatedInTransaction(), kOurIndex, kOurAccount, kUsdc), 1000u);
  // Only the spl-token initializeAccount3 (inner) left: still created here.
  auto init_only = CreatedInTransaction();
  auto& instructions = init_only["transaction"]["message"]["instructions"];
  instructions.erase(instructions.begin());
  EXPECT_EQ(Credited(init_only, kOurIndex, kOurAccount, kUsdc), 1000u);
}

TEST(SolanaCreditedAmount, AMissingPreBalanceOfAnAccountThatExistedIsNotZero) {
  // Real block: the node dropped the pre entry of an account holding 8512820000. Taking pre as 0
  // would credit 8512832500; the inner transfer says 12500.
  auto block = BlockTransaction();
  RemovePre(block, kBlockIndex);
  EXPECT_EQ(Credited(block, kBlockIndex, kBlockAccount, kWrappedSol), 12500u);
  // Crafted from the real transfer: the account held 4000 before, 5000 after; 1000 came in.
  EXPECT_EQ(Credited(ExistedBefore(5000), kOurIndex, kOurAccount, kUsdc), 1000u);
  // createIdempotent on an account that exists creates nothing: not proof of a new account.
  auto idempotent = ExistedBefore(5000);
  auto create = CreatedInTransaction()["transaction"]["message"]["instructions"][0];
  create["parsed"]["type"] = "createIdempotent";
  idempotent["transaction"]["message"]["instructions"].insert(
      idempotent["transaction"]["message"]["instructions"].begin(), create);
  EXPECT_EQ(Credited(idempotent, kOurIndex, kOurAccount, kUsdc), 1000u);
}

TEST(SolanaCreditedAmount, WhatCannotBeDecidedIsUnavailable) {
  // No readable transfer into it (a program moved tokens without a parsed instruction).
  auto unread = ExistedBefore(5000);
  unread["transaction"]["message"]["instructions"][0]["parsed"]["type"] = "unknownToUs";
  EXPECT_TRUE(Unknown(unread, kOurIndex, kOurAccount, kUsdc));
  // Tokens also left our account in the same transaction.
  auto out = ExistedBefore(5000);
  auto outgoing = out["transaction"]["message"]["instructions"][0];
  outgoing["parsed"]["info"]["source"] = kOurAccount;
  outgoing["parsed"]["info"]["destination"] = "9rB2Poc468mPpY9WMUmaqEPsvJah8SpPB8bKqAjjXp5H";
  out["transaction"]["message"]["instructions"].push_back(outgoing);
  EXPECT_TRUE(Unknown(out, kOurIndex, kOurAccount, kUsdc));
  // The transfers say more came in than the account holds after.
  EXPECT_TRUE(Unknown(ExistedBefore(999), kOurIndex, kOurAccount, kUsdc));
  // A token instruction the node did not parse lists our account.
  auto unparsed = ExistedBefore(5000);
  unparsed["transaction"]["message"]["instructions"].push_back(
      {{"programId", "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"},
       {"accounts", {kOurAccount}},
       {"data", "3Bxs4h24hBtQy9rw"}});
  EXPECT_TRUE(Unknown(unparsed, kOurIndex, kOurAccount, kUsdc));
  // Neither balance listed, but a transfer into our account: the node dropped them.
  auto none = CreatedInTransaction();
  none["meta"]["postTokenBalances"] = nlohmann::json::array();
  EXPECT_TRUE(Unknown(none, kOurIndex, kOurAccount, kUsdc));
  // Amounts that are not numbers.
  auto odd = BlockTransaction();
  for (auto& b : odd["meta"]["postTokenBalances"])
    if (b["accountIndex"] == kBlockIndex) b["uiTokenAmount"]["amount"] = "12.5";
  EXPECT_TRUE(Unknown(odd, kBlockIndex, kBlockAccount, kWrappedSol));
  auto odd_transfer = ExistedBefore(5000);
  odd_transfer["transaction"]["message"]["instructions"][0]["parsed"]["info"]["tokenAmount"]
              ["amount"] = "-1";
  EXPECT_TRUE(Unknown(odd_transfer, kOurIndex, kOurAccount, kUsdc));
}

TEST(SolanaCreditedAmount, AnotherMintIsNothing) {
  EXPECT_EQ(Credited(CreatedInTransaction(), kOurIndex, kOurAccount, kUsdt), std::nullopt);
  EXPECT_EQ(Credited(BlockTransaction(), kBlockIndex, kBlockAccount, kUsdt), std::nullopt);
}

// Tokens that reach an account another owner holds at the end of the transaction (a token
// account listed for us that changed hands) are not ours.
TEST(SolanaCreditedAmount, AnAccountOfAnotherOwnerIsNotOurs) {
  NetworkConfig usdc;
  usdc.token = kUsdc;
  usdc.decimals = 6;
  usdc.address = "3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui";  // the owner in the answer
  auto ours = ParseSolanaTransaction(CreatedInTransaction(), "s", kOurAccount, usdc);
  ASSERT_TRUE(ours.ok());
  EXPECT_TRUE(ours->has_value());
  usdc.address = "8fusVwhgo4oS1fGpZKeRaXrJXQk9auKnAgcj9A97wR3t";
  auto theirs = ParseSolanaTransaction(CreatedInTransaction(), "s", kOurAccount, usdc);
  ASSERT_TRUE(theirs.ok());
  EXPECT_FALSE(theirs->has_value());
}

// Every token account of every transaction of a real block, read as ours with the USDT mint:
// nothing is credited and nothing crashes (none of them holds USDT).
TEST(SolanaCreditedAmount, ARealBlockCreditsNoUsdt) {
  auto block = Fixture("solana-getBlock-jsonParsed-solders.json")["result"];
  NetworkConfig usdt;
  usdt.token = kUsdt;
  usdt.decimals = 6;
  int accounts = 0;
  for (auto tx : block["transactions"]) {
    tx["slot"] = 147078735;
    for (const auto& b : tx["meta"]["postTokenBalances"]) {
      std::size_t i = b["accountIndex"];
      std::string account = tx["transaction"]["message"]["accountKeys"][i]["pubkey"];
      usdt.address = b["owner"];
      auto t = ParseSolanaTransaction(tx, "sig", account, usdt);
      ASSERT_TRUE(t.ok()) << t.error().message;
      EXPECT_FALSE(t->has_value());
      ++accounts;
    }
  }
  EXPECT_GT(accounts, 50);
}

}  // namespace
}  // namespace instamarket
