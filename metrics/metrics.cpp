#include "metrics/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <array>
#include <atomic>
#include <map>
#include <mutex>

namespace instamarket {

namespace {

const prometheus::Histogram::BucketBoundaries kLatencyBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

std::string EndpointLabel(const std::string& url) {
  // scheme://host[:port] only: paths and queries may carry API keys.
  auto scheme = url.find("://");
  auto start = scheme == std::string::npos ? 0 : scheme + 3;
  auto end = url.find_first_of("/?#", start);
  return url.substr(0, end);
}

}  // namespace

class Metrics::Route {
 public:
  Route(prometheus::Family<prometheus::Counter>& requests, prometheus::Histogram& latency,
        std::string pattern)
      : requests_(requests), latency_(latency), pattern_(std::move(pattern)) {}

  void Record(int status, double seconds) {
    latency_.Observe(seconds);
    std::size_t slot = status >= 100 && status < 600 ? static_cast<std::size_t>(status - 100) : 0;
    prometheus::Counter* counter = by_status_[slot].load(std::memory_order_acquire);
    if (!counter) {
      // Family::Add returns the same counter for the same labels, so a race is harmless.
      counter = &requests_.Add({{"route", pattern_}, {"status", std::to_string(status)}});
      by_status_[slot].store(counter, std::memory_order_release);
    }
    counter->Increment();
  }

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Histogram& latency_;
  std::string pattern_;
  std::array<std::atomic<prometheus::Counter*>, 500> by_status_{};
};

struct Metrics::Impl {
  Impl()
      : registry(std::make_shared<prometheus::Registry>()),
        requests(prometheus::BuildCounter()
                     .Name("instamarket_http_requests_total")
                     .Help("HTTP requests answered, by route pattern and status")
                     .Register(*registry)),
        latency(prometheus::BuildHistogram()
                    .Name("instamarket_http_request_duration_seconds")
                    .Help("Time from a complete request to its response being written")
                    .Register(*registry)),
        rate_limited(prometheus::BuildCounter()
                         .Name("instamarket_rate_limited_total")
                         .Help("Requests refused with 429")
                         .Register(*registry)
                         .Add({})),
        head(prometheus::BuildGauge().Name("instamarket_chain_head").Help("Latest block seen, per network").Register(*registry)),
        final_height(prometheus::BuildGauge().Name("instamarket_chain_final_height").Help("Latest final block, per network").Register(*registry)),
        cursor(prometheus::BuildGauge().Name("instamarket_watcher_cursor").Help("First block not yet scanned, per network").Register(*registry)),
        lag(prometheus::BuildGauge().Name("instamarket_watcher_lag_blocks").Help("Final blocks not yet scanned, per network").Register(*registry)),
        deposits(prometheus::BuildCounter().Name("instamarket_deposits_total").Help("Final deposits recorded, per network and outcome (credited, unmatched), and reorged sightings").Register(*registry)),
        rpc_errors(prometheus::BuildCounter().Name("instamarket_rpc_errors_total").Help("Failed chain RPC calls, per network and endpoint (scheme://host:port)").Register(*registry)),
        webhooks(prometheus::BuildCounter().Name("instamarket_webhook_attempts_total").Help("Webhook delivery attempts by outcome (delivered, retry, failed)").Register(*registry)),
        orders(prometheus::BuildCounter().Name("instamarket_orders_total").Help("Orders entering each state").Register(*registry)) {}

  std::shared_ptr<prometheus::Registry> registry;
  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Family<prometheus::Histogram>& latency;
  prometheus::Counter& rate_limited;
  prometheus::Family<prometheus::Gauge>& head;
  prometheus::Family<prometheus::Gauge>& final_height;
  prometheus::Family<prometheus::Gauge>& cursor;
  prometheus::Family<prometheus::Gauge>& lag;
  prometheus::Family<prometheus::Counter>& deposits;
  prometheus::Family<prometheus::Counter>& rpc_errors;
  prometheus::Family<prometheus::Counter>& webhooks;
  prometheus::Family<prometheus::Counter>& orders;
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
  auto& histogram = impl_->latency.Add({{"route", pattern}}, kLatencyBuckets);
  auto route = std::make_unique<Route>(impl_->requests, histogram, pattern);
  Route* out = route.get();
  impl_->routes.emplace(std::move(pattern), std::move(route));
  return out;
}

void Metrics::RecordRequest(Route* route, int status, double seconds) {
  if (route) route->Record(status, seconds);
}

void Metrics::RecordRateLimited() { impl_->rate_limited.Increment(); }

void Metrics::RecordScan(const std::string& network, std::int64_t head, std::int64_t final_height,
                         std::int64_t next_block, int credited, int unmatched, int reorged) {
  prometheus::Labels labels{{"network", network}};
  impl_->head.Add(labels).Set(static_cast<double>(head));
  impl_->final_height.Add(labels).Set(static_cast<double>(final_height));
  impl_->cursor.Add(labels).Set(static_cast<double>(next_block));
  impl_->lag.Add(labels).Set(static_cast<double>(std::max<std::int64_t>(0, final_height + 1 - next_block)));
  if (credited) impl_->deposits.Add({{"network", network}, {"outcome", "credited"}}).Increment(credited);
  if (unmatched) impl_->deposits.Add({{"network", network}, {"outcome", "unmatched"}}).Increment(unmatched);
  if (reorged) impl_->deposits.Add({{"network", network}, {"outcome", "reorged"}}).Increment(reorged);
}

void Metrics::RecordRpcError(const std::string& network, const std::string& endpoint) {
  impl_->rpc_errors.Add({{"network", network}, {"endpoint", EndpointLabel(endpoint)}}).Increment();
}

void Metrics::RecordWebhookAttempt(std::string_view outcome) {
  impl_->webhooks.Add({{"outcome", std::string(outcome)}}).Increment();
}

void Metrics::RecordOrders(std::string_view status, int count) {
  if (count > 0) impl_->orders.Add({{"status", std::string(status)}}).Increment(count);
}

std::string Metrics::Serialize() const {
  return prometheus::TextSerializer().Serialize(impl_->registry->Collect());
}

}  // namespace instamarket
