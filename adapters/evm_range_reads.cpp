#include "adapters/evm_range_reads.h"

#include <algorithm>
#include <charconv>

#include "adapters/evm_adapter.h"
#include "adapters/evm_rpc_words.h"
#include "adapters/json_field.h"

namespace instamarket {
namespace {

using evm::Garbage;
using evm::Hex;
using evm::kTransferTopic;

// The selector of balanceOf(address).
constexpr char kBalanceOfSelector[] = "0x70a08231";

// network.address (0x + 40 hex digits) as a 32-byte word: a topic or an ABI argument.
std::string AddressWord(const NetworkConfig& network) {
  return "000000000000000000000000" + network.address.substr(2);
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

Result<BlockStamp> EvmBlockAt(JsonRpcClient& rpc, std::int64_t block) {
  auto reply = rpc.Call("eth_getBlockByNumber", {Hex(block), false}, /*null_is_missing=*/true);
  if (!reply) return reply.error();
  auto number = ParseEvmQuantity(JsonField(*reply, "number"), "block number");
  if (!number || *number != block) return Garbage("not block " + std::to_string(block));
  const auto& hash = JsonField(*reply, "hash");
  if (!hash.is_string() || hash.get_ref<const std::string&>().size() != 66)
    return Garbage("a block without a hash");
  auto time = ParseEvmQuantity(JsonField(*reply, "timestamp"), "block timestamp");
  if (!time) return time.error();
  std::string lower = hash.get<std::string>();
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return BlockStamp{lower, *time};
}

namespace {

// Whether `block` is the node's block `number` (an object naming that number).
bool HasBlock(const nlohmann::json& block, std::int64_t number) {
  auto answered = ParseEvmQuantity(JsonField(block, "number"), "block number");
  return answered.ok() && *answered == number;
}

}  // namespace

Result<std::vector<Transfer>> EvmTransfersBetween(JsonRpcClient& rpc, const NetworkConfig& network,
                                                  std::int64_t from, std::int64_t to,
                                                  TransferDirection direction) {
  const bool incoming = direction == TransferDirection::kIncoming;
  const std::string wallet_topic = "0x" + AddressWord(network);
  nlohmann::json topics = incoming ? nlohmann::json{kTransferTopic, nullptr, wallet_topic}
                                   : nlohmann::json{kTransferTopic, wallet_topic};
  std::vector<Transfer> out;
  std::int64_t range = std::max<std::int64_t>(1, network.max_block_range);
  for (std::int64_t start = std::max<std::int64_t>(0, from); start <= to;) {
    const std::int64_t end = std::min(to, start + range - 1);
    nlohmann::json filter = {{"fromBlock", Hex(start)},
                             {"toBlock", Hex(end)},
                             {"address", network.token},
                             {"topics", topics}};
    // As the watcher asks (evm_adapter.cpp): with both ends of the range and the chain id in
    // one batch, so a node behind, pruned or of another chain cannot answer "nothing there".
    std::vector<JsonRpcClient::Request> calls = {{"eth_getLogs", nlohmann::json::array({filter})},
                                                 {"eth_getBlockByNumber", {Hex(end), false}},
                                                 {"eth_getBlockByNumber", {Hex(start), false}},
                                                 {"eth_chainId", nlohmann::json::array()}};
    std::vector<Transfer> found;
    auto answered = rpc.CallBatch(
        calls,
        [&](const std::vector<nlohmann::json>& results) -> Status {
          if (!HasBlock(results[1], end) || !HasBlock(results[2], start)) {
            return Garbage("the node lacks blocks " + std::to_string(start) + ".." +
                           std::to_string(end) + " (behind or pruned?)");
          }
          if (network.chain_id != 0) {
            auto id = ParseEvmQuantity(results[3], "eth_chainId");
            if (!id || *id != network.chain_id) return Garbage("a node of another chain");
          }
          if (!results[0].is_array()) return Garbage("eth_getLogs did not return a list");
          found.clear();
          for (const auto& log : results[0]) {
            auto parsed = ParseEvmTransferLog(log, network, start, end, direction);
            if (!parsed) return parsed.error();
            if (*parsed) found.push_back(std::move(**parsed));
          }
          return OkStatus();
        },
        /*range_limits=*/start != end);
    if (!answered) {
      if (answered.error().code != ErrorCode::kResourceExhausted) return answered.error();
      range = std::max<std::int64_t>(1, (end - start + 1) / 2);
      continue;
    }
    for (auto& t : found) out.push_back(std::move(t));
    start = end + 1;
  }
  return out;
}

}  // namespace instamarket
