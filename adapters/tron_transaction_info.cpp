#include "adapters/tron_transaction_info.h"

#include <algorithm>
#include <cctype>

#include "adapters/json_field.h"
#include "core/base58.h"
#include "core/chain_amount.h"
#include "core/crypto.h"
#include "core/tron_address.h"

namespace instamarket {
namespace {

// keccak256("Transfer(address,address,uint256)"), as topics are written: no 0x.
constexpr char kTransferTopic[] =
    "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";

Error Garbage(const std::string& what) {
  return MakeError(ErrorCode::kUnavailable, "unexpected gettransactioninfobyid reply: " + what);
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool IsHex(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c); });
}

// A log's address: 20 bytes of hex, some nodes with the 41 prefix.
std::string LogAddress(std::string hex) {
  hex = Lower(hex);
  if (hex.size() == 42 && hex.compare(0, 2, "41") == 0) hex.erase(0, 2);
  return hex.size() == 40 && IsHex(hex) ? hex : "";
}

// An indexed address topic: 32 bytes, the account in the low 20, the rest zero.
std::string TopicAddress(const nlohmann::json& topic) {
  if (!topic.is_string()) return "";
  std::string hex = Lower(topic.get<std::string>());
  if (hex.size() != 64 || !IsHex(hex) || hex.find_first_not_of('0') < 24) return "";
  return TronAddressFromHex(hex.substr(24));
}

}  // namespace

std::string TronTxId(const std::string& text) {
  return text.size() == 64 && IsHex(text) ? Lower(text) : "";
}

std::string TronAddressHex(const std::string& address) {
  if (!IsTronAddress(address)) return "";
  auto bytes = Base58Decode(address);
  return ToHex(bytes->substr(1, 20));
}

std::string TronAddressFromHex(const std::string& hex40) {
  auto account = HexDecode(hex40);
  if (!account || account->size() != 20) return "";
  std::string payload = std::string(1, '\x41') + *account;
  return Base58Encode(payload + Sha256(Sha256(payload)).substr(0, 4));
}

Result<TronTransactionInfo> ParseTronTransactionInfo(const nlohmann::json& body,
                                                     const std::string& tx_id,
                                                     const std::string& token,
                                                     const std::string& receiver) {
  if (!body.is_object()) return Garbage("not an object");
  if (body.empty())
    return MakeError(ErrorCode::kUnavailable,
                     "the node does not know transaction " + tx_id + " (not solidified there yet)");
  const auto& id = JsonField(body, "id");
  if (!id.is_string() || Lower(id.get<std::string>()) != Lower(tx_id))
    return Garbage("it is about another transaction, not " + tx_id);
  TronTransactionInfo info;
  info.id = TronTxId(id.get<std::string>());
  if (info.id.empty()) return Garbage("an id that is not 64 hex digits");
  const auto& block_time = JsonField(body, "blockTimeStamp");
  if (!block_time.is_number_integer() || block_time.get<std::int64_t>() < 0)
    return Garbage("no blockTimeStamp");
  info.block_time_ms = block_time.get<std::int64_t>();
  const auto& result = JsonField(JsonField(body, "receipt"), "result");
  if (!result.is_string()) return Garbage("no receipt.result");
  info.result = result.get<std::string>();
  // A failed call also says "result": "FAILED" at the top; either is enough to refuse it.
  info.success = info.result == "SUCCESS" && !JsonField(body, "result").is_string();
  if (!info.success) return info;
  const std::string token_hex = TronAddressHex(token);
  const auto& logs = JsonField(body, "log");
  if (logs.is_null()) return info;  // no events at all
  if (!logs.is_array()) return Garbage("log is not a list");
  if (logs.size() > kMaxTronReceiptLogs)
    return Garbage("more than " + std::to_string(kMaxTronReceiptLogs) + " logs");
  for (std::size_t i = 0; i < logs.size(); ++i) {
    const auto& log = logs[i];
    const auto& address = JsonField(log, "address");
    const auto& topics = JsonField(log, "topics");
    const auto& data = JsonField(log, "data");
    if (!address.is_string() || !topics.is_array())
      return Garbage("a log without address or topics");
    if (LogAddress(address.get<std::string>()) != token_hex || topics.size() != 3 ||
        topics[0] != kTransferTopic)
      continue;  // another contract's or another event
    TronTransferLog t;
    t.log_index = static_cast<std::int64_t>(i);
    t.from = TopicAddress(topics[1]);
    t.to = TopicAddress(topics[2]);
    if (t.from.empty() || t.to.empty()) return Garbage("a Transfer log with a malformed address");
    if (!receiver.empty() && t.to != receiver) continue;  // to someone else: never a deposit
    if (!data.is_string() || data.get<std::string>().size() != 64)
      return Garbage("a Transfer log without a 32-byte amount");
    auto raw = HexToDecimal("0x" + data.get<std::string>());
    if (!raw) return Garbage("a Transfer log's amount: " + raw.error().message);
    t.raw_amount = *raw;
    info.transfers.push_back(std::move(t));
  }
  return info;
}

Result<std::vector<Transfer>> TronDepositsConfirmed(const TronTransactionInfo& info,
                                                    const std::vector<Transfer>& listed,
                                                    const std::string& address,
                                                    std::vector<Transfer>* not_in_receipt) {
  std::vector<Transfer> out;
  for (const Transfer& claim : listed) {
    if (claim.block_number != info.block_time_ms)
      return MakeError(ErrorCode::kUnavailable,
                       "the listing puts " + info.id + " at " + std::to_string(claim.block_number) +
                           ", its receipt at " + std::to_string(info.block_time_ms));
  }
  if (!info.success) return out;
  for (const Transfer& claim : listed) {
    bool found = false;
    for (const TronTransferLog& log : info.transfers) {
      if (log.to != address || log.from != claim.from || log.raw_amount != claim.amount.raw)
        continue;
      found = true;
      Transfer t = claim;
      t.tx_id = info.id;
      t.event_index = log.log_index;
      t.block_number = info.block_time_ms;
      t.block_time = info.block_time_ms / 1000;
      out.push_back(std::move(t));
    }
    if (!found && not_in_receipt) not_in_receipt->push_back(claim);
  }
  return out;
}

}  // namespace instamarket
