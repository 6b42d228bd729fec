#include "adapters/tron_adapter.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <set>
#include <unordered_map>

#include "adapters/http_endpoints.h"
#include "adapters/json_field.h"
#include "adapters/tron_transaction_info.h"
#include "core/crypto.h"

namespace instamarket {
namespace {

constexpr int kMaxPageLimit = 200;    // TronGrid's maximum
constexpr int kMaxPagesPerPoll = 10;  // then the batch is recorded and the next poll goes on
// How far below the newest block timestamp taken a record may still be listed (an endpoint a
// little behind another, an index filling in late): each query starts this far back. Three
// solidification delays (19 blocks of 3 s): a provider failed over to may lag by about one.
constexpr std::int64_t kLateListingWindowMs = 180'000;
// Cursors written before the window grew from 60 s hold the keys of 60 s only; this mark in
// the state says a cursor holds the whole window. Without it, the first poll counts nothing
// more than 60 s below the cursor (what lies there was taken before, under another deposit key).
constexpr std::int64_t kLegacyWindowMs = 60'000;
constexpr char kWholeWindowMark[] = "~window180";
// Confirmed transactions kept in memory (their receipts never change); then the cache restarts.
constexpr std::size_t kMaxCachedTransactions = 4096;
// A block timestamp further ahead than this is not believed: it would move the cursor past
// every transfer to come until then (an hour ahead skipped an hour of deposits). Solidified
// records are about a minute old; this leaves room for our clock running a little slow.
constexpr std::int64_t kMaxClockAheadMs = 5'000;

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Error Garbage(const std::string& what) {
  return MakeError(ErrorCode::kUnavailable, "unexpected TronGrid reply: " + what);
}

std::int64_t EventIndex(const std::string& from, const std::string& to, const std::string& value) {
  std::string digest = Sha256(from + "|" + to + "|" + value);
  std::int64_t index = 0;
  for (int i = 0; i < 6; ++i) index = index << 8 | static_cast<unsigned char>(digest[i]);
  return index;
}

const std::string* StringField(const nlohmann::json& object, const char* name) {
  const auto& value = JsonField(object, name);
  return value.is_string() ? &value.get_ref<const std::string&>() : nullptr;
}

Result<nlohmann::json> CheckPage(nlohmann::json body) {
  if (!body.is_object() || !JsonField(body, "data").is_array()) return Garbage("no data list");
  if (body.contains("success") && JsonField(body, "success") != true)
    return Garbage("success is not true");
  return body;
}

class TronAdapter final : public ChainAdapter {
 public:
  explicit TronAdapter(const NetworkConfig& network)
      : network_(network),
        page_limit_(network.page_size > 0 ? network.page_size : kMaxPageLimit),
        http_(network.id, network.rpc, std::chrono::milliseconds(network.rpc_timeout_ms),
              network.api_key.empty()
                  ? std::vector<std::string>{}
                  : std::vector<std::string>{"TRON-PRO-API-KEY: " + network.api_key}),
        // TronGrid's key goes to TronGrid only, never to another provider's nodes.
        node_http_(network.id, network.node_rpc.empty() ? network.rpc : network.node_rpc,
                   std::chrono::milliseconds(network.rpc_timeout_ms),
                   network.api_key.empty() || !network.node_rpc.empty()
                       ? std::vector<std::string>{}
                       : std::vector<std::string>{"TRON-PRO-API-KEY: " + network.api_key}) {}

  Result<ChainCursor> InitialCursor() override {
    if (network_.start != "latest") return PositionCursor::Starting(std::stoll(network_.start));
    // Just after the newest confirmed transfer to us: all of a block's records are solidified
    // together, so nothing at or below that timestamp is left to come.
    auto body = http_.Get(Query(0, "desc", 1, ""), CheckPage);
    if (!body) return body.error();
    auto page = ParseTronPage(*body, network_);
    if (!page) return page.error();
    if (page->records.empty()) return PositionCursor::Starting(0);
    return PositionCursor::Starting(page->records.front().position + 1);
  }

  Result<ChainBatch> Poll(const ChainCursor& from) override {
    PositionCursor cursor(from, kLateListingWindowMs);
    if (!TronCursorHoldsWholeWindow(from)) cursor.RaiseFloor(from.position - kLegacyWindowMs);
    const std::int64_t query_from = cursor.QueryFrom();
    ChainBatch batch;
    std::set<std::string> taken_now;
    // The listed transfers of each transaction, in listing order: the node's receipt decides.
    std::vector<std::pair<std::string, std::vector<Transfer>>> listed;
    std::unordered_map<std::string, std::size_t> listed_at;
    std::string fingerprint;
    bool more = true;
    // Past kMaxPagesPerPoll only while nothing new was found: a window full of records taken
    // before must not stall the feed.
    for (int page = 0; more && (page < kMaxPagesPerPoll || taken_now.empty()); ++page) {
      auto body = http_.Get(Query(query_from, "asc", page_limit_, fingerprint), CheckPage);
      if (!body) return body.error();
      auto parsed = ParseTronPage(*body, network_);
      if (!parsed) return parsed.error();
      for (auto& record : parsed->records) {
        if (cursor.Seen(record.position, record.key)) {
          // Listed twice (TronGrid does), or one transaction made equal transfers: the
          // receipt's logs count each of those once (Confirm).
          continue;
        }
        if (auto taken = cursor.Take(record.position, record.key); !taken) return taken.error();
        taken_now.insert(record.key);
        if (!record.transfer) continue;
        auto [at, fresh] = listed_at.emplace(record.transfer->tx_id, listed.size());
        if (fresh) listed.emplace_back(record.transfer->tx_id, std::vector<Transfer>{});
        listed[at->second].second.push_back(std::move(*record.transfer));
      }
      fingerprint = parsed->fingerprint;
      // An empty page may still carry a fingerprint: it is the end all the same.
      more = !fingerprint.empty() && !(*body)["data"].empty();
    }
    for (auto& [tx_id, transfers] : listed) {
      auto confirmed = Confirm(tx_id, transfers);
      if (!confirmed) return confirmed.error();
      for (auto& t : *confirmed) batch.final_transfers.push_back(std::move(t));
    }
    if (auto marked = cursor.Take(cursor.position(), kWholeWindowMark); !marked)
      return marked.error();
    batch.next = cursor.ToChainCursor();
    batch.reached_final_head = !more;
    // Positions are block timestamps (ms): the head is now, and a caught-up feed has no lag.
    batch.head = NowMs();
    batch.final_height = more ? batch.head : batch.next.position - 1;
    return batch;
  }

 private:
  // The transfers of `tx_id` that the listing named (`listed`) as the node's receipt states
  // them (TronDepositsConfirmed): none when the transaction failed; a listed transfer the
  // receipt does not hold is a lie of the listing and is dropped. kUnavailable when no node can
  // tell yet, or the listing's block time is not the receipt's: nothing is recorded past it.
  Result<std::vector<Transfer>> Confirm(const std::string& tx_id,
                                        const std::vector<Transfer>& listed) {
    auto info = TransactionInfo(tx_id);
    if (!info) return info.error();
    std::vector<Transfer> lies;
    auto out = TronDepositsConfirmed(*info, listed, network_.address, &lies);
    if (!out) return MakeError(out.error().code, network_.id + ": " + out.error().message);
    if (!info->success)
      spdlog::warn("{}: {} is listed but failed on chain ({}); not credited", network_.id, tx_id,
                   info->result);
    for (const Transfer& claim : lies)
      spdlog::error("{}: {} is listed with {} from {}, but its receipt has no such Transfer; "
                    "not credited",
                    network_.id, tx_id, claim.amount.raw, claim.from);
    return out;
  }

  Result<TronTransactionInfo> TransactionInfo(const std::string& tx_id) {
    if (auto it = info_cache_.find(tx_id); it != info_cache_.end()) return it->second;
    nlohmann::json request = {{"value", tx_id}};
    auto body = node_http_.Post(
        "/walletsolidity/gettransactioninfobyid", request.dump(),
        [&](nlohmann::json reply) -> Result<nlohmann::json> {
          // Not known yet, or garbage: the next node is asked.
          auto info = ParseTronTransactionInfo(reply, tx_id, network_.token, network_.address);
          if (!info) return info.error();
          return reply;
        });
    if (!body) return body.error();
    auto info = ParseTronTransactionInfo(*body, tx_id, network_.token, network_.address);
    if (!info) return info.error();
    if (info_cache_.size() >= kMaxCachedTransactions) info_cache_.clear();
    info_cache_.emplace(tx_id, *info);
    return info;
  }

  std::string Query(std::int64_t min_timestamp, const char* order, int limit,
                    const std::string& fingerprint) const {
    std::string q =
        "/v1/accounts/" + network_.address +
        "/transactions/trc20?only_to=true&only_confirmed=true&contract_address=" + network_.token +
        "&min_timestamp=" + std::to_string(min_timestamp) + "&order_by=block_timestamp," + order +
        "&limit=" + std::to_string(limit);
    if (!fingerprint.empty()) q += "&fingerprint=" + UrlEscape(fingerprint);
    return q;
  }

  NetworkConfig network_;
  int page_limit_;
  HttpEndpoints http_;       // the listing (TronGrid v1)
  HttpEndpoints node_http_;  // full nodes' /walletsolidity API (node_rpc, else rpc)
  std::unordered_map<std::string, TronTransactionInfo> info_cache_;
};

}  // namespace

Result<TronPage> ParseTronPage(const nlohmann::json& body, const NetworkConfig& network) {
  if (!body.is_object() || !body.contains("data") || !JsonField(body, "data").is_array())
    return Garbage("no data list");
  TronPage page;
  if (const std::string* f = StringField(JsonField(body, "meta"), "fingerprint")) {
    page.fingerprint = *f;
  }
  for (const auto& r : JsonField(body, "data")) {
    if (!r.is_object()) return Garbage("a record is not an object");
    const std::string* tx = StringField(r, "transaction_id");
    const std::string* from = StringField(r, "from");
    const std::string* to = StringField(r, "to");
    const std::string* value = StringField(r, "value");
    const auto& ts = JsonField(r, "block_timestamp");
    if (!tx || !from || !to || !value || !ts.is_number_integer())
      return Garbage("a record without transaction_id, from, to, value or block_timestamp");
    // The id becomes a cursor key and a ledger key: 64 hex digits, lowercased, or garbage.
    const std::string tx_id = TronTxId(*tx);
    if (tx_id.empty()) return Garbage("a transaction_id that is not 64 hex digits");
    FeedRecord record;
    record.position = ts.get<std::int64_t>();
    if (record.position < 0 || record.position > NowMs() + kMaxClockAheadMs)
      return Garbage("a block_timestamp in the future: " + std::to_string(record.position));
    std::int64_t index = EventIndex(*from, *to, *value);
    record.key = tx_id + ":" + std::to_string(index);
    auto raw = RawDecimal(*value);
    if (!raw) return Garbage("value: " + raw.error().message);
    const std::string* token_address = StringField(JsonField(r, "token_info"), "address");
    const std::string* type = StringField(r, "type");
    bool unconfirmed = JsonField(r, "_unconfirmed") == true;
    bool ours = !unconfirmed && *to == network.address && token_address &&
                *token_address == network.token && (!type || *type == "Transfer") && *raw != "0";
    if (ours) {
      Transfer t;
      t.tx_id = tx_id;
      t.event_index = index;
      t.from = *from;
      t.to = *to;
      t.amount = ChainAmount{*raw, network.decimals};
      t.block_number = record.position;
      t.block_time = record.position / 1000;
      record.transfer = std::move(t);
    }
    // An unconfirmed record is not taken: its confirmed listing must still be read.
    if (unconfirmed) continue;
    page.records.push_back(std::move(record));
  }
  return page;
}

bool TronCursorHoldsWholeWindow(const ChainCursor& cursor) {
  // The mark's own entry: text that merely contains it (another key) says nothing.
  return PositionCursor(cursor, kLateListingWindowMs).Holds(kWholeWindowMark);
}

Result<std::unique_ptr<ChainAdapter>> MakeTronAdapter(const NetworkConfig& network) {
  if (network.node_rpc.empty())
    spdlog::warn("{}: no node_rpc: each listed transfer is confirmed by the same TronGrid that "
                 "listed it, which a lying TronGrid answers alike; set node_rpc to full nodes "
                 "of another provider or your own",
                 network.id);
  return std::unique_ptr<ChainAdapter>(std::make_unique<TronAdapter>(network));
}

}  // namespace instamarket
