// The full node's receipt check of Tron deposits (adapters/tron_transaction_info.h), on the
// transfers of the real recorded TronGrid listing (tests/fixtures/chains/
// tron-trc20-transfers-blockatlas.json): each record's receipt, as java-tron's
// gettransactioninfobyid shapes it (developers.tron.network/reference/gettransactioninfobyid),
// succeeds, fails, or lies.
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "adapters/tron_transaction_info.h"
#include "core/base58.h"
#include "core/crypto.h"

namespace instamarket {
namespace {

constexpr char kUsdt[] = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";
constexpr char kUsdtHex[] = "a614f803b6fd780986a42c78ec9c7f77e6ded13c";
constexpr char kTransfer[] = "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";

nlohmann::json Fixture(const std::string& name) {
  std::ifstream in(std::string(INSTAMARKET_SOURCE_DIR) + "/tests/fixtures/chains/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

// The first confirmed incoming record of the recording.
nlohmann::json RecordedTransfer() {
  const auto page = Fixture("tron-trc20-transfers-blockatlas.json");
  for (const auto& r : page["data"]) {
    if (r["to"] == "TM1zzNDZD2DPASbKcgdVoTYhfmYgtfwx9D" && r.value("_unconfirmed", false) == false)
      return r;
  }
  return {};
}

std::string Word(const std::string& hex) { return std::string(64 - hex.size(), '0') + hex; }

// The account of a T... address as hex, checksum not checked: the recording's watched address
// (TM1zz...) fails its checksum (edited by whoever published it), and logs carry no checksum.
std::string AccountHex(const std::string& address) {
  return ToHex(Base58Decode(address)->substr(1, 20));
}

// As the chain writes it: the checksummed form of the account.
std::string OnChain(const std::string& address) { return TronAddressFromHex(AccountHex(address)); }

nlohmann::json TransferLog(const std::string& from, const std::string& to,
                           const std::string& amount_hex, const std::string& contract = kUsdtHex) {
  return {{"address", contract},
          {"topics", {kTransfer, Word(AccountHex(from)), Word(AccountHex(to))}},
          {"data", Word(amount_hex)}};
}

nlohmann::json Info(const nlohmann::json& record, const std::string& result,
                    nlohmann::json logs) {
  nlohmann::json info = {{"id", record["transaction_id"]},
                         {"fee", 13844850},
                         {"blockNumber", 21000000},
                         {"blockTimeStamp", record["block_timestamp"]},
                         {"contractResult", {Word("1")}},
                         {"contract_address", std::string("41") + kUsdtHex},
                         {"receipt", {{"energy_usage_total", 29631}, {"result", result}}},
                         {"log", std::move(logs)}};
  if (result != "SUCCESS") {
    info["result"] = "FAILED";
    info.erase("log");
  }
  return info;
}

TEST(TronTransactionInfo, AddressesConvertBothWays) {
  EXPECT_EQ(TronAddressHex(kUsdt), kUsdtHex);
  EXPECT_EQ(TronAddressFromHex(kUsdtHex), kUsdt);
  EXPECT_EQ(TronAddressHex("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u"), "");  // bad checksum
  EXPECT_EQ(TronAddressFromHex("zz"), "");
}

TEST(TronTransactionInfo, ASuccessfulReceiptGivesItsTransferAtItsLogPosition) {
  auto r = RecordedTransfer();
  ASSERT_FALSE(r.is_null());
  // 1062000000 = 0x3f4cd580; an Approval-like other event first.
  nlohmann::json other = TransferLog(r["from"], r["to"], "1");
  other["topics"][0] = Word("8c5be1e5");
  auto info = ParseTronTransactionInfo(
      Info(r, "SUCCESS", {other, TransferLog(r["from"], r["to"], "3f4cd580")}),
      r["transaction_id"], kUsdt);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_TRUE(info->success);
  ASSERT_EQ(info->transfers.size(), 1u);
  EXPECT_EQ(info->transfers[0].log_index, 1);
  EXPECT_EQ(info->transfers[0].from, r["from"]);
  EXPECT_EQ(info->transfers[0].to, OnChain(r["to"]));
  EXPECT_EQ(OnChain(r["from"]), r["from"]);
  EXPECT_EQ(info->transfers[0].raw_amount, r["value"]);
}

TEST(TronTransactionInfo, EqualTransfersInOneTransactionAreKeptApart) {
  auto r = RecordedTransfer();
  auto log = TransferLog(r["from"], r["to"], "3f4cd580");
  auto info = ParseTronTransactionInfo(Info(r, "SUCCESS", {log, log}), r["transaction_id"], kUsdt);
  ASSERT_TRUE(info.ok()) << info.error().message;
  ASSERT_EQ(info->transfers.size(), 2u);
  EXPECT_EQ(info->transfers[0].log_index, 0);
  EXPECT_EQ(info->transfers[1].log_index, 1);
}

TEST(TronTransactionInfo, AFailedTransactionHasNoTransfers) {
  auto r = RecordedTransfer();
  for (const char* result : {"REVERT", "OUT_OF_ENERGY", "OUT_OF_TIME"}) {
    auto body = Info(r, result, nlohmann::json::array());
    body["log"] = {TransferLog(r["from"], r["to"], "3f4cd580")};  // a lying node's log
    auto info = ParseTronTransactionInfo(body, r["transaction_id"], kUsdt);
    ASSERT_TRUE(info.ok()) << info.error().message;
    EXPECT_FALSE(info->success) << result;
    EXPECT_EQ(info->result, result);
    EXPECT_TRUE(info->transfers.empty());
  }
  // SUCCESS in the receipt but FAILED at the top: refused too.
  auto body = Info(r, "SUCCESS", {TransferLog(r["from"], r["to"], "3f4cd580")});
  body["result"] = "FAILED";
  auto info = ParseTronTransactionInfo(body, r["transaction_id"], kUsdt);
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info->success);
}

TEST(TronTransactionInfo, AnotherContractsTransferIsNotOurs) {
  auto r = RecordedTransfer();
  auto fake = TransferLog(r["from"], r["to"], "3f4cd580", TronAddressHex("TGg7zHY9qd36aN3jLVDDRuiFeJjaaAtx8A"));
  auto info = ParseTronTransactionInfo(Info(r, "SUCCESS", {fake}), r["transaction_id"], kUsdt);
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->success);
  EXPECT_TRUE(info->transfers.empty());
  // The 41-prefixed form some nodes write is our token all the same.
  auto prefixed = TransferLog(r["from"], r["to"], "3f4cd580", std::string("41") + kUsdtHex);
  info = ParseTronTransactionInfo(Info(r, "SUCCESS", {prefixed}), r["transaction_id"], kUsdt);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->transfers.size(), 1u);
}

TEST(TronTransactionInfo, UnknownOrMalformedAnswersAreUnavailable) {
  auto r = RecordedTransfer();
  std::string tx = r["transaction_id"];
  auto good = Info(r, "SUCCESS", {TransferLog(r["from"], r["to"], "3f4cd580")});
  std::vector<nlohmann::json> bad = {nlohmann::json::object(), nlohmann::json::array(), "x"};
  auto other_tx = good;
  other_tx["id"] = std::string(64, 'a');
  bad.push_back(other_tx);
  auto no_receipt = good;
  no_receipt.erase("receipt");
  bad.push_back(no_receipt);
  auto bad_topic = good;
  bad_topic["log"][0]["topics"][2] = std::string(64, 'f');  // not a zero-padded address
  bad.push_back(bad_topic);
  auto short_data = good;
  short_data["log"][0]["data"] = "3f4cd580";
  bad.push_back(short_data);
  auto no_topics = good;
  no_topics["log"][0].erase("topics");
  bad.push_back(no_topics);
  for (const auto& body : bad) {
    auto info = ParseTronTransactionInfo(body, tx, kUsdt);
    ASSERT_FALSE(info.ok()) << body.dump();
    EXPECT_EQ(info.error().code, ErrorCode::kUnavailable) << body.dump();
  }
}

// The listing's claim of the recorded transfer, as ParseTronPage makes it.
Transfer Claim(const nlohmann::json& r) {
  Transfer t;
  t.tx_id = r["transaction_id"];
  t.event_index = 77;  // the listing's hash index, replaced by the log position
  t.from = r["from"];
  t.to = r["to"];
  t.amount = ChainAmount{r["value"].get<std::string>(), 6};
  t.block_number = r["block_timestamp"];
  t.block_time = t.block_number / 1000;
  return t;
}

TEST(TronTransactionInfo, TheDepositIsKeyedOnTheReceiptsIdInLowercase) {
  auto r = RecordedTransfer();
  std::string tx = r["transaction_id"];
  auto body = Info(r, "SUCCESS", {TransferLog(r["from"], r["to"], "3f4cd580")});
  std::string upper = tx;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  body["id"] = upper;
  auto info = ParseTronTransactionInfo(body, tx, kUsdt);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->id, tx);
  EXPECT_EQ(info->block_time_ms, r["block_timestamp"].get<std::int64_t>());
  Transfer claim = Claim(r);
  claim.tx_id = upper;  // what the listing said, were it not lowercased there already
  claim.to = OnChain(r["to"]);
  auto deposits = TronDepositsConfirmed(*info, {claim}, OnChain(r["to"]), nullptr);
  ASSERT_TRUE(deposits.ok());
  ASSERT_EQ(deposits->size(), 1u);
  EXPECT_EQ((*deposits)[0].tx_id, tx);
  EXPECT_EQ((*deposits)[0].event_index, 0);
  // Not 64 hex digits, or no block time: not a receipt.
  for (const char* field : {"id", "blockTimeStamp"}) {
    auto bad = body;
    bad[field] = field == std::string("id") ? nlohmann::json("x y") : nlohmann::json("1");
    EXPECT_FALSE(ParseTronTransactionInfo(bad, bad["id"].is_string() ? bad["id"].get<std::string>() : tx, kUsdt).ok()) << field;
    bad.erase(field);
    EXPECT_FALSE(ParseTronTransactionInfo(bad, tx, kUsdt).ok()) << field;
  }
}

TEST(TronTransactionInfo, AListingTimestampThatIsNotTheReceiptsIsUnavailable) {
  auto r = RecordedTransfer();
  auto info = ParseTronTransactionInfo(
      Info(r, "SUCCESS", {TransferLog(r["from"], r["to"], "3f4cd580")}), r["transaction_id"], kUsdt);
  ASSERT_TRUE(info.ok()) << info.error().message;
  Transfer relisted = Claim(r);
  relisted.to = OnChain(r["to"]);
  relisted.block_number += 86'400'000;  // an old deposit re-listed as of a day later
  auto deposits = TronDepositsConfirmed(*info, {relisted}, OnChain(r["to"]), nullptr);
  ASSERT_FALSE(deposits.ok());
  EXPECT_EQ(deposits.error().code, ErrorCode::kUnavailable);
  // A failed transaction's receipt is held to the same time.
  auto failed = ParseTronTransactionInfo(Info(r, "REVERT", nlohmann::json::array()),
                                         r["transaction_id"], kUsdt);
  ASSERT_TRUE(failed.ok());
  EXPECT_FALSE(TronDepositsConfirmed(*failed, {relisted}, OnChain(r["to"]), nullptr).ok());
}

TEST(TronTransactionInfo, OnlyTransfersToTheReceiverAreKeptAndLogsAreCapped) {
  auto r = RecordedTransfer();
  const std::string other = "TAxbLztoanFhYu4TuS5RabaJYGnUkfzNKG";
  nlohmann::json logs = nlohmann::json::array();
  for (int i = 0; i < 50; ++i) logs.push_back(TransferLog(r["from"], other, "1"));
  logs.push_back(TransferLog(r["from"], r["to"], "3f4cd580"));
  auto info = ParseTronTransactionInfo(Info(r, "SUCCESS", logs), r["transaction_id"], kUsdt,
                                       OnChain(r["to"]));
  ASSERT_TRUE(info.ok()) << info.error().message;
  ASSERT_EQ(info->transfers.size(), 1u);
  EXPECT_EQ(info->transfers[0].log_index, 50);
  nlohmann::json many = nlohmann::json::array();
  for (std::size_t i = 0; i <= kMaxTronReceiptLogs; ++i) many.push_back(TransferLog(r["from"], other, "1"));
  auto refused = ParseTronTransactionInfo(Info(r, "SUCCESS", many), r["transaction_id"], kUsdt,
                                          OnChain(r["to"]));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace instamarket
