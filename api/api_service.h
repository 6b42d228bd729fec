#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/admin_gate.h"
#include "api/handler_context.h"
#include "api/http_message.h"
#include "api/key_cache.h"
#include "api/rate_limiter.h"
#include "api/router.h"
#include "api/usage_recorder.h"
#include "config/config.h"
#include "ledger/database.h"
#include "metrics/metrics.h"

namespace instamarket {

// The whole v1 API as a function from request to response, independent of sockets: routing,
// authentication, IP whitelist, rate limit, usage counting, HMAC, then the route's handler.
//
// A request is served in up to two steps: HandleInline runs on an I/O thread and does what
// needs no blocking work (for a cached key on /health, everything); when it returns nullopt the
// server calls HandleBlocking with the same Call on the blocking pool. Either may also return
// nullopt with wants_admission set: the server then decides the rate limit and calls
// HandleInline again. Thread-safe.
class ApiService {
 public:
  using Clock = std::chrono::steady_clock;

  // Per-request progress, so the blocking step does not repeat the inline one.
  struct Call {
    explicit Call(const HttpRequest& r) : request(r) {}
    explicit Call(HttpRequest&&) = delete;  // the request must outlive the call
    const HttpRequest& request;
    bool routed = false;
    RouteMatch match;
    KeyCache::Entry key;  // the authenticated caller once known
    bool admitted = false;
    bool rate_decided = false;     // `rate` holds this request's decision
    bool wants_admission = false;  // the server is to decide `rate` and call HandleInline
    RateDecision rate;
    bool admin_checked = false;  // admin paths: the token was judged (once per request)
    AdminGate::Verdict admin;
    std::string admin_client;  // the address it was judged for
    std::string admin_actor;   // "admin:<token name>", once allowed
  };

  ApiService(Database& db, const Config& config);

  std::optional<HttpResponse> HandleInline(Call& call);
  std::optional<HttpResponse> HandleBlocking(Call& call);  // nullopt only for wants_admission

  // A third way for an admitted call whose route needs only one read (GET /balance): the
  // server runs the read on its pipelined connection and hands the rows back. nullopt when the
  // call must take HandleBlocking.
  std::optional<PipelinedRead> PlanRead(const Call& call) const;
  HttpResponse FinishRead(Call& call, Result<std::vector<TextRow>> rows);
  // The metrics of the call's route (for requests counted by the server).
  Metrics::Route* MetricsRoute(const Call& call) const;
  Metrics::Route* MalformedMetricsRoute() const { return malformed_metrics_; }

  // Every (method, path pattern) the API serves, routes and key-less endpoints alike; the
  // OpenAPI document must describe each (tests/unit/openapi_test.cpp).
  static std::vector<std::pair<std::string, std::string>> Endpoints();

  // Every statement a PlanRead or a rate ask may name, to prepare on each pipelined connection.
  static std::vector<const PipelinedStatement*> PipelinedStatements();

  // The limit shared through the database (api.rate_limit_scope "database"). A call left with
  // wants_admission gets its decision from the server's AdmissionBatcher.
  bool rate_limit_shared() const { return shared_rate_limit_; }
  void SetRateDecision(Call& call, const RateDecision& decision);
  // What the batcher needs: the limit, the process's own log (the fallback), and a blocking
  // ask for when the pipelined connection is not up (kUnavailable while the database is
  // known to be down, without trying).
  int rate_limit() const { return api_.rate_limit_per_minute; }
  RateLimiter& local_rate_limiter() { return limiter_; }
  Result<RateGrant> AskRateWindow(const RateAsk& ask);

  // From now on /readyz answers 503, so a load balancer stops sending before the listener
  // closes. Thread-safe.
  void BeginShutdown() { shutting_down_ = true; }

  // Called (on the blocking pool) after an order is placed; set before serving.
  void SetOrderPlacedHook(std::function<void()> hook) { order_placed_ = std::move(hook); }
  // How claims read a TON wallet's public key from its chain; set before serving. Without it
  // TON proofs answer 503 (reviews still work).
  void SetWalletKeyLookup(WalletKeyLookup lookup) { wallet_public_key_ = std::move(lookup); }

  // Blocking background duties, run periodically by the server.
  void FlushUsage();
  void ProbeDatabase();

 private:
  struct RouteEntry {
    std::string method;
    std::string pattern;
    RouteAuth auth;
    bool needs_database;  // false: may run on the I/O thread
    Handler handler;
    const PipelinedHandler* pipelined = nullptr;  // the same route as one pipelined read
  };
  static std::vector<RouteEntry> Routes();
  const RouteEntry* RouteOf(const Call& call) const;
  HandlerContext ContextOf(const Call& call);
  std::optional<HttpResponse> Serve(Call& call, bool may_block);
  std::optional<HttpResponse> Authenticate(Call& call, const RouteEntry* route, bool may_block);
  std::optional<HttpResponse> AuthenticateAdmin(Call& call, bool may_block);
  HttpResponse RunHandler(Call& call, const RouteEntry& route);

  Database& db_;
  const Config& config_;
  const ApiConfig& api_;
  std::vector<RouteEntry> routes_;
  std::vector<std::pair<std::string, std::string>> patterns_;
  KeyCache keys_;
  AdminGate admin_gate_;
  RateLimiter limiter_;  // the whole limit with scope "process"; else the fallback
  bool shared_rate_limit_;
  UsageRecorder usage_;
  std::function<void()> order_placed_;
  WalletKeyLookup wallet_public_key_;
  std::atomic<bool> shutting_down_{false};
  std::vector<Metrics::Route*> route_metrics_;  // by route index
  Metrics::Route* unmatched_metrics_ = nullptr;
  Metrics::Route* malformed_metrics_ = nullptr;
};

}  // namespace instamarket
