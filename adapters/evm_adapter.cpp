#include "adapters/evm_adapter.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "adapters/json_field.h"
#include "adapters/evm_range_reads.h"
#include "adapters/json_rpc_client.h"

namespace instamarket {
namespace {

// keccak256("Transfer(address,address,uint256)")
constexpr char kTransferTopic[] =
    "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";

Error Garbage(const std::string& what) {
  return MakeError(ErrorCode::kUnavailable, "unexpected RPC reply: " + what);
}

}  // namespace

Result<std::int64_t> ParseEvmQuantity(const nlohmann::json& value, const char* what) {
  if (!value.is_string()) return Garbage(std::string(what) + " is not a hex quantity");
  const std::string& s = value.get_ref<const std::string&>();
  if (s.size() < 3 || s[0] != '0' || s[1] != 'x' || s.size() > 18) {
    return Garbage(std::string(what) + " is not a hex quantity");
  }
  std::int64_t out = 0;
  auto [end, ec] = std::from_chars(s.data() + 2, s.data() + s.size(), out, 16);
  if (ec != std::errc() || end != s.data() + s.size() || out < 0) {
    return Garbage(std::string(what) + " is not a hex quantity");
  }
  return out;
}

namespace {

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

// A 32-byte topic holding an address: its last 20 bytes.
Result<std::string> TopicAddress(const nlohmann::json& topic) {
  if (!topic.is_string() || topic.get_ref<const std::string&>().size() != 66) {
    return Garbage("a topic is not 32 bytes");
  }
  return "0x" + Lower(topic.get<std::string>().substr(26));
}

class EvmAdapter final : public ChainAdapter {
 public:
  explicit EvmAdapter(const NetworkConfig& network)
      : network_(network),
        rpc_(network.id, network.rpc, std::chrono::milliseconds(network.rpc_timeout_ms)),
        range_(network.max_block_range),
        address_topic_("0x000000000000000000000000" + network.address.substr(2)) {}

  Result<ChainCursor> InitialCursor() override {
    if (network_.start != "latest") return ChainCursor{std::stoll(network_.start)};
    if (auto chain = VerifyChain(); !chain) return chain.error();  // its head would be the start
    auto heights = Heights();
    if (!heights) return heights.error();
    return ChainCursor{heights->second + 1};
  }

  Result<ChainBatch> Poll(const ChainCursor& cursor) override {
    if (auto chain = VerifyChain(); !chain) return chain.error();
    auto heights = Heights();
    if (!heights) return heights.error();
    auto [head, final_height] = *heights;
    ChainBatch batch;
    batch.head = head;
    batch.final_height = final_height;
    batch.next = cursor;
    if (cursor.position <= final_height) {
      std::int64_t from = cursor.position;
      for (;;) {
        std::int64_t to = std::min(final_height, from + range_ - 1);
        auto transfers = TransfersIn(from, to);
        if (transfers.ok()) {
          batch.final_transfers = std::move(*transfers);
          batch.next.position = to + 1;
          range_ = std::min(network_.max_block_range, range_ * 2);
          break;
        }
        if (transfers.error().code != ErrorCode::kResourceExhausted) return transfers.error();
        if (to == from) return MakeError(ErrorCode::kUnavailable, transfers.error().message);
        range_ = std::max<std::int64_t>(1, (to - from + 1) / 2);
        spdlog::info("{}: node refused {} blocks of logs; asking for {}", network_.id,
                     to - from + 1, range_);
      }
    }
    batch.reached_final_head = batch.next.position > final_height;
    if (batch.reached_final_head && head > final_height) {
      // Best effort: sightings only inform; the final scan decides.
      auto seen = TransfersIn(final_height + 1, std::min(head, final_height + range_));
      if (seen) batch.unconfirmed = std::move(*seen);
    }
    return batch;
  }

  Result<ChainAmount> WalletBalanceBefore(std::int64_t position) override {
    if (auto chain = VerifyChain(); !chain) return chain.error();
    return EvmTokenBalanceAt(rpc_, network_, position - 1);
  }

  Result<std::vector<Transfer>> TransfersBetween(std::int64_t from, std::int64_t to,
                                                 TransferDirection direction) override {
    if (auto chain = VerifyChain(); !chain) return chain.error();
    return EvmTransfersBetween(rpc_, network_, from, to, direction);
  }

  Result<std::int64_t> PositionTime(std::int64_t position) override {
    if (auto chain = VerifyChain(); !chain) return chain.error();
    return EvmBlockTime(rpc_, position);
  }

 private:
  // A node of another chain (a wrong URL, a testnet, a provider's mix-up) would feed us that
  // chain's transfers, which can share our token and wallet addresses: with chain_id set,
  // nothing is recorded until the node says it is that chain. Asked on every poll (and
  // before the first cursor is taken), since a failover may have moved to another endpoint.
  Status VerifyChain() {
    if (network_.chain_id == 0) return OkStatus();
    auto reply = rpc_.Call("eth_chainId", nlohmann::json::array());
    if (!reply) return reply.error();
    auto id = ParseEvmQuantity(*reply, "eth_chainId");
    if (!id) return id.error();
    if (*id != network_.chain_id) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "the node says chain id " + std::to_string(*id) + ", the config " +
                           std::to_string(network_.chain_id) + ": nothing recorded");
    }
    return OkStatus();
  }

  // {head, final height}
  Result<std::pair<std::int64_t, std::int64_t>> Heights() {
    auto head_reply = rpc_.Call("eth_blockNumber", nlohmann::json::array());
    if (!head_reply) return head_reply.error();
    auto head = ParseEvmQuantity(*head_reply, "eth_blockNumber");
    if (!head) return head.error();
    if (network_.finality.empty()) {
      return std::pair{*head, std::max<std::int64_t>(-1, *head - network_.confirmations)};
    }
    auto block = rpc_.Call("eth_getBlockByNumber", {network_.finality, false});
    if (!block) return block.error();
    if (!block->is_object()) return Garbage("no " + network_.finality + " block");
    auto final_height = ParseEvmQuantity((*block)["number"], "block number");
    if (!final_height) return final_height.error();
    return std::pair{*head, std::min(*head, *final_height)};
  }

  struct BlockInfo {
    std::string hash;
    std::int64_t time = 0;
  };

  Result<BlockInfo> Block(std::int64_t number) {
    if (auto it = blocks_.find(number); it != blocks_.end()) return it->second;
    auto reply = rpc_.Call("eth_getBlockByNumber", {Hex(number), false});
    if (!reply) return reply.error();
    if (!reply->is_object() || !(*reply)["hash"].is_string())
      return Garbage("no block " + std::to_string(number));
    auto time = ParseEvmQuantity((*reply)["timestamp"], "block timestamp");
    if (!time) return time.error();
    BlockInfo info{Lower((*reply)["hash"].get<std::string>()), *time};
    if (blocks_.size() > 4096) blocks_.clear();
    blocks_[number] = info;
    return info;
  }

  Result<std::vector<Transfer>> TransfersIn(std::int64_t from, std::int64_t to) {
    nlohmann::json filter = {{"fromBlock", Hex(from)},
                             {"toBlock", Hex(to)},
                             {"address", network_.token},
                             {"topics", {kTransferTopic, nullptr, address_topic_}}};
    auto logs = rpc_.Call("eth_getLogs", nlohmann::json::array({filter}));
    if (!logs) return logs.error();
    if (!logs->is_array()) return Garbage("eth_getLogs did not return a list");
    std::vector<Transfer> out;
    for (const auto& log : *logs) {
      auto parsed = ParseEvmTransferLog(log, network_, from, to);
      if (!parsed) return parsed.error();
      if (!*parsed) continue;
      Transfer t = std::move(**parsed);
      auto block = Block(t.block_number);
      if (!block) return block.error();
      if (block->hash != t.block_hash) {
        // The node's logs and blocks disagree (a reorg under our feet): ask again later.
        blocks_.erase(t.block_number);
        return MakeError(ErrorCode::kUnavailable,
                         "block " + std::to_string(t.block_number) + " changed while reading it");
      }
      t.block_time = block->time;
      out.push_back(std::move(t));
    }
    return out;
  }

  NetworkConfig network_;
  JsonRpcClient rpc_;
  std::int64_t range_;
  std::string address_topic_;
  std::map<std::int64_t, BlockInfo> blocks_;
};

}  // namespace

Result<std::optional<Transfer>> ParseEvmTransferLog(const nlohmann::json& log,
                                                    const NetworkConfig& network, std::int64_t from,
                                                    std::int64_t to) {
  if (!log.is_object()) return Garbage("a log is not an object");
  // JsonField, never log["..."]: nlohmann's const operator[] on a missing key is undefined
  // behaviour (a log without transactionHash read the map's end node as a value; found by
  // tests/fuzz/fuzz_evm_response), and value() threw when "removed" was not a bool.
  if (JsonField(log, "removed") == true) return std::optional<Transfer>{};
  const auto& topics = JsonField(log, "topics");
  if (!topics.is_array() || topics.size() != 3 || topics[0] != kTransferTopic)
    return std::optional<Transfer>{};
  if (!JsonField(log, "address").is_string() ||
      Lower(JsonField(log, "address").get<std::string>()) != network.token)
    return std::optional<Transfer>{};
  Transfer t;
  auto sender = TopicAddress(topics[1]);
  auto receiver = TopicAddress(topics[2]);
  if (!sender || !receiver) return Garbage("bad Transfer topics");
  if (*receiver != network.address) return std::optional<Transfer>{};
  t.from = *sender;
  t.to = *receiver;
  if (!JsonField(log, "transactionHash").is_string() || !JsonField(log, "blockHash").is_string() ||
      !JsonField(log, "data").is_string()) {
    return Garbage("a log without transactionHash, blockHash or data");
  }
  t.tx_id = Lower(JsonField(log, "transactionHash").get<std::string>());
  t.block_hash = Lower(JsonField(log, "blockHash").get<std::string>());
  auto index = ParseEvmQuantity(JsonField(log, "logIndex"), "logIndex");
  auto number = ParseEvmQuantity(JsonField(log, "blockNumber"), "blockNumber");
  if (!index || !number) return Garbage("a log without logIndex or blockNumber");
  if (*number < from || *number > to) return Garbage("a log outside the asked range");
  t.event_index = *index;
  t.block_number = *number;
  auto raw = HexToDecimal(JsonField(log, "data").get<std::string>());
  if (!raw) return Garbage("Transfer data: " + raw.error().message);
  t.amount = ChainAmount{*raw, network.decimals};
  return std::optional<Transfer>{std::move(t)};
}

Result<std::unique_ptr<ChainAdapter>> MakeEvmAdapter(const NetworkConfig& network) {
  return std::unique_ptr<ChainAdapter>(std::make_unique<EvmAdapter>(network));
}

}  // namespace instamarket
