#include "api/api_service.h"

#include <spdlog/spdlog.h>

#include "api/account_handlers.h"
#include "api/catalog_handlers.h"
#include "api/claim_handlers.h"
#include "api/deposit_handlers.h"
#include "api/embedded_docs.h"
#include "api/handler_context.h"
#include "api/order_handlers.h"
#include "api/problem.h"
#include "api/reconciliation_handlers.h"
#include "api/request_security.h"
#include "api/reservation_handlers.h"
#include "api/service_handlers.h"
#include "core/crypto.h"
#include "core/json_writer.h"
#include "core/log_context.h"
#include "ledger/key_store.h"
#include "metrics/chain_alerts.h"
#include "metrics/metrics.h"

namespace instamarket {

namespace {

std::int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

HttpResponse NoRoute(const RouteMatch& match, const std::string& method) {
  if (!match.path_exists()) return Problem(404, "no such endpoint");
  HttpResponse response =
      Problem(405, method + " is not allowed here; use " + match.allowed_methods);
  response.AddHeader("Allow", match.allowed_methods);
  return response;
}

void AddRateHeaders(HttpResponse& response, const RateDecision& rate) {
  response.rate = HttpResponse::RateHeaders{rate.limit, rate.remaining, rate.reset_seconds};
}

}  // namespace

ApiService::ApiService(Database& db, const Config& config)
    : db_(db),
      config_(config),
      api_(config.api),
      keys_(db.keys(), std::chrono::milliseconds(config.api.key_cache_ttl_ms)),
      admin_gate_(config.admin),
      limiter_(config.api.rate_limit_per_minute, std::chrono::seconds(60)),
      shared_rate_limit_(config.api.rate_limit_scope == "database") {
  routes_ = Routes();
  for (const auto& r : routes_) {
    patterns_.emplace_back(r.method, r.pattern);
    route_metrics_.push_back(Metrics::Get().ForRoute(r.method + " " + r.pattern));
  }
  unmatched_metrics_ = Metrics::Get().ForRoute("(no route)");
  malformed_metrics_ = Metrics::Get().ForRoute("(malformed request)");
}

namespace {
// Endpoints served before authentication, for tools rather than API clients.
constexpr std::pair<const char*, const char*> kKeylessEndpoints[] = {
    {"GET", "/livez"},    {"GET", "/readyz"},
    {"GET", "/metrics"},  {"GET", "/api/v1/openapi.json"},
    {"GET", "/api/docs"}, {"GET", "/api/docs/postman.json"}};
}  // namespace

std::vector<std::pair<std::string, std::string>> ApiService::Endpoints() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : Routes()) out.emplace_back(r.method, r.pattern);
  for (const auto& [method, path] : kKeylessEndpoints) out.emplace_back(method, path);
  return out;
}

std::vector<ApiService::RouteEntry> ApiService::Routes() {
  return {
      {"GET", "/api/v1/health", RouteAuth::kApiKey, false, &HandleHealth},
      {"GET", "/api/v1/products", RouteAuth::kApiKey, true, &HandleListProducts},
      {"GET", "/api/v1/products/{id}", RouteAuth::kApiKey, true, &HandleGetProduct},
      {"GET", "/api/v1/categories", RouteAuth::kApiKey, true, &HandleListCategories},
      {"GET", "/api/v1/balance", RouteAuth::kApiKey, true, &HandleGetBalance, &kGetBalanceRead},
      {"GET", "/api/v1/usage", RouteAuth::kApiKey, true, &HandleGetUsage},
      {"POST", "/api/v1/balance/topup", RouteAuth::kApiKey, true, &HandleCreateTopup},
      {"GET", "/api/v1/balance/topup/{id}", RouteAuth::kApiKey, true, &HandleGetTopup},
      {"POST", "/api/v1/balance/claims", RouteAuth::kApiKey, true, &HandleCreateClaim},
      {"GET", "/api/v1/balance/claims", RouteAuth::kApiKey, true, &HandleListClaims},
      {"GET", "/api/v1/balance/claims/{id}", RouteAuth::kApiKey, true, &HandleGetClaim},
      {"POST", "/api/v1/balance/claims/{id}/proof", RouteAuth::kApiKey, true, &HandleProveClaim},
      {"POST", "/api/v1/balance/claims/{id}/review", RouteAuth::kApiKey, true,
       &HandleRequestClaimReview},
      {"POST", "/api/v1/orders", RouteAuth::kApiKey, true, &HandleCreateOrder},
      {"GET", "/api/v1/orders", RouteAuth::kApiKey, true, &HandleListOrders},
      {"GET", "/api/v1/orders/{id}", RouteAuth::kApiKey, true, &HandleGetOrder},
      {"GET", "/api/admin/api-audit", RouteAuth::kAdminToken, true, &HandleAdminAudit},
      {"GET", "/api/admin/deposits", RouteAuth::kAdminToken, true, &HandleAdminListDeposits},
      {"POST", "/api/admin/deposits/{id}/assign", RouteAuth::kAdminToken, true,
       &HandleAdminAssignDeposit},
      {"POST", "/api/admin/orders/{id}/cancel", RouteAuth::kAdminToken, true,
       &HandleAdminCancelOrder},
      {"GET", "/api/admin/webhooks", RouteAuth::kAdminToken, true, &HandleAdminListWebhooks},
      {"POST", "/api/admin/amount-reservations", RouteAuth::kAdminToken, true,
       &HandleAdminCreateReservation},
      {"GET", "/api/admin/amount-reservations", RouteAuth::kAdminToken, true,
       &HandleAdminListReservations},
      {"GET", "/api/admin/amount-reservations/{id}", RouteAuth::kAdminToken, true,
       &HandleAdminGetReservation},
      {"POST", "/api/admin/amount-reservations/{id}/release", RouteAuth::kAdminToken, true,
       &HandleAdminReleaseReservation},
      {"GET", "/api/admin/claims", RouteAuth::kAdminToken, true, &HandleAdminListClaims},
      {"GET", "/api/admin/reconciliation", RouteAuth::kAdminToken, true,
       &HandleAdminReconciliation},
      {"POST", "/api/admin/claims/{id}/approve", RouteAuth::kAdminToken, true,
       &HandleAdminApproveClaim},
      {"POST", "/api/admin/claims/{id}/refuse", RouteAuth::kAdminToken, true,
       &HandleAdminRefuseClaim},
      {"POST", "/api/admin/webhooks/{id}/redeliver", RouteAuth::kAdminToken, true,
       &HandleAdminRedeliverWebhook},
  };
}

std::optional<HttpResponse> ApiService::HandleInline(Call& call) { return Serve(call, false); }

std::optional<HttpResponse> ApiService::HandleBlocking(Call& call) {
  auto response = Serve(call, true);
  if (!response && call.wants_admission) return std::nullopt;
  return response ? std::move(*response) : Problem(500, "request was not served");
}

Metrics::Route* ApiService::MetricsRoute(const Call& call) const {
  if (!call.routed) return unmatched_metrics_;
  if (call.match.index >= 0) return route_metrics_[static_cast<std::size_t>(call.match.index)];
  // Probes and /metrics are not routes: counted with everything unmatched.
  return unmatched_metrics_;
}

std::vector<const PipelinedStatement*> ApiService::PipelinedStatements() {
  return {BalanceStore::GetRead(0).statement, RateWindowStore::AdmitStatement()};
}

void ApiService::SetRateDecision(Call& call, const RateDecision& decision) {
  call.rate = decision;
  call.rate_decided = true;
  call.wants_admission = false;
}

Result<RateGrant> ApiService::AskRateWindow(const RateAsk& ask) {
  if (!db_.healthy()) return MakeError(ErrorCode::kUnavailable, "database unavailable");
  return db_.rate_windows().Admit(ask);
}

const ApiService::RouteEntry* ApiService::RouteOf(const Call& call) const {
  if (!call.routed || call.match.index < 0) return nullptr;
  return &routes_[static_cast<std::size_t>(call.match.index)];
}

HandlerContext ApiService::ContextOf(const Call& call) {
  return HandlerContext{call.request,     call.match.params,
                        call.key.get(),   db_,
                        config_,          usage_,
                        UnixNow(),        order_placed_ ? &order_placed_ : nullptr,
                        call.admin_actor, wallet_public_key_ ? &wallet_public_key_ : nullptr};
}

std::optional<PipelinedRead> ApiService::PlanRead(const Call& call) const {
  const RouteEntry* route = RouteOf(call);
  if (!call.admitted || !route || !route->pipelined) return std::nullopt;
  HandlerContext ctx{call.request, call.match.params, call.key.get(), db_, config_, usage_, 0};
  return route->pipelined->plan(ctx);
}

HttpResponse ApiService::FinishRead(Call& call, Result<std::vector<TextRow>> rows) {
  ScopedRequestId log_scope(call.request.request_id);
  const RouteEntry* route = RouteOf(call);
  if (!route || !route->pipelined) return Problem(500, "request was not served");
  HttpResponse response = route->pipelined->finish(ContextOf(call), std::move(rows));
  AddRateHeaders(response, call.rate);
  return response;
}

std::optional<HttpResponse> ApiService::Serve(Call& call, bool may_block) {
  const HttpRequest& req = call.request;
  ScopedRequestId log_scope(req.request_id);
  if (!call.routed) {
    call.match = MatchRoute(patterns_, req.method, req.Path());
    call.routed = true;
  }
  const RouteEntry* route =
      call.match.index >= 0 ? &routes_[static_cast<std::size_t>(call.match.index)] : nullptr;

  // Probes and metrics for process managers, load balancers and Prometheus: no key, no rate
  // limit, no usage. /metrics has no per-key series; restrict it at the proxy if need be.
  // GET or HEAD only (HEAD gets the same headers and no body).
  bool probe = req.Path() == "/metrics" || req.Path() == "/livez" || req.Path() == "/readyz";
  bool read_only = req.method == "GET" || req.method == "HEAD";
  if (probe && !read_only) {
    HttpResponse refused = Problem(405, "this endpoint answers GET and HEAD only");
    refused.AddHeader("Allow", "GET, HEAD");
    return refused;
  }
  if (req.Path() == "/metrics") {
    HttpResponse metrics = JsonResponse(200, Metrics::Get().Serialize());
    metrics.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return metrics;
  }
  if (req.Path() == "/livez") return JsonResponse(200, R"({"status":"alive"})");
  if (req.method == "GET") {
    if (req.Path() == "/api/v1/openapi.json")
      return JsonResponse(200, std::string(OpenApiDocument()));
    if (req.Path() == "/api/docs" || req.Path() == "/api/docs/") {
      HttpResponse page = JsonResponse(200, std::string(DocsPage()));
      page.content_type = "text/html; charset=utf-8";
      // The page loads nothing from elsewhere; the browser holds it to that.
      // No other site may frame it (clickjacking a page that holds a pasted key), and the
      // browser must not guess another type for it.
      page.AddHeader("Content-Security-Policy",
                     "default-src 'self'; script-src 'self' 'unsafe-inline'; "
                     "style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'");
      page.AddHeader("X-Content-Type-Options", "nosniff");
      page.AddHeader("X-Frame-Options", "DENY");  // for browsers without frame-ancestors
      return page;
    }
    if (req.Path() == "/api/docs/postman.json") {
      HttpResponse collection = JsonResponse(200, std::string(PostmanCollection()));
      collection.AddHeader("Content-Disposition",
                           "attachment; filename=\"instamarket.postman_collection.json\"");
      return collection;
    }
  }
  if (req.Path() == "/readyz") {
    if (shutting_down_)
      return JsonResponse(503, R"({"status":"not_ready","reason":"shutting down"})");
    if (!db_.healthy()) {
      return JsonResponse(503, R"({"status":"not_ready","reason":"database unreachable"})");
    }
    // Still ready (it serves), but what operators must see is shown (metrics/chain_alerts.h).
    std::string alerts = ChainAlerts::Get().JsonItems();
    if (!alerts.empty())
      return JsonResponse(200, R"({"status":"ready","chain_alerts":[)" + alerts + "]}");
    return JsonResponse(200, R"({"status":"ready"})");
  }

  // Admin paths take the admin token; everything else an API key, checked before 404/405 so
  // that unknown callers learn nothing about routes and every POST is signature-checked.
  bool admin_path = req.Path().rfind("/api/admin/", 0) == 0;
  if (admin_path) {
    if (auto refused = AuthenticateAdmin(call, may_block)) return refused;
    if (call.admin.outcome != AdminGate::Outcome::kAllowed) return std::nullopt;  // audit first
  } else {
    if (auto refused = Authenticate(call, route, may_block)) return refused;
    if (!call.admitted) return std::nullopt;  // the key lookup or replay check needs the pool
  }

  if (!route) {
    HttpResponse response = NoRoute(call.match, req.method);
    if (call.admitted) AddRateHeaders(response, call.rate);
    return response;
  }
  if (route->needs_database && !may_block) return std::nullopt;
  HttpResponse response = RunHandler(call, *route);
  if (call.admitted) AddRateHeaders(response, call.rate);
  return response;
}

// Returns a refusal, or nullopt to go on (allowed) or to continue on the pool (a refusal whose
// audit row must be written first).
std::optional<HttpResponse> ApiService::AuthenticateAdmin(Call& call, bool may_block) {
  const HttpRequest& req = call.request;
  if (!admin_gate_.enabled()) return Problem(401, "the admin API is disabled (no admin tokens)");
  if (!call.admin_checked) {
    call.admin_client =
        ResolveClientIp(req.peer_ip, req.CombinedHeader("X-Forwarded-For"), api_.trusted_proxies);
    call.admin = admin_gate_.Check(req.Header("X-Admin-Token"), call.admin_client, Clock::now());
    call.admin_checked = true;
    if (call.admin.outcome == AdminGate::Outcome::kLockedOut) {
      Metrics::Get().RecordAdminAuthFailure("locked_out");
    } else if (call.admin.outcome == AdminGate::Outcome::kBadToken) {
      Metrics::Get().RecordAdminAuthFailure("bad_token");
    }
  }
  switch (call.admin.outcome) {
    case AdminGate::Outcome::kAllowed:
      call.admin_actor = "admin:" + call.admin.name;
      return std::nullopt;
    case AdminGate::Outcome::kLockedOut: {
      HttpResponse refused =
          Problem(429, "too many failed X-Admin-Token attempts from this address; wait");
      refused.AddHeader("Retry-After", std::to_string(call.admin.retry_after_seconds));
      return refused;
    }
    default:
      break;
  }
  if (call.admin.audit_action) {
    if (!may_block) return std::nullopt;
    JsonWriter details;
    details.BeginObject()
        .Field("address", call.admin_client)
        .Field("failures_in_window", static_cast<std::int64_t>(call.admin.failures_in_window))
        .EndObject();
    // Best effort: a database that is down must not turn a refusal into something else.
    auto recorded = db_.audit().Record("anonymous", call.admin.audit_action,
                                       "ip:" + call.admin_client, details.str());
    if (!recorded) spdlog::warn("cannot audit a refused admin token: {}", recorded.error().message);
    call.admin.audit_action = nullptr;
  }
  return Problem(401, "missing or invalid X-Admin-Token");
}

// Returns a refusal, or nullopt to go on (with call.key set) or to continue on the pool (with
// call.key still null).
std::optional<HttpResponse> ApiService::Authenticate(Call& call, const RouteEntry* route,
                                                     bool may_block) {
  const HttpRequest& req = call.request;
  if (call.admitted) return std::nullopt;
  if (!call.key) {
    std::string_view presented = req.Header("X-API-Key");
    if (presented.empty()) return Problem(401, "the X-API-Key header is required");
    // Only the issued format reaches the cache and the database: random junk keys (up to the
    // header limit, no credential needed) once filled every cache shard and cost a query each.
    if (!IsWellFormedApiKey(presented)) return Problem(401, "invalid or revoked X-API-Key");
    auto now = Clock::now();
    auto cached = keys_.Peek(presented, now);
    if (!cached) {
      if (!may_block) return std::nullopt;
      auto loaded = keys_.Load(std::string(presented), now);
      if (!loaded) return ProblemFor(loaded.error());
      cached = *loaded;
    }
    if (!*cached || (*cached)->revoked()) return Problem(401, "invalid or revoked X-API-Key");
    call.key = *cached;
  }
  const ApiKeyRecord& key = *call.key;

  if (!key.allowed_ips.empty()) {  // resolving the client address is only needed for this
    std::string client_ip =
        // Every X-Forwarded-For line: a proxy may append its own line after one the client
        // forged, and reading only the first would believe the forgery.
        ResolveClientIp(req.peer_ip, req.CombinedHeader("X-Forwarded-For"), api_.trusted_proxies);
    if (!IpAllowed(client_ip, key.allowed_ips)) {
      call.key = nullptr;
      return Problem(403, "this key may not be used from " + client_ip);
    }
  }

  bool must_sign = key.hmac_secret && req.method == "POST";
  if (must_sign) {
    auto verified = VerifyRequestSignature(*key.hmac_secret, req.Header("X-Timestamp"),
                                           req.Header("X-Signature"), req.body, UnixNow(),
                                           api_.hmac_window_seconds);
    if (!verified) {
      call.key = nullptr;
      return Problem(401, verified.error().message);
    }
    if (!may_block) {
      // The replay check needs the database; come back on the pool with the key known.
      return std::nullopt;
    }
  }

  if (!call.rate_decided) {
    if (!shared_rate_limit_) {
      SetRateDecision(call, limiter_.Admit(key.id, Clock::now()));
    } else {
      // The server decides on the I/O thread (batched with the key's other requests), also
      // for a call already on the pool: then it comes back here with the decision.
      call.wants_admission = true;
      return std::nullopt;
    }
  }
  if (!call.rate.allowed) {
    Metrics::Get().RecordRateLimited();
    HttpResponse response = Problem(
        429, "rate limit of " + std::to_string(call.rate.limit) + " requests per minute exceeded",
        "\"retry_after\":" + std::to_string(call.rate.reset_seconds));
    response.AddHeader("Retry-After", std::to_string(call.rate.reset_seconds));
    AddRateHeaders(response, call.rate);
    call.key = nullptr;
    return response;
  }

  if (must_sign) {
    // Remembered in its canonical spelling: the check accepts any case, so remembering it as sent
    // let one captured request be replayed once per upper/lower-case variant.
    std::string signature = CanonicalSignature(req.Header("X-Signature"));
    auto fresh = db_.keys().RememberSignature(key.id, signature, 2 * api_.hmac_window_seconds + 60);
    if (!fresh) {
      call.key = nullptr;
      return ProblemFor(fresh.error());
    }
    if (!*fresh) {
      call.key = nullptr;
      return Problem(401, "this signature was already used (replay)");
    }
  }
  // The route's pattern, not the raw path: bounded, and always valid UTF-8 for the database.
  usage_.Record(key.id, UnixNow(), route ? std::string_view(route->pattern) : "(no such endpoint)");
  call.admitted = true;
  return std::nullopt;
}

HttpResponse ApiService::RunHandler(Call& call, const RouteEntry& route) {
  HandlerContext ctx = ContextOf(call);
  try {
    return route.handler(ctx);
  } catch (const std::exception& e) {
    spdlog::error("handler {} {} failed: {}", route.method, route.pattern, e.what());
    return Problem(500, "internal error; it has been logged");
  }
}

void ApiService::FlushUsage() {
  auto deltas = usage_.Drain();
  if (deltas.empty()) return;
  auto written = db_.usage().Add(deltas);
  if (written) return;
  if (written.error().code == ErrorCode::kUnavailable) {
    spdlog::warn("usage flush failed, will retry: {}", written.error().message);
    usage_.Restore(std::move(deltas));
  } else {
    // Retrying a batch the database refuses would block every later flush.
    spdlog::error("usage flush refused, counts dropped: {}", written.error().message);
  }
}

void ApiService::ProbeDatabase() {
  auto ping = db_.Ping();
  if (!ping) spdlog::warn("database probe failed: {}", ping.error().message);
}

}  // namespace instamarket
