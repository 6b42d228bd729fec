#include "adapters/ton_adapter.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <tuple>
#include <unordered_map>

#include "adapters/http_endpoints.h"
#include "adapters/json_field.h"
#include "adapters/ton_comment.h"
#include "adapters/ton_jetton_wallet.h"
#include "core/ton_address.h"

namespace instamarket {
namespace {

constexpr int kDefaultPageLimit = 256;
constexpr int kMaxPagesPerPoll = 8;  // then the batch is recorded and the next poll goes on
// Transfers are listed by the logical time of the sender's jetton-wallet transaction, and
// shards' blocks reach the index in commit order, not lt order: a transfer can appear a little
// below lts already taken. Each query starts this far back (block lts advance by 10^6 per
// block, so this is about a hundred blocks, minutes of chain time).
constexpr std::int64_t kLateListingWindowLt = 100'000'000;
// Senders' jetton wallets kept in memory (a derivation never changes); then the cache restarts.
constexpr std::size_t kMaxCachedWallets = 4096;

Error Garbage(const std::string& what) {
  return MakeError(ErrorCode::kUnavailable, "unexpected toncenter reply: " + what);
}

// toncenter writes 64-bit numbers as strings; older answers used numbers.
std::optional<std::int64_t> Int64Field(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (!it->is_string()) return std::nullopt;
  const std::string& s = it->get_ref<const std::string&>();
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string RawOrEmpty(const nlohmann::json& value) {
  if (!value.is_string()) return "";
  auto raw = TonRawAddress(value.get<std::string>());
  return raw ? *raw : "";
}

// A 32-byte hash as toncenter writes it: base64 (44 characters with the padding, standard or
// URL-safe alphabet) or 64 hex digits.
bool IsTonTransactionHash(const std::string& s) {
  auto all = [&](std::size_t n, auto pred) {
    return std::all_of(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(n),
                       [&](unsigned char c) { return pred(c); });
  };
  if (s.size() == 64) return all(64, [](unsigned char c) { return std::isxdigit(c) != 0; });
  return s.size() == 44 && s[43] == '=' && all(43, [](unsigned char c) {
           return std::isalnum(c) != 0 || c == '+' || c == '/' || c == '-' || c == '_';
         });
}

Result<nlohmann::json> CheckPage(nlohmann::json body) {
  if (!body.is_object() || !JsonField(body, "jetton_transfers").is_array())
    return Garbage("no jetton_transfers list");
  return body;
}

class TonAdapter final : public ChainAdapter {
 public:
  explicit TonAdapter(const NetworkConfig& network)
      : network_(network),
        page_limit_(network.page_size > 0 ? network.page_size : kDefaultPageLimit),
        http_(network.id, network.rpc, std::chrono::milliseconds(network.rpc_timeout_ms),
              network.api_key.empty() ? std::vector<std::string>{}
                                      : std::vector<std::string>{"X-API-Key: " + network.api_key}) {
  }

  Result<ChainCursor> InitialCursor() override {
    if (network_.start != "latest") return PositionCursor::Starting(std::stoll(network_.start));
    // Just above the newest transfer to us.
    auto body = http_.Get(Query(0, "desc", 1, 0), CheckPage);
    if (!body) return body.error();
    auto records = ParseTonTransfers(*body, network_);
    if (!records) return records.error();
    if (records->empty()) return PositionCursor::Starting(0);
    return PositionCursor::Starting(records->front().position + 1);
  }

  Result<std::string> WalletPublicKey(const std::string& address) override {
    auto raw = TonRawAddress(address);
    if (!raw) return raw.error();
    nlohmann::json request = {
        {"address", *raw}, {"method", "get_public_key"}, {"stack", nlohmann::json::array()}};
    auto body = http_.Post("/api/v3/runGetMethod", request.dump(), [](nlohmann::json reply) {
      // Garbage tries the next endpoint; a failed get-method is the wallet's answer.
      auto key = ParseTonPublicKey(reply);
      if (!key && key.error().code == ErrorCode::kUnavailable)
        return Result<nlohmann::json>(key.error());
      return Result<nlohmann::json>(std::move(reply));
    });
    if (!body) return body.error();
    auto key = ParseTonPublicKey(*body);
    if (!key && key.error().code == ErrorCode::kFailedPrecondition)
      return MakeError(
          ErrorCode::kFailedPrecondition,
          "the TON wallet " + address + " cannot tell its public key: " + key.error().message);
    return key;
  }

  Result<ChainBatch> Poll(const ChainCursor& from) override {
    PositionCursor cursor(from, kLateListingWindowLt);
    const std::int64_t query_from = cursor.QueryFrom();
    ChainBatch batch;
    bool more = true, taken_any = false;
    // Past kMaxPagesPerPoll only while nothing new was found: a window full of records taken
    // before must not stall the feed.
    for (int page = 0; more && (page < kMaxPagesPerPoll || !taken_any); ++page) {
      auto body = http_.Get(Query(query_from, "asc", page_limit_, page * page_limit_), CheckPage);
      if (!body) return body.error();
      auto records = ParseTonTransfers(*body, network_);
      if (!records) return records.error();
      const auto& listed = JsonField(*body, "jetton_transfers");  // records[i] is listed[i]
      for (std::size_t i = 0; i < records->size(); ++i) {
        auto& record = (*records)[i];
        if (cursor.Seen(record.position, record.key)) continue;
        if (record.transfer) {
          auto genuine = SentByOurJettonsWallet(listed[i]);
          if (!genuine) return genuine.error();
          if (!*genuine) {
            spdlog::error(
                "{}: {} comes from a jetton wallet that the jetton master did not derive "
                "for its sender (a fake jetton); not credited",
                network_.id, record.key);
            record.transfer.reset();
          }
        }
        if (auto taken = cursor.Take(record.position, record.key); !taken) return taken.error();
        taken_any = true;
        if (record.transfer) batch.final_transfers.push_back(std::move(*record.transfer));
      }
      more = records->size() >= static_cast<std::size_t>(page_limit_);
    }
    // Equal lts come from the index in no particular order: (lt, hash) makes the order in which
    // the matcher sees them (which of two equal payments takes an intent) the same on a replay.
    std::stable_sort(batch.final_transfers.begin(), batch.final_transfers.end(),
                     [](const Transfer& a, const Transfer& b) {
                       return std::tie(a.block_number, a.tx_id) < std::tie(b.block_number, b.tx_id);
                     });
    batch.next = cursor.ToChainCursor();
    batch.reached_final_head = !more;
    // Positions are logical times; no head is asked for, so a caught-up feed shows no lag.
    batch.final_height = batch.next.position - (more ? 0 : 1);
    batch.head = batch.next.position;
    return batch;
  }

 private:
  // Whether the transfer's sending jetton wallet (`source_wallet`) is the one the configured
  // master derives for its sender (`source`): false for a wallet of another master, whatever
  // `jetton_master` the indexer names. A record of ours that names no sender or wallet is
  // garbage (unavailable, asked again), not dropped: the index may have left them out. Only a
  // derivation that matched is cached: a lying get_wallet_address answer, cached, would drop
  // every later real deposit of that sender.
  Result<bool> SentByOurJettonsWallet(const nlohmann::json& record) {
    std::string sender = RawOrEmpty(JsonField(record, "source"));
    std::string wallet = RawOrEmpty(JsonField(record, "source_wallet"));
    if (sender.empty() || wallet.empty())
      return Garbage("a transfer to us without source or source_wallet");
    if (auto it = wallets_.find(sender); it != wallets_.end() && it->second == wallet) return true;
    auto derived = JettonWalletOf(sender);
    if (!derived) return derived.error();
    if (*derived != wallet) return false;
    if (wallets_.size() >= kMaxCachedWallets) wallets_.clear();
    wallets_[sender] = wallet;
    return true;
  }

  // The master's get_wallet_address(owner), as answered (not cached: see above).
  Result<std::string> JettonWalletOf(const std::string& owner) {
    nlohmann::json request = {
        {"address", network_.token},
        {"method", "get_wallet_address"},
        {"stack", {{{"type", "slice"}, {"value", TonAddressSliceBoc(owner)}}}}};
    auto body = http_.Post("/api/v3/runGetMethod", request.dump(),
                           [](nlohmann::json reply) -> Result<nlohmann::json> {
                             auto wallet = ParseTonWalletAddress(reply);
                             if (!wallet && wallet.error().code == ErrorCode::kUnavailable)
                               return wallet.error();  // garbage: the next endpoint
                             return reply;
                           });
    if (!body) return body.error();
    auto wallet = ParseTonWalletAddress(*body);
    if (!wallet)  // not a jetton master: a configuration error, nothing is credited
      return MakeError(ErrorCode::kUnavailable, network_.id + ": " + wallet.error().message);
    return wallet;
  }

  std::string Query(std::int64_t start_lt, const char* sort, int limit, int offset) const {
    return "/api/v3/jetton/transfers?owner_address=" + UrlEscape(network_.address) +
           "&jetton_master=" + UrlEscape(network_.token) +
           "&direction=in&start_lt=" + std::to_string(start_lt) + "&sort=" + sort +
           "&limit=" + std::to_string(limit) + "&offset=" + std::to_string(offset);
  }

  NetworkConfig network_;
  int page_limit_;
  HttpEndpoints http_;
  std::unordered_map<std::string, std::string>
      wallets_;  // sender -> its USDT jetton wallet, confirmed
};

}  // namespace

Result<std::vector<FeedRecord>> ParseTonTransfers(const nlohmann::json& body,
                                                  const NetworkConfig& network) {
  if (!body.is_object() || !body.contains("jetton_transfers") ||
      !JsonField(body, "jetton_transfers").is_array())
    return Garbage("no jetton_transfers list");
  std::vector<FeedRecord> out;
  for (const auto& r : JsonField(body, "jetton_transfers")) {
    if (!r.is_object()) return Garbage("a transfer is not an object");
    auto lt = Int64Field(r, "transaction_lt");
    const auto& hash = JsonField(r, "transaction_hash");
    if (!lt || !hash.is_string())
      return Garbage("a transfer without transaction_lt or transaction_hash");
    // The hash becomes a cursor key and a ledger key: only a hash's form is believed.
    if (!IsTonTransactionHash(hash.get<std::string>()))
      return Garbage("a transaction_hash that is neither 44 base64 characters nor 64 hex digits");
    FeedRecord record;
    record.position = *lt;
    record.key = hash.get<std::string>();
    if (!JsonField(r, "amount").is_string()) return Garbage("a transfer without amount");
    auto raw = RawDecimal(JsonField(r, "amount").get<std::string>());
    if (!raw) return Garbage("amount: " + raw.error().message);
    // Older answers have no transaction_aborted (tests/fixtures/chains/ton-jetton-transfers.json);
    // anything but a boolean is not believed. A bounced transfer returned the jettons.
    const auto& aborted_field = JsonField(r, "transaction_aborted");
    if (!aborted_field.is_null() && !aborted_field.is_boolean())
      return Garbage("transaction_aborted is not a boolean");
    bool aborted = aborted_field == true || JsonField(r, "bounced") == true;
    bool ours = !aborted && *raw != "0" &&
                RawOrEmpty(JsonField(r, "jetton_master")) == network.token &&
                RawOrEmpty(JsonField(r, "destination")) == network.address;
    if (ours) {
      Transfer t;
      t.tx_id = record.key;
      t.event_index = 0;
      t.from = RawOrEmpty(JsonField(r, "source"));
      if (t.from.empty() && JsonField(r, "source").is_string())
        t.from = JsonField(r, "source").get<std::string>();
      t.to = network.address;
      t.amount = ChainAmount{*raw, network.decimals};
      t.block_number = record.position;
      t.block_time = Int64Field(r, "transaction_now").value_or(0);
      if (JsonField(r, "forward_payload").is_string()) {
        t.memo = TonTextComment(JsonField(r, "forward_payload").get<std::string>()).value_or("");
      }
      record.transfer = std::move(t);
    }
    out.push_back(std::move(record));
  }
  return out;
}

Result<std::string> ParseTonPublicKey(const nlohmann::json& body) {
  const auto& exit_code = JsonField(body, "exit_code");
  if (!exit_code.is_number_integer()) return Garbage("a get-method answer without exit_code");
  // TVM's exit codes 0 and 1 both mean success.
  if (exit_code != 0 && exit_code != 1)
    return MakeError(ErrorCode::kFailedPrecondition,
                     "get_public_key failed with exit code " + exit_code.dump() +
                         " (the wallet is not deployed yet, or its contract has no public key)");
  const auto& stack = JsonField(body, "stack");
  if (!stack.is_array() || stack.empty())
    return Garbage("get_public_key left nothing on the stack");
  // {"type": "num", "value": "0x…"}; older gateways answer ["num", "0x…"].
  const auto& entry = stack.front();
  nlohmann::json type, value;
  if (entry.is_object()) {
    type = JsonField(entry, "type");
    value = JsonField(entry, "value");
  } else if (entry.is_array() && entry.size() == 2) {
    type = entry[0];
    value = entry[1];
  }
  if (type != "num" || !value.is_string())
    return Garbage("get_public_key returned no number (" + entry.dump().substr(0, 80) + ")");
  std::string hex = value.get<std::string>();
  if (hex.size() < 3 || hex.compare(0, 2, "0x") != 0)
    return Garbage("get_public_key returned " + hex.substr(0, 80) + ", not a 0x number");
  hex.erase(0, 2);
  std::size_t first = hex.find_first_not_of('0');
  hex.erase(0, first == std::string::npos ? hex.size() : first);
  if (hex.empty()) return Garbage("get_public_key returned zero");
  if (hex.size() > 64) return Garbage("get_public_key returned a number above 256 bits");
  for (char& c : hex) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return Garbage("get_public_key returned " + value.get<std::string>().substr(0, 80) +
                     ", not hex");
  }
  return std::string(64 - hex.size(), '0') + hex;
}

Result<std::unique_ptr<ChainAdapter>> MakeTonAdapter(const NetworkConfig& network) {
  return std::unique_ptr<ChainAdapter>(std::make_unique<TonAdapter>(network));
}

}  // namespace instamarket
