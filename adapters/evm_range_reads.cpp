#include "adapters/evm_range_reads.h"

#include <algorithm>
#include <charconv>

#include "adapters/evm_adapter.h"
#include "adapters/json_field.h"

namespace instamarket {
namespace {

// keccak256("Transfer(address,address,uint256)")
constexpr char kTransferTopic[] =
    "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
// The selector of balanceOf(address).
constexpr char kBalanceOfSelector[] = "0x70a08231";

Error Garbage(const std::string& what) {
  return MakeError(ErrorCode::kUnavailable, "unexpected RPC reply: " + what);
}

std::string Hex(std::int64_t n) {
  char buf[20];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n, 16);
  (void)ec;
  return "0x" + std::string(buf, end);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// network.address (0x + 40 hex digits) as a 32-byte word: a topic or an ABI argument.
std::string AddressWord(const NetworkConfig& network) {
  return "000000000000000000000000" + network.address.substr(2);
}

Result<std::string> TopicAddress(const nlohmann::json& topic) {
  if (!topic.is_string() || topic.get_ref<const std::string&>().size() != 66) {
    return Garbage("a topic is not 32 bytes");
  }
  return "0x" + Lower(topic.get<std::string>().substr(26));
}

}  // namespace

Result<ChainAmount> EvmTokenBalanceAt(JsonRpcClient& rpc, const NetworkConfig& network,
                                      std::int64_t block) {
  if (block < 0) return ChainAmount{"0", network.decimals};
  nlohmann::json call = {{"to", network.token},
                         {"data", kBalanceOfSelector + AddressWord(network)}};
  auto reply = rpc.Call("eth_call", {call, Hex(block)});
  if (!reply) return reply.error();
  // A uint256: one 32-byte word. "0x" is what a node answers for an address without code.
  if (!reply->is_string() || reply->get_ref<const std::string&>().size() != 66) {
    return Garbage("balanceOf did not return one 32-byte word (is `token` a contract?)");
  }
  auto raw = HexToDecimal(reply->get<std::string>());
  if (!raw) return Garbage("balanceOf: " + raw.error().message);
  return ChainAmount{*raw, network.decimals};
}

Result<std::int64_t> EvmBlockTime(JsonRpcClient& rpc, std::int64_t block) {
  auto reply = rpc.Call("eth_getBlockByNumber", {Hex(block), false}, /*null_is_missing=*/true);
  if (!reply) return reply.error();
  return ParseEvmQuantity(JsonField(*reply, "timestamp"), "block timestamp");
}

Result<std::optional<Transfer>> ParseErc20TransferLog(const nlohmann::json& log,
                                                      const NetworkConfig& network) {
  if (!log.is_object()) return Garbage("a log is not an object");
  if (JsonField(log, "removed") == true) return std::optional<Transfer>{};
  const auto& topics = JsonField(log, "topics");
  if (!topics.is_array() || topics.size() != 3 || topics[0] != kTransferTopic)
    return std::optional<Transfer>{};
  const auto& address = JsonField(log, "address");
  if (!address.is_string() || Lower(address.get<std::string>()) != network.token)
    return std::optional<Transfer>{};
  auto sender = TopicAddress(topics[1]);
  auto receiver = TopicAddress(topics[2]);
  if (!sender || !receiver) return Garbage("bad Transfer topics");
  const auto& tx = JsonField(log, "transactionHash");
  const auto& block_hash = JsonField(log, "blockHash");
  const auto& data = JsonField(log, "data");
  if (!tx.is_string() || !block_hash.is_string() || !data.is_string())
    return Garbage("a log without transactionHash, blockHash or data");
  auto index = ParseEvmQuantity(JsonField(log, "logIndex"), "logIndex");
  auto number = ParseEvmQuantity(JsonField(log, "blockNumber"), "blockNumber");
  if (!index || !number) return Garbage("a log without logIndex or blockNumber");
  auto raw = HexToDecimal(data.get<std::string>());
  if (!raw) return Garbage("Transfer data: " + raw.error().message);
  Transfer t;
  t.from = *sender;
  t.to = *receiver;
  t.tx_id = Lower(tx.get<std::string>());
  t.block_hash = Lower(block_hash.get<std::string>());
  t.event_index = *index;
  t.block_number = *number;
  t.amount = ChainAmount{*raw, network.decimals};
  return std::optional<Transfer>{std::move(t)};
}

Result<std::vector<Transfer>> EvmTransfersBetween(JsonRpcClient& rpc,
                                                  const NetworkConfig& network, std::int64_t from,
                                                  std::int64_t to, TransferDirection direction) {
  const bool incoming = direction == TransferDirection::kIncoming;
  const std::string wallet_topic = "0x" + AddressWord(network);
  nlohmann::json topics = incoming ? nlohmann::json{kTransferTopic, nullptr, wallet_topic}
                                   : nlohmann::json{kTransferTopic, wallet_topic};
  std::vector<Transfer> out;
  std::int64_t range = std::max<std::int64_t>(1, network.max_block_range);
  for (std::int64_t start = std::max<std::int64_t>(0, from); start <= to;) {
    std::int64_t end = std::min(to, start + range - 1);
    nlohmann::json filter = {{"fromBlock", Hex(start)},
                             {"toBlock", Hex(end)},
                             {"address", network.token},
                             {"topics", topics}};
    auto logs = rpc.Call("eth_getLogs", nlohmann::json::array({filter}));
    if (!logs) {
      if (logs.error().code != ErrorCode::kResourceExhausted || end == start) {
        return MakeError(ErrorCode::kUnavailable, logs.error().message);
      }
      range = std::max<std::int64_t>(1, (end - start + 1) / 2);
      continue;
    }
    if (!logs->is_array()) return Garbage("eth_getLogs did not return a list");
    for (const auto& log : *logs) {
      auto parsed = ParseErc20TransferLog(log, network);
      if (!parsed) return parsed.error();
      if (!*parsed) continue;
      Transfer& t = **parsed;
      if (t.block_number < start || t.block_number > end)
        return Garbage("a log outside the asked range");
      if ((incoming ? t.to : t.from) != network.address) continue;  // a node ignoring the filter
      if (t.amount.raw == "0") continue;
      out.push_back(std::move(t));
    }
    start = end + 1;
  }
  return out;
}

}  // namespace instamarket
