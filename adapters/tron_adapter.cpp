#include "adapters/tron_adapter.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <set>

#include "adapters/http_endpoints.h"
#include "adapters/json_field.h"
#include "core/crypto.h"

namespace instamarket {
namespace {

constexpr int kMaxPageLimit = 200;    // TronGrid's maximum
constexpr int kMaxPagesPerPoll = 10;  // then the batch is recorded and the next poll goes on
// How far below the newest block timestamp taken a record may still be listed (an endpoint a
// little behind another): each query starts this far back.
constexpr std::int64_t kLateListingWindowMs = 60'000;
// A block timestamp further ahead than this is not believed (it would move the cursor past
// every transfer to come).
constexpr std::int64_t kMaxClockAheadMs = 3'600'000;

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
    const std::int64_t query_from = cursor.QueryFrom();
    ChainBatch batch;
    std::set<std::string> taken_now;
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
          if (taken_now.count(record.key)) {
            // Either TronGrid listed it twice, or one transaction made two equal transfers
            // from one sender: the feed cannot tell, and they count once (docs/adding-a-chain.md).
            spdlog::warn("{}: {} is listed twice with equal from, to and value; counted once",
                         network_.id, record.key);
          }
          continue;
        }
        cursor.Take(record.position, record.key);
        taken_now.insert(record.key);
        if (record.transfer) batch.final_transfers.push_back(std::move(*record.transfer));
      }
      fingerprint = parsed->fingerprint;
      // An empty page may still carry a fingerprint: it is the end all the same.
      more = !fingerprint.empty() && !(*body)["data"].empty();
    }
    batch.next = cursor.ToChainCursor();
    batch.reached_final_head = !more;
    // Positions are block timestamps (ms): the head is now, and a caught-up feed has no lag.
    batch.head = NowMs();
    batch.final_height = more ? batch.head : batch.next.position - 1;
    return batch;
  }

 private:
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
  HttpEndpoints http_;
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
    FeedRecord record;
    record.position = ts.get<std::int64_t>();
    if (record.position < 0 || record.position > NowMs() + kMaxClockAheadMs)
      return Garbage("a block_timestamp in the future: " + std::to_string(record.position));
    std::int64_t index = EventIndex(*from, *to, *value);
    record.key = *tx + ":" + std::to_string(index);
    auto raw = RawDecimal(*value);
    if (!raw) return Garbage("value: " + raw.error().message);
    const std::string* token_address = StringField(JsonField(r, "token_info"), "address");
    const std::string* type = StringField(r, "type");
    bool unconfirmed = JsonField(r, "_unconfirmed") == true;
    bool ours = !unconfirmed && *to == network.address && token_address &&
                *token_address == network.token && (!type || *type == "Transfer") && *raw != "0";
    if (ours) {
      Transfer t;
      t.tx_id = *tx;
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

Result<std::unique_ptr<ChainAdapter>> MakeTronAdapter(const NetworkConfig& network) {
  return std::unique_ptr<ChainAdapter>(std::make_unique<TronAdapter>(network));
}

}  // namespace instamarket
