#include "adapters/evm_adapter.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "adapters/evm_block_hashes.h"
#include "adapters/evm_range_reads.h"
#include "adapters/evm_rpc_words.h"
#include "adapters/json_field.h"
#include "adapters/json_rpc_client.h"
#include "metrics/metrics.h"

namespace instamarket {
namespace {

using evm::Garbage;
using evm::Hex;
using evm::kTransferTopic;

// decimals() of ERC-20, for eth_call.
constexpr char kDecimalsCall[] = "0x313ce567";

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

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool IsHex(std::string_view digits) {
  return std::all_of(digits.begin(), digits.end(),
                     [](unsigned char c) { return std::isxdigit(c) != 0; });
}

// "0x" and 64 hex digits: a transaction or block hash (stored, so never taken unchecked).
bool IsHash(const nlohmann::json& value) {
  if (!value.is_string()) return false;
  const auto& s = value.get_ref<const std::string&>();
  return s.size() == 66 && s[0] == '0' && s[1] == 'x' && IsHex(std::string_view(s).substr(2));
}

// Block numbers above this are a node's garbage, not a chain (2^48 blocks of 1 ms is 8900
// years); refusing them keeps every height + range sum far from overflow.
constexpr std::int64_t kMaxPlausibleBlock = std::int64_t{1} << 48;

// A 32-byte topic holding an address: its last 20 bytes.
Result<std::string> TopicAddress(const nlohmann::json& topic) {
  if (!IsHash(topic)) return Garbage("a topic is not 32 bytes of hex");
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
    if (auto id = VerifyIdentity(rpc_); !id) return id.error();  // its head would be the start
    auto heights = Heights();
    if (!heights) return heights.error();
    return ChainCursor{heights->second + 1};
  }

  Status VerifyAtStart() override {
    // Its own client with a short timeout: a hanging node must not hold `serve` for long (at
    // most 4 attempts of 2 s per network; refused connections fail at once).
    JsonRpcClient probe(network_.id, network_.rpc,
                        std::chrono::milliseconds(std::min(network_.rpc_timeout_ms, 2000)));
    auto id = VerifyIdentity(probe);
    if (id || id.error().code != ErrorCode::kFailedPrecondition) {
      if (!id) {
        Metrics::Get().RecordChainIdentityVerified(network_.id, false);
        spdlog::warn(
            "{}: cannot verify the chain id and token decimals yet ({}); nothing is "
            "recorded for it until a node confirms both",
            network_.id, id.error().message);
      }
      return OkStatus();
    }
    return MakeError(ErrorCode::kFailedPrecondition, network_.id + ": " + id.error().message);
  }

  Result<ChainBatch> Poll(const ChainCursor& cursor) override {
    if (auto id = VerifyIdentity(rpc_); !id) return id.error();
    auto heights = Heights();
    if (!heights) return heights.error();
    auto [head, final_height] = *heights;
    ChainBatch batch;
    batch.head = head;
    batch.final_height = final_height;
    batch.next = cursor;
    // Deep reorgs: the kept hashes of scanned blocks against the node (evm_block_hashes.h).
    ScanContinuity continuity([this](std::int64_t h) { return FreshBlockHash(h); });
    if (auto begun = continuity.Begin(cursor, final_height, batch); !begun) return begun.error();
    if (batch.deep_reorg) {
      blocks_.clear();  // cached hashes of replaced blocks
      return batch;
    }
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
    if (auto ended = continuity.End(cursor, batch); !ended) return ended.error();
    batch.reached_final_head = batch.next.position > final_height;
    if (batch.reached_final_head && head > final_height) {
      // Best effort: sightings only inform; the final scan decides.
      auto seen = TransfersIn(final_height + 1, std::min(head, final_height + range_));
      if (seen) batch.unconfirmed = std::move(*seen);
    }
    return batch;
  }

  Result<ChainAmount> WalletBalanceBefore(std::int64_t position) override {
    if (auto id = VerifyIdentity(rpc_); !id) return id.error();
    return EvmTokenBalanceAt(rpc_, network_, position - 1);
  }

  Result<std::vector<Transfer>> TransfersBetween(std::int64_t from, std::int64_t to,
                                                 TransferDirection direction) override {
    if (auto id = VerifyIdentity(rpc_); !id) return id.error();
    return EvmTransfersBetween(rpc_, network_, from, to, direction);
  }

  Result<BlockStamp> PositionBlock(std::int64_t position) override {
    if (auto id = VerifyIdentity(rpc_); !id) return id.error();
    return EvmBlockAt(rpc_, position);
  }

 private:
  // A node of another chain (a wrong URL, a testnet, a provider's mix-up) would feed us that
  // chain's transfers, which can share our token and wallet addresses: with chain_id set,
  // nothing is recorded until the node says it is that chain. Asked on every poll (and
  // before the first cursor is taken), since a failover may have moved to another endpoint.
  // The token's decimals() is asked until one node has confirmed it: a wrong `decimals`
  // credits the wrong amount, and nothing in the logs tells.
  Status VerifyIdentity(JsonRpcClient& rpc) {
    if (network_.chain_id != 0) {
      auto reply = rpc.Call("eth_chainId", nlohmann::json::array());
      if (!reply) return reply.error();
      auto id = ParseEvmQuantity(*reply, "eth_chainId");
      if (!id) return id.error();
      if (*id != network_.chain_id) {
        return MakeError(ErrorCode::kFailedPrecondition,
                         "the node says chain id " + std::to_string(*id) + ", the config " +
                             std::to_string(network_.chain_id) + ": nothing recorded");
      }
    }
    if (decimals_verified_) return OkStatus();
    auto reply =
        rpc.Call("eth_call", {{{"to", network_.token}, {"data", kDecimalsCall}}, "latest"});
    if (!reply) return reply.error();
    auto decimals = ParseEvmDecimalsReply(*reply);
    if (!decimals) return decimals.error();
    if (*decimals != std::to_string(network_.decimals)) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "the token " + network_.token + " says decimals() = " + *decimals +
                           ", the config " + std::to_string(network_.decimals) +
                           ": nothing recorded");
    }
    decimals_verified_ = true;
    Metrics::Get().RecordChainIdentityVerified(network_.id, true);
    return OkStatus();
  }

  // {head, final height}
  Result<std::pair<std::int64_t, std::int64_t>> Heights() {
    auto head_reply = rpc_.Call("eth_blockNumber", nlohmann::json::array());
    if (!head_reply) return head_reply.error();
    auto head = ParseEvmQuantity(*head_reply, "eth_blockNumber");
    if (!head) return head.error();
    if (*head > kMaxPlausibleBlock) return Garbage("eth_blockNumber is implausibly high");
    if (network_.finality.empty()) {
      return std::pair{*head, std::max<std::int64_t>(-1, *head - network_.confirmations)};
    }
    auto block = rpc_.Call("eth_getBlockByNumber", {network_.finality, false},
                           /*null_is_missing=*/true);
    if (!block) return block.error();
    if (!block->is_object()) return Garbage("no " + network_.finality + " block");
    auto final_height = ParseEvmQuantity(JsonField(*block, "number"), "block number");
    if (!final_height) return final_height.error();
    return std::pair{*head, std::min(*head, *final_height)};
  }

  // The node's hash of block `number` now (no cache), nullopt when it has none there.
  // Checked inside the request, so that a node answering null or garbage is the one that
  // fails (backs off) and the next endpoint is asked: a pruned or lagging first endpoint
  // must not hold the continuity checks, and with them the whole scan, for ever.
  Result<std::optional<std::string>> FreshBlockHash(std::int64_t number) {
    std::optional<std::string> hash;
    auto answered =
        rpc_.CallBatch({{"eth_getBlockByNumber", {Hex(number), false}}},
                       [&](const std::vector<nlohmann::json>& results) -> Status {
                         auto parsed = ParseBlockHashReply(results[0], number);
                         if (!parsed) return parsed.error();
                         if (!*parsed)
                           return Garbage("the node has no block " + std::to_string(number));
                         hash = **parsed;
                         return OkStatus();
                       });
    if (!answered) return answered.error();
    return hash;
  }

  struct BlockInfo {
    std::string hash;
    std::int64_t time = 0;
  };

  // Block `number` as a node answered it: its hash and time, or why the answer is unusable.
  static Result<BlockInfo> ParseBlock(const nlohmann::json& block, std::int64_t number) {
    if (!block.is_object()) return Garbage("no block " + std::to_string(number));
    auto answered = ParseEvmQuantity(JsonField(block, "number"), "block number");
    if (!answered) return answered.error();
    if (*answered != number) {
      return Garbage("asked for block " + std::to_string(number) + ", got " +
                     std::to_string(*answered));
    }
    if (!IsHash(JsonField(block, "hash"))) return Garbage("a block without a hash");
    auto time = ParseEvmQuantity(JsonField(block, "timestamp"), "block timestamp");
    if (!time) return time.error();
    return BlockInfo{Lower(JsonField(block, "hash").get<std::string>()), *time};
  }

  void Remember(std::int64_t number, const BlockInfo& info) {
    if (blocks_.size() > 4096) blocks_.clear();
    blocks_[number] = info;
  }

  Result<BlockInfo> Block(std::int64_t number) {
    if (auto it = blocks_.find(number); it != blocks_.end()) return it->second;
    auto reply = rpc_.Call("eth_getBlockByNumber", {Hex(number), false}, /*null_is_missing=*/true);
    if (!reply) return reply.error();
    auto info = ParseBlock(*reply, number);
    if (!info) return info.error();
    Remember(number, *info);
    return info;
  }

  // The Transfers to us in blocks [from, to]. The logs come in one batch POST with blocks
  // `from` and `to`, so the endpoint that lists them proves it has the whole range: a node
  // behind (or behind a load balancer) or pruned answers [] for blocks it has not got, and
  // its answer is refused (that endpoint backs off, the next is asked, the cursor stays). A
  // malformed log is refused the same way.
  Result<std::vector<Transfer>> TransfersIn(std::int64_t from, std::int64_t to) {
    nlohmann::json filter = {{"fromBlock", Hex(from)},
                             {"toBlock", Hex(to)},
                             {"address", network_.token},
                             {"topics", {kTransferTopic, nullptr, address_topic_}}};
    std::vector<JsonRpcClient::Request> calls = {{"eth_getLogs", nlohmann::json::array({filter})},
                                                 {"eth_getBlockByNumber", {Hex(to), false}}};
    if (from != to) calls.push_back({"eth_getBlockByNumber", {Hex(from), false}});
    // The endpoint that lists the logs says which chain it is in the same answer: a failover
    // between the identity check and this batch cannot feed us another chain's logs.
    if (network_.chain_id != 0) calls.push_back({"eth_chainId", nlohmann::json::array()});
    std::vector<Transfer> out;
    auto answered = rpc_.CallBatch(
        calls,
        [&](const std::vector<nlohmann::json>& results) {
          if (network_.chain_id != 0) {
            auto id = ParseEvmQuantity(results.back(), "eth_chainId");
            if (!id) return Status(id.error());
            if (*id != network_.chain_id) {
              return Status(
                  Garbage("the node listing the logs says chain id " + std::to_string(*id)));
            }
          }
          return CoveredTransfers(results, from, to, out);
        },
        // One block cannot be asked for in smaller parts: "too large" then means this endpoint
        // cannot serve it, and the next one is asked.
        /*range_limits=*/from != to);
    if (!answered) return answered.error();
    for (Transfer& t : out) {
      auto block = Block(t.block_number);
      if (!block) return block.error();
      if (block->hash != t.block_hash) {
        // The node's logs and blocks disagree (a reorg under our feet): ask again later.
        blocks_.erase(t.block_number);
        return MakeError(ErrorCode::kUnavailable,
                         "block " + std::to_string(t.block_number) + " changed while reading it");
      }
      t.block_time = block->time;
    }
    return out;
  }

  // `results`: getLogs, block `to`, block `from` (when from < to), from one endpoint.
  Status CoveredTransfers(const std::vector<nlohmann::json>& results, std::int64_t from,
                          std::int64_t to, std::vector<Transfer>& out) {
    out.clear();
    auto last = ParseBlock(results[1], to);
    if (!last) {
      return Garbage("the node lacks block " + std::to_string(to) +
                     " (behind?): " + last.error().message);
    }
    if (from != to) {
      auto first = ParseBlock(results[2], from);
      if (!first) {
        return Garbage("the node lacks block " + std::to_string(from) +
                       " (pruned?): " + first.error().message);
      }
      Remember(from, *first);
    }
    if (!results[0].is_array()) return Garbage("eth_getLogs did not return a list");
    for (const auto& log : results[0]) {
      auto parsed = ParseEvmTransferLog(log, network_, from, to);
      if (!parsed) return parsed.error();
      if (!*parsed) continue;
      if ((*parsed)->block_number == to && (*parsed)->block_hash != last->hash) {
        return Garbage("logs of block " + std::to_string(to) + " name another block hash");
      }
      out.push_back(std::move(**parsed));
    }
    Remember(to, *last);
    return OkStatus();
  }

  NetworkConfig network_;
  JsonRpcClient rpc_;
  std::int64_t range_;
  std::string address_topic_;
  std::map<std::int64_t, BlockInfo> blocks_;
  bool decimals_verified_ = false;
};

}  // namespace

Result<std::optional<Transfer>> ParseEvmTransferLog(const nlohmann::json& log,
                                                    const NetworkConfig& network, std::int64_t from,
                                                    std::int64_t to, TransferDirection direction) {
  if (!log.is_object()) return Garbage("a log is not an object");
  // JsonField, never log["..."]: nlohmann's const operator[] on a missing key is undefined
  // behaviour (a log without transactionHash read the map's end node as a value; found by
  // tests/fuzz/fuzz_evm_response), and value() threw when "removed" was not a bool.
  if (JsonField(log, "removed") == true) return std::optional<Transfer>{};
  // Every field a node owes us, checked before any is read: a log with one missing or of the
  // wrong type is a broken answer (refused and asked again), never a log to skip.
  const auto& address = JsonField(log, "address");
  const auto& topics = JsonField(log, "topics");
  const auto& data = JsonField(log, "data");
  if (!address.is_string() || address.get_ref<const std::string&>().size() != 42 ||
      address.get_ref<const std::string&>().rfind("0x", 0) != 0 ||
      !IsHex(std::string_view(address.get_ref<const std::string&>()).substr(2))) {
    return Garbage("a log without an address");
  }
  if (!topics.is_array() || topics.empty()) return Garbage("a log without topics");
  if (!data.is_string()) return Garbage("a log without data");
  if (!IsHash(JsonField(log, "transactionHash"))) return Garbage("a log without transactionHash");
  if (!IsHash(JsonField(log, "blockHash"))) return Garbage("a log without blockHash");
  auto index = ParseEvmQuantity(JsonField(log, "logIndex"), "logIndex");
  auto number = ParseEvmQuantity(JsonField(log, "blockNumber"), "blockNumber");
  if (!index || !number) return Garbage("a log without logIndex or blockNumber");
  if (*number < from || *number > to) return Garbage("a log outside the asked range");
  // Well-formed but not ours (another token, event or receiver than the filter asked for): a
  // sloppy node's extra, skipped.
  // Compared in lowercase: hex from a node or proxy may come in either case.
  if (topics.size() != 3 || !topics[0].is_string() ||
      Lower(topics[0].get<std::string>()) != kTransferTopic) {
    return std::optional<Transfer>{};
  }
  if (Lower(address.get<std::string>()) != network.token) return std::optional<Transfer>{};
  auto sender = TopicAddress(topics[1]);
  auto receiver = TopicAddress(topics[2]);
  if (!sender || !receiver) return Garbage("bad Transfer topics");
  if ((direction == TransferDirection::kIncoming ? *receiver : *sender) != network.address)
    return std::optional<Transfer>{};
  auto raw = HexToDecimal(data.get<std::string>());
  if (!raw) return Garbage("Transfer data: " + raw.error().message);
  // A zero-value Transfer moves nothing (address-poisoning spam): never a deposit. A mint
  // (from the zero address, as USD₮0 on Arbitrum credits the master) is one like any other.
  if (*raw == "0") return std::optional<Transfer>{};
  Transfer t;
  t.from = *sender;
  t.to = *receiver;
  t.tx_id = Lower(JsonField(log, "transactionHash").get<std::string>());
  t.block_hash = Lower(JsonField(log, "blockHash").get<std::string>());
  t.event_index = *index;
  t.block_number = *number;
  t.amount = ChainAmount{*raw, network.decimals};
  return std::optional<Transfer>{std::move(t)};
}

Result<std::string> ParseEvmDecimalsReply(const nlohmann::json& reply) {
  // An ABI uint8: one 32-byte word. "0x" is no contract at that address on this node.
  if (!reply.is_string()) return Garbage("decimals() did not return a string");
  const auto& s = reply.get_ref<const std::string&>();
  if (s == "0x") return Garbage("no contract answers decimals() at the token address");
  if (s.size() != 66) return Garbage("decimals() did not return one 32-byte word");
  auto value = HexToDecimal(s);
  if (!value) return Garbage("decimals(): " + value.error().message);
  return *value;
}

Result<std::unique_ptr<ChainAdapter>> MakeEvmAdapter(const NetworkConfig& network) {
  return std::unique_ptr<ChainAdapter>(std::make_unique<EvmAdapter>(network));
}

}  // namespace instamarket
