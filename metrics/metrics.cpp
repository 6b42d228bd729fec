#include "metrics/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <limits>
#include <map>
#include <mutex>

#include "core/url_redaction.h"

namespace instamarket {

namespace {

constexpr std::array<double, 15> kLatencyBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

std::string EndpointLabel(const std::string& url) {
  // scheme://host[:port] only: user info, paths and queries may carry credentials, and
  // /metrics needs no key.
  return UrlOrigin(url);
}

}  // namespace

// Per-route request counts and latencies on the hot path: relaxed increments on a shard of
// the calling thread (no lock, no shared cache line between API threads), summed only when
// /metrics is scraped. prometheus-cpp's own Histogram takes a mutex per observation and its
// Counter a compare-and-swap loop, which cost the health endpoint about 10% of its rate.
class Metrics::Route {
 public:
  explicit Route(std::string pattern) : pattern_(std::move(pattern)) {}

  void Record(int status, double seconds) {
    Shard& shard = shards_[ThreadShard()];
    std::size_t slot = status >= 100 && status < 600 ? static_cast<std::size_t>(status - 100) : 0;
    shard.by_status[slot].fetch_add(1, std::memory_order_relaxed);
    std::size_t bucket = static_cast<std::size_t>(
        std::lower_bound(kLatencyBuckets.begin(), kLatencyBuckets.end(), seconds) -
        kLatencyBuckets.begin());
    shard.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
    shard.sum_ns.fetch_add(static_cast<std::uint64_t>(seconds * 1e9), std::memory_order_relaxed);
  }

  void Collect(prometheus::MetricFamily& requests, prometheus::MetricFamily& latency) const {
    for (std::size_t slot = 0; slot < kStatuses; ++slot) {
      std::uint64_t total = 0;
      for (const auto& shard : shards_)
        total += shard.by_status[slot].load(std::memory_order_relaxed);
      if (total == 0) continue;
      prometheus::ClientMetric m;
      m.label = {{"route", pattern_}, {"status", std::to_string(slot + 100)}};
      m.counter.value = static_cast<double>(total);
      requests.metric.push_back(std::move(m));
    }
    prometheus::ClientMetric h;
    h.label = {{"route", pattern_}};
    std::uint64_t cumulative = 0, sum_ns = 0;
    for (const auto& shard : shards_) sum_ns += shard.sum_ns.load(std::memory_order_relaxed);
    for (std::size_t b = 0; b <= kLatencyBuckets.size(); ++b) {
      for (const auto& shard : shards_)
        cumulative += shard.buckets[b].load(std::memory_order_relaxed);
      h.histogram.bucket.push_back({cumulative, b < kLatencyBuckets.size()
                                                    ? kLatencyBuckets[b]
                                                    : std::numeric_limits<double>::infinity()});
    }
    if (cumulative == 0) return;  // a route never called adds no series
    h.histogram.sample_count = cumulative;
    h.histogram.sample_sum = static_cast<double>(sum_ns) / 1e9;
    latency.metric.push_back(std::move(h));
  }

 private:
  static constexpr std::size_t kStatuses = 500;
  static constexpr std::size_t kShards = 4;
  struct alignas(64) Shard {
    std::array<std::atomic<std::uint64_t>, kStatuses> by_status{};
    std::array<std::atomic<std::uint64_t>, 16> buckets{};  // kLatencyBuckets.size() + 1 (+Inf)
    std::atomic<std::uint64_t> sum_ns{0};
  };
  static std::size_t ThreadShard() {
    static std::atomic<std::size_t> next{0};
    thread_local std::size_t shard = next.fetch_add(1, std::memory_order_relaxed) % kShards;
    return shard;
  }

  std::string pattern_;
  std::array<Shard, kShards> shards_;
};

struct Metrics::Impl {
  Impl()
      : registry(std::make_shared<prometheus::Registry>()),
        rate_limited(prometheus::BuildCounter()
                         .Name("instamarket_rate_limited_total")
                         .Help("Requests refused with 429")
                         .Register(*registry)
                         .Add({})),
        connections_refused(prometheus::BuildCounter()
                                .Name("instamarket_connections_refused_total")
                                .Help("Connections answered 503 and closed at accept, per cap "
                                      "(max_connections, max_connections_per_address)")
                                .Register(*registry)),
        connections_open(prometheus::BuildGauge()
                             .Name("instamarket_connections_open")
                             .Help("Admitted API connections now open")
                             .Register(*registry)
                             .Add({})),
        head(prometheus::BuildGauge()
                 .Name("instamarket_chain_head")
                 .Help("Latest position seen, per network: block (EVM), block timestamp ms (Tron), "
                       "slot (Solana); TON reports the cursor's lt")
                 .Register(*registry)),
        final_height(
            prometheus::BuildGauge()
                .Name("instamarket_chain_final_height")
                .Help("Latest final position, per network (units as instamarket_chain_head)")
                .Register(*registry)),
        cursor(
            prometheus::BuildGauge()
                .Name("instamarket_watcher_cursor")
                .Help("Where the next scan resumes, per network (units as instamarket_chain_head)")
                .Register(*registry)),
        lag(prometheus::BuildGauge()
                .Name("instamarket_watcher_lag_blocks")
                .Help("Final positions not yet scanned, per network: blocks (EVM); 0 once a "
                      "feed-based chain (Tron, TON, Solana) has caught up")
                .Register(*registry)),
        deposits(prometheus::BuildCounter()
                     .Name("instamarket_deposits_total")
                     .Help("Final deposits recorded, per network and outcome (seen: all of "
                           "them; credited, unmatched), and reorged sightings")
                     .Register(*registry)),
        deep_reorgs(prometheus::BuildCounter()
                        .Name("instamarket_deep_reorgs_total")
                        .Help("Reorgs deeper than the network's finality: blocks already "
                              "scanned as final were replaced (alert on any increase)")
                        .Register(*registry)),
        deep_reorg_depth(prometheus::BuildGauge()
                             .Name("instamarket_deep_reorg_depth_blocks")
                             .Help("Depth of the last deep reorg, per network: from the newest "
                                   "scanned block down to the newest one still on the chain")
                             .Register(*registry)),
        reorged_deposits(prometheus::BuildCounter()
                             .Name("instamarket_reorged_deposits_total")
                             .Help("Recorded deposits whose block a deep reorg replaced, per "
                                   "network and outcome: vanished (flagged for finance), "
                                   "remined (the same transfer in another block)")
                             .Register(*registry)),
        rpc_errors(
            prometheus::BuildCounter()
                .Name("instamarket_rpc_errors_total")
                .Help("Failed chain RPC calls, per network and endpoint (scheme://host:port)")
                .Register(*registry)),
        webhooks(prometheus::BuildCounter()
                     .Name("instamarket_webhook_attempts_total")
                     .Help("Webhook delivery attempts by outcome (delivered, retry, failed)")
                     .Register(*registry)),
        admin_auth_failures(prometheus::BuildCounter()
                                .Name("instamarket_admin_auth_failures_total")
                                .Help("Refused X-Admin-Token attempts: bad_token, or locked_out "
                                      "(the address had too many failures this minute)")
                                .Register(*registry)),
        orders(prometheus::BuildCounter()
                   .Name("instamarket_orders_total")
                   .Help("Orders entering each state")
                   .Register(*registry)),
        leader(prometheus::BuildGauge()
                   .Name("instamarket_watcher_leader")
                   .Help("1 when this instance watches the network (holds its lease), else 0")
                   .Register(*registry)),
        identity_verified(prometheus::BuildGauge()
                              .Name("instamarket_chain_identity_verified")
                              .Help("1 once a node has confirmed the network's chain id and "
                                    "token decimals (EVM); 0 while none has: nothing recorded")
                              .Register(*registry)),
        reconciliation_drift(prometheus::BuildGauge()
                                 .Name("instamarket_reconciliation_drift_usdt")
                                 .Help("The master wallet's token balance on chain less the "
                                       "ledger's, at the latest reconciliation")
                                 .Register(*registry)),
        reconciliation_unexplained(
            prometheus::BuildGauge()
                .Name("instamarket_reconciliation_unexplained_usdt")
                .Help("The part of the drift that no transfer line explains")
                .Register(*registry)),
        reconciliation_runs(prometheus::BuildCounter()
                                .Name("instamarket_reconciliation_runs_total")
                                .Help("Reconciliations by outcome: clean, drift or failed")
                                .Register(*registry)),
        second_look_position(prometheus::BuildGauge()
                                 .Name("instamarket_second_look_position")
                                 .Help("The position below which the second look has read the "
                                       "chain again")
                                 .Register(*registry)),
        second_look_found(prometheus::BuildCounter()
                              .Name("instamarket_second_look_found_total")
                              .Help("Transfers the second look found that the watcher's scan "
                                    "had not recorded")
                              .Register(*registry)),
        second_look_unconfirmed(
            prometheus::BuildCounter()
                .Name("instamarket_second_look_unconfirmed_total")
                .Help("Transfers the second look read that the watcher's node does not confirm, "
                      "or recorded under another log index: not recorded")
                .Register(*registry)),
        second_look_failures(prometheus::BuildCounter()
                                 .Name("instamarket_second_look_failures_total")
                                 .Help("Second-look passes that failed (a node or the database)")
                                 .Register(*registry)),
        credit_latency(prometheus::BuildHistogram()
                           .Name("instamarket_deposit_record_seconds")
                           .Help("From a final transfer's block time to its deposit being "
                                 "recorded (and credited when it matches), per network")
                           .Register(*registry)) {}

  std::shared_ptr<prometheus::Registry> registry;
  prometheus::Counter& rate_limited;
  prometheus::Family<prometheus::Counter>& connections_refused;
  prometheus::Gauge& connections_open;
  prometheus::Family<prometheus::Gauge>& head;
  prometheus::Family<prometheus::Gauge>& final_height;
  prometheus::Family<prometheus::Gauge>& cursor;
  prometheus::Family<prometheus::Gauge>& lag;
  prometheus::Family<prometheus::Counter>& deposits;
  prometheus::Family<prometheus::Counter>& deep_reorgs;
  prometheus::Family<prometheus::Gauge>& deep_reorg_depth;
  prometheus::Family<prometheus::Counter>& reorged_deposits;
  prometheus::Family<prometheus::Counter>& rpc_errors;
  prometheus::Family<prometheus::Counter>& webhooks;
  prometheus::Family<prometheus::Counter>& admin_auth_failures;
  prometheus::Family<prometheus::Counter>& orders;
  prometheus::Family<prometheus::Gauge>& leader;
  prometheus::Family<prometheus::Gauge>& identity_verified;
  prometheus::Family<prometheus::Gauge>& reconciliation_drift;
  prometheus::Family<prometheus::Gauge>& reconciliation_unexplained;
  prometheus::Family<prometheus::Counter>& reconciliation_runs;
  prometheus::Family<prometheus::Gauge>& second_look_position;
  prometheus::Family<prometheus::Counter>& second_look_found;
  prometheus::Family<prometheus::Counter>& second_look_unconfirmed;
  prometheus::Family<prometheus::Counter>& second_look_failures;
  prometheus::Family<prometheus::Histogram>& credit_latency;
  std::mutex routes_mutex;
  std::map<std::string, std::unique_ptr<Route>, std::less<>> routes;
};

Metrics& Metrics::Get() {
  static Metrics metrics;  // never destroyed before the threads that record into it
  return metrics;
}

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

Metrics::Route* Metrics::ForRoute(std::string_view route_pattern) {
  std::lock_guard lock(impl_->routes_mutex);
  auto it = impl_->routes.find(route_pattern);
  if (it != impl_->routes.end()) return it->second.get();
  std::string pattern(route_pattern);
  auto route = std::make_unique<Route>(pattern);
  Route* out = route.get();
  impl_->routes.emplace(std::move(pattern), std::move(route));
  return out;
}

void Metrics::RecordRequest(Route* route, int status, double seconds) {
  if (route) route->Record(status, seconds);
}

void Metrics::RecordRateLimited() { impl_->rate_limited.Increment(); }

void Metrics::RecordConnectionRefused(std::string_view cap) {
  impl_->connections_refused.Add({{"cap", std::string(cap)}}).Increment();
}

void Metrics::AddOpenConnections(int delta) { impl_->connections_open.Increment(delta); }

void Metrics::RecordWatcherLeader(const std::string& network, bool leader) {
  impl_->leader.Add({{"network", network}}).Set(leader ? 1 : 0);
}

void Metrics::RecordChainIdentityVerified(const std::string& network, bool verified) {
  impl_->identity_verified.Add({{"network", network}}).Set(verified ? 1 : 0);
}

void Metrics::RecordReconciliation(const std::string& network, bool clean, double drift_usdt,
                                   double unexplained_usdt) {
  impl_->reconciliation_drift.Add({{"network", network}}).Set(drift_usdt);
  impl_->reconciliation_unexplained.Add({{"network", network}}).Set(unexplained_usdt);
  impl_->reconciliation_runs.Add({{"network", network}, {"outcome", clean ? "clean" : "drift"}})
      .Increment();
}

void Metrics::RecordReconciliationFailed(const std::string& network) {
  impl_->reconciliation_runs.Add({{"network", network}, {"outcome", "failed"}}).Increment();
}

void Metrics::RecordSecondLook(const std::string& network, std::int64_t position, int found) {
  impl_->second_look_position.Add({{"network", network}}).Set(static_cast<double>(position));
  // Added even when 0, so that the series exists (an alert on its rate needs it).
  impl_->second_look_found.Add({{"network", network}}).Increment(found);
}

void Metrics::RecordSecondLookUnconfirmed(const std::string& network) {
  impl_->second_look_unconfirmed.Add({{"network", network}}).Increment();
}

void Metrics::RecordSecondLookFailed(const std::string& network) {
  impl_->second_look_failures.Add({{"network", network}}).Increment();
}

void Metrics::RecordDepositLatency(const std::string& network, double seconds) {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600};
  impl_->credit_latency.Add({{"network", network}}, kBuckets).Observe(std::max(0.0, seconds));
}

void Metrics::RecordScan(const std::string& network, std::int64_t head, std::int64_t final_height,
                         std::int64_t next_block, int credited, int unmatched, int reorged) {
  prometheus::Labels labels{{"network", network}};
  impl_->head.Add(labels).Set(static_cast<double>(head));
  impl_->final_height.Add(labels).Set(static_cast<double>(final_height));
  impl_->cursor.Add(labels).Set(static_cast<double>(next_block));
  impl_->lag.Add(labels).Set(
      static_cast<double>(std::max<std::int64_t>(0, final_height + 1 - next_block)));
  if (credited + unmatched > 0) {  // every deposit seen final and recorded, whatever came of it
    impl_->deposits.Add({{"network", network}, {"outcome", "seen"}})
        .Increment(credited + unmatched);
  }
  if (credited)
    impl_->deposits.Add({{"network", network}, {"outcome", "credited"}}).Increment(credited);
  if (unmatched)
    impl_->deposits.Add({{"network", network}, {"outcome", "unmatched"}}).Increment(unmatched);
  if (reorged)
    impl_->deposits.Add({{"network", network}, {"outcome", "reorged"}}).Increment(reorged);
}

void Metrics::RecordDeepReorg(const std::string& network, std::int64_t depth) {
  impl_->deep_reorgs.Add({{"network", network}}).Increment();
  impl_->deep_reorg_depth.Add({{"network", network}}).Set(static_cast<double>(depth));
}

void Metrics::RecordReorgedDeposits(const std::string& network, int vanished, int remined) {
  if (vanished)
    impl_->reorged_deposits.Add({{"network", network}, {"outcome", "vanished"}})
        .Increment(vanished);
  if (remined)
    impl_->reorged_deposits.Add({{"network", network}, {"outcome", "remined"}}).Increment(remined);
}

void Metrics::RecordRpcError(const std::string& network, const std::string& endpoint) {
  impl_->rpc_errors.Add({{"network", network}, {"endpoint", EndpointLabel(endpoint)}}).Increment();
}

void Metrics::RecordWebhookAttempt(std::string_view outcome) {
  impl_->webhooks.Add({{"outcome", std::string(outcome)}}).Increment();
}

void Metrics::RecordAdminAuthFailure(std::string_view outcome) {
  impl_->admin_auth_failures.Add({{"outcome", std::string(outcome)}}).Increment();
}

void Metrics::RecordOrders(std::string_view status, int count) {
  if (count > 0) impl_->orders.Add({{"status", std::string(status)}}).Increment(count);
}

std::string Metrics::Serialize() const {
  std::vector<prometheus::MetricFamily> families = impl_->registry->Collect();
  prometheus::MetricFamily requests{"instamarket_http_requests_total",
                                    "HTTP requests answered, by route and status",
                                    prometheus::MetricType::Counter,
                                    {}};
  prometheus::MetricFamily latency{"instamarket_http_request_duration_seconds",
                                   "Time from a complete request to its response written, by route",
                                   prometheus::MetricType::Histogram,
                                   {}};
  {
    std::lock_guard lock(impl_->routes_mutex);
    for (const auto& [pattern, route] : impl_->routes) route->Collect(requests, latency);
  }
  families.push_back(std::move(requests));
  families.push_back(std::move(latency));
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace instamarket
