// The non-EVM adapters' readers on real recorded API answers (tests/fixtures/chains, each with
// its source beside it) and on variations of them: what is credited, what is left out.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "adapters/http_endpoints.h"
#include "adapters/position_cursor.h"
#include "adapters/solana_adapter.h"
#include "adapters/ton_adapter.h"
#include "adapters/tron_adapter.h"
#include "core/printable_text.h"

namespace instamarket {
namespace {

nlohmann::json Fixture(const std::string& name) {
  std::ifstream in(std::string(INSTAMARKET_SOURCE_DIR) + "/tests/fixtures/chains/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

std::vector<Transfer> Transfers(const std::vector<FeedRecord>& records) {
  std::vector<Transfer> out;
  for (const auto& r : records) {
    if (r.transfer) out.push_back(*r.transfer);
  }
  return out;
}

NetworkConfig Tron(const std::string& address) {
  NetworkConfig n;
  n.id = "usdt_trc_20";
  n.kind = "tron";
  n.token = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";
  n.address = address;
  n.decimals = 6;
  return n;
}

TEST(TronFeed, TakesConfirmedIncomingUsdtOnly) {
  auto page = ParseTronPage(Fixture("tron-trc20-transfers-blockatlas.json"),
                            Tron("TM1zzNDZD2DPASbKcgdVoTYhfmYgtfwx9D"));
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(page->fingerprint, "2tmLC90HQEnpnJ02w3n");
  EXPECT_EQ(page->records.size(), 18u);  // 20 served, the 2 unconfirmed ones not taken
  auto in = Transfers(page->records);
  ASSERT_EQ(in.size(), 4u);  // the other records are outgoing
  EXPECT_EQ(in[0].tx_id, "efb7d44305759cfb189c9fd22720609a2ddeb7fbd7c8afe1dd8851342471da8d");
  EXPECT_EQ(in[0].from, "TAxbLztoanFhYu4TuS5RabaJYGnUkfzNKG");
  EXPECT_EQ(in[0].amount.raw, "1062000000");
  EXPECT_EQ(in[0].block_number, 1592756631000);
  EXPECT_EQ(in[0].block_time, 1592756631);
  EXPECT_EQ(in[2].amount.raw, "18000000000");
  EXPECT_GE(in[0].event_index, 0);
  EXPECT_LT(in[0].event_index, std::int64_t{1} << 48);
}

TEST(TronFeed, ARecordListedUnconfirmedThenConfirmedCountsOnce) {
  // c4052b52... is listed twice, with _unconfirmed and without; seen from its receiver.
  auto page = ParseTronPage(Fixture("tron-trc20-transfers-blockatlas.json"),
                            Tron("TXJTFuXzfoPbWKCnw47AYxMzgVPUyhJGRd"));
  ASSERT_TRUE(page.ok());
  auto in = Transfers(page->records);
  ASSERT_EQ(in.size(), 1u);
  EXPECT_EQ(in[0].tx_id, "c4052b526e5cd21e1f023c31cce6b6a13eb9d8aeae3ae80fcefe6038dfbeb022");
  EXPECT_EQ(in[0].amount.raw, "50000000");
  // Listed twice confirmed (two pages, or a replay), the key is the same: one deposit.
  auto body = Fixture("tron-trc20-transfers-blockatlas.json");
  body["data"].push_back(body["data"][2]);
  auto twice = ParseTronPage(body, Tron("TXJTFuXzfoPbWKCnw47AYxMzgVPUyhJGRd"));
  auto both = Transfers(twice->records);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].event_index, both[1].event_index);
  EXPECT_EQ(twice->records[0].key, twice->records.back().key);
}

TEST(TronFeed, LeavesOutFakeTokensZeroValuesAndOtherTypes) {
  auto body = Fixture("tron-trc20-transfers-blockatlas.json");
  auto& data = body["data"];
  for (auto& r : data) {
    if (r["transaction_id"] == "efb7d44305759cfb189c9fd22720609a2ddeb7fbd7c8afe1dd8851342471da8d")
      r["token_info"]["address"] = "TM1zzNDZD2DPASbKcgdVoTYhfmYgtfwx9D";  // symbol still USDT
    if (r["transaction_id"].get<std::string>().rfind("75eb3573", 0) == 0) r["value"] = "0";
    if (r["transaction_id"].get<std::string>().rfind("adee73da", 0) == 0) r["type"] = "Approval";
  }
  auto page = ParseTronPage(body, Tron("TM1zzNDZD2DPASbKcgdVoTYhfmYgtfwx9D"));
  ASSERT_TRUE(page.ok());
  auto in = Transfers(page->records);
  ASSERT_EQ(in.size(), 1u);
  EXPECT_EQ(in[0].amount.raw, "863399098");
}

TEST(TronFeed, AnEmptyPageEndsPagingAndGarbageIsAnError) {
  auto page = ParseTronPage(Fixture("tron-account-transactions-empty-page.json"),
                            Tron("TM1zzNDZD2DPASbKcgdVoTYhfmYgtfwx9D"));
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->records.empty());
  EXPECT_FALSE(page->fingerprint.empty());  // advertised, and still the end: nothing to page
  EXPECT_FALSE(
      ParseTronPage(Fixture("tron-rate-limit.json"), Tron("TM1zzNDZD2DPASbKcgdVoTYhfmYgtfwx9D"))
          .ok());
  auto bad = Fixture("tron-trc20-transfers-blockatlas.json");
  bad["data"][3]["value"] = "1e6";
  auto refused = ParseTronPage(bad, Tron("TM1zzNDZD2DPASbKcgdVoTYhfmYgtfwx9D"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
}

NetworkConfig Ton() {
  NetworkConfig n;
  n.id = "usdt_ton";
  n.kind = "ton";
  n.token = "0:b113a994b5024a16719f69139328eb759596c38a25f59028b146fecdc3621dfe";
  n.address = "0:169c9367c01c8b4e1471962db32e99e3e4473aafb47e1a6a643a4177a6758f16";
  n.decimals = 6;
  return n;
}

TEST(TonFeed, TakesIncomingTransfersOfTheJettonMaster) {
  auto records = ParseTonTransfers(Fixture("ton-jetton-transfers.json"), Ton());
  ASSERT_TRUE(records.ok()) << records.error().message;
  auto in = Transfers(*records);
  ASSERT_EQ(in.size(), 2u);
  EXPECT_EQ(in[0].tx_id, "exkKjJjzWuZCh8zER2b8dVcSJRGR/LBQeG+YeyMfeOM=");
  EXPECT_EQ(in[0].amount.raw, "17000000");
  EXPECT_EQ(in[0].from, "0:1f5806c73d03bbc96eb7eebf16067f1f2e8e270cfa16d57001aa9eaf7456f008");
  EXPECT_EQ(in[0].block_number, 46760680000003);
  EXPECT_EQ(in[0].block_time, 1716867695);
  EXPECT_EQ(in[0].memo, "");
  EXPECT_EQ((*records)[1].key, "CtfOmq2/OCSwyUObxsnvixxO/GJu5/qhG5jDEEC3NW4=");
}

TEST(TonFeed, SkipsAbortedFakeJettonsAndZeroAndKeepsTheComment) {
  auto body = Fixture("ton-jetton-transfers.json");
  auto& list = body["jetton_transfers"];
  nlohmann::json commented = list[0];
  commented["transaction_hash"] = "c29tZSBvdGhlciBoYXNoLCB0aGlydHktdHdvIGJ5dGU=";
  commented["forward_payload"] = "te6cckEBAQEADwAAGgAAAAA3ODYzMDE4MDJEiUVq";
  list[0]["transaction_aborted"] = true;
  list[1]["jetton_master"] = "0:" + std::string(64, 'a');  // a fake "USD₮"
  nlohmann::json zero = commented;
  zero["amount"] = "0";
  zero["transaction_hash"] = "emVyb3plcm96ZXJvemVyb3plcm96ZXJvemVyb3plcm8=";
  list.push_back(commented);
  list.push_back(zero);
  auto records = ParseTonTransfers(body, Ton());
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->size(), 4u);
  auto in = Transfers(*records);
  ASSERT_EQ(in.size(), 1u);
  EXPECT_EQ(in[0].tx_id, "c29tZSBvdGhlciBoYXNoLCB0aGlydHktdHdvIGJ5dGU=");
  EXPECT_EQ(in[0].memo, "786301802");
  EXPECT_FALSE(ParseTonTransfers(nlohmann::json{{"error", "rate limit"}}, Ton()).ok());
}

NetworkConfig Solana(const std::string& mint) {
  NetworkConfig n;
  n.id = "usdt_solana";
  n.kind = "solana";
  n.token = mint;
  n.address = "3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui";
  n.decimals = 6;
  return n;
}

constexpr char kUsdc[] = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";
constexpr char kOurAccount[] = "H51DXRt3ubThhdhNeDMScfkbC5X4AWzYfHaZS3JKEfPh";

TEST(SolanaFeed, CreditsTheBalanceIncreaseOfOurTokenAccount) {
  auto tx = Fixture("solana-getTransaction-jsonParsed-token.json")["result"];
  auto t = ParseSolanaTransaction(tx, "sig1", kOurAccount, Solana(kUsdc));
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_TRUE(t->has_value());
  const Transfer& in = **t;
  EXPECT_EQ(in.amount.raw, "1000");  // the account was created in this transaction: pre is 0
  EXPECT_EQ(in.from, "8fusVwhgo4oS1fGpZKeRaXrJXQk9auKnAgcj9A97wR3t");  // the source's owner
  EXPECT_EQ(in.to, kOurAccount);
  EXPECT_EQ(in.block_number, 184930610);
  EXPECT_EQ(in.block_time, 1679899845);
  EXPECT_EQ(in.memo, "transfer");
  EXPECT_EQ(in.tx_id, "sig1");
}

// A delegate signed the transfer (derived fixture): the sender a claim must be signed by, and
// the API shows, is the owner of the source token account, not the delegate.
TEST(SolanaFeed, TheSenderIsTheSourceAccountsOwnerNotADelegate) {
  constexpr char kOwner[] = "8fusVwhgo4oS1fGpZKeRaXrJXQk9auKnAgcj9A97wR3t";
  constexpr char kDelegate[] = "eWH73wLNuViNDKhgMxr2LuGyeqRJw6trJ2MNLtUNwAw";
  constexpr char kSource[] = "9rB2Poc468mPpY9WMUmaqEPsvJah8SpPB8bKqAjjXp5H";
  auto tx = Fixture("solana-getTransaction-jsonParsed-delegate.json")["result"];
  auto& transfer = tx["transaction"]["message"]["instructions"][1]["parsed"]["info"];
  ASSERT_EQ(transfer["authority"], kDelegate);
  auto t = ParseSolanaTransaction(tx, "sig1", kOurAccount, Solana(kUsdc));
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_TRUE(t->has_value());
  EXPECT_EQ((*t)->from, kOwner);
  EXPECT_EQ((*t)->amount.raw, "1000");

  // The token balances do not name the source account's owner: the authority, then the source
  // account itself.
  auto no_owner = tx;
  for (auto& b : no_owner["meta"]["preTokenBalances"]) b.erase("owner");
  for (auto& b : no_owner["meta"]["postTokenBalances"])
    if (b["accountIndex"] == 3) b.erase("owner");
  EXPECT_EQ((**ParseSolanaTransaction(no_owner, "s", kOurAccount, Solana(kUsdc))).from, kDelegate);
  no_owner["transaction"]["message"]["instructions"][1]["parsed"]["info"].erase("authority");
  EXPECT_EQ((**ParseSolanaTransaction(no_owner, "s", kOurAccount, Solana(kUsdc))).from, kSource);

  // Only postTokenBalances name the source account's owner (an account created in this
  // transaction has no pre entry; a SetAuthority at its end can name anyone's wallet): not
  // trusted, the authority (the signer).
  constexpr char kVictim[] = "3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui";
  auto post_only = tx;
  post_only["meta"]["preTokenBalances"] = nlohmann::json::array();
  for (auto& b : post_only["meta"]["postTokenBalances"])
    if (b["accountIndex"] == 3) b["owner"] = kVictim;
  EXPECT_EQ((**ParseSolanaTransaction(post_only, "s", kOurAccount, Solana(kUsdc))).from, kDelegate);

  // Pre and post name different owners (the owner changed within the transaction): the
  // authority.
  auto owner_changed = tx;
  for (auto& b : owner_changed["meta"]["postTokenBalances"])
    if (b["accountIndex"] == 3) b["owner"] = kVictim;
  EXPECT_EQ((**ParseSolanaTransaction(owner_changed, "s", kOurAccount, Solana(kUsdc))).from,
            kDelegate);

  // No parsed transfer instruction (a program moved the tokens): the owner of the one account of
  // the mint that went down.
  auto by_program = tx;
  by_program["transaction"]["message"]["instructions"][1]["parsed"]["type"] = "unknownToUs";
  EXPECT_EQ((**ParseSolanaTransaction(by_program, "s", kOurAccount, Solana(kUsdc))).from, kOwner);
  for (auto& b : by_program["meta"]["preTokenBalances"]) b.erase("owner");
  for (auto& b : by_program["meta"]["postTokenBalances"]) b.erase("owner");
  EXPECT_EQ((**ParseSolanaTransaction(by_program, "s", kOurAccount, Solana(kUsdc))).from,
            "unknown");
}

TEST(SolanaFeed, NeverCreditsAnotherMintADecreaseOrAFailedTransaction) {
  auto tx = Fixture("solana-getTransaction-jsonParsed-token.json")["result"];
  // The USDT mint configured: this USDC transfer is not ours.
  auto other_mint = ParseSolanaTransaction(tx, "sig1", kOurAccount,
                                           Solana("Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB"));
  ASSERT_TRUE(other_mint.ok());
  EXPECT_FALSE(other_mint->has_value());
  // The sender's account went down.
  auto sender = ParseSolanaTransaction(tx, "sig1", "9rB2Poc468mPpY9WMUmaqEPsvJah8SpPB8bKqAjjXp5H",
                                       Solana(kUsdc));
  ASSERT_TRUE(sender.ok());
  EXPECT_FALSE(sender->has_value());
  // The same transaction, failed.
  tx["meta"]["err"] = {{"InstructionError", {0, {{"Custom", 1}}}}};
  auto failed = ParseSolanaTransaction(tx, "sig1", kOurAccount, Solana(kUsdc));
  ASSERT_TRUE(failed.ok());
  EXPECT_FALSE(failed->has_value());
  // A recorded failed transaction.
  auto recorded = ParseSolanaTransaction(Fixture("solana-getTransaction-failed.json")["result"],
                                         "sig2", kOurAccount, Solana(kUsdc));
  ASSERT_TRUE(recorded.ok());
  EXPECT_FALSE(recorded->has_value());
  EXPECT_FALSE(
      ParseSolanaTransaction(nlohmann::json("garbage"), "s", kOurAccount, Solana(kUsdc)).ok());
}

TEST(TronFeed, OddValuesAreErrorsNotCrashes) {
  auto body = Fixture("tron-trc20-transfers-blockatlas.json");
  body["data"][0]["_unconfirmed"] = nullptr;  // not a bool: read as "not unconfirmed"
  EXPECT_TRUE(ParseTronPage(body, Tron("TM1zzNDZD2DPASbKcgdVoTYhfmYgtfwx9D")).ok());
  body["data"][5]["block_timestamp"] = std::int64_t{4'000'000'000'000};  // year 2096
  auto future = ParseTronPage(body, Tron("TM1zzNDZD2DPASbKcgdVoTYhfmYgtfwx9D"));
  ASSERT_FALSE(future.ok());
  EXPECT_NE(future.error().message.find("future"), std::string::npos);
}

TEST(HttpEndpoints, ReadsTronGridSuspensions) {
  EXPECT_EQ(SuspensionSeconds(Fixture("tron-rate-limit.json").dump()), 30);
  EXPECT_EQ(SuspensionSeconds("request rate exceeded the allowed_rps(10), and the query server "
                              "is suspended for 5 s"),
            5);
  EXPECT_EQ(SuspensionSeconds("Too Many Requests: retry after 2s"), 2);
  EXPECT_EQ(SuspensionSeconds("suspended for a while"), 0);
  EXPECT_EQ(SuspensionSeconds(std::string(100000, ' ') + "suspended for 9s"), 0);  // not scanned
}

TEST(PositionCursor, SkipsWhatWasTakenWithinTheWindowAndNothingElse) {
  PositionCursor cursor(PositionCursor::Starting(1000), 100);
  EXPECT_EQ(cursor.QueryFrom(), 1000);
  EXPECT_TRUE(cursor.Seen(999, "before-start"));
  EXPECT_FALSE(cursor.Seen(1000, "a"));
  ASSERT_TRUE(cursor.Take(1000, "a").ok());
  ASSERT_TRUE(cursor.Take(1050, "b").ok());
  ASSERT_TRUE(cursor.Take(1050, "c").ok());
  EXPECT_EQ(cursor.QueryFrom(), 1000);  // the floor still holds
  ASSERT_TRUE(cursor.Take(1200, "d").ok());
  EXPECT_EQ(cursor.QueryFrom(), 1100);
  EXPECT_TRUE(cursor.Seen(1099, "late-but-too-late"));
  EXPECT_FALSE(cursor.Seen(1150, "late"));  // listed late, within the window: still taken
  // Stored and loaded again, it says the same.
  ChainCursor stored = cursor.ToChainCursor();
  EXPECT_EQ(stored.position, 1200);
  EXPECT_EQ(stored.state, "d@1200");  // a, b, c fell out of the window, and the floor with them
  PositionCursor loaded(stored, 100);
  EXPECT_TRUE(loaded.Seen(1200, "d"));
  EXPECT_FALSE(loaded.Seen(1200, "e"));
  ASSERT_TRUE(loaded.Take(1150, "late").ok());
  EXPECT_EQ(loaded.position(), 1200);
  EXPECT_TRUE(PositionCursor(loaded.ToChainCursor(), 100).Seen(1150, "late"));
}

TEST(PrintableText, KeepsTextAndDefusesTheRest) {
  EXPECT_EQ(PrintableUtf8("invoice 7 \xe2\x9c\x93", 100), "invoice 7 \xe2\x9c\x93");
  EXPECT_EQ(PrintableUtf8(std::string("a\0b\n", 4), 100), "a b ");
  EXPECT_EQ(PrintableUtf8("\xff\xfe", 100), "\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(PrintableUtf8("ab\xe2\x9c\x93", 4), "ab");  // never half a character
}

}  // namespace
}  // namespace instamarket
