// Raw request bytes as a connection receives them: the server's Beast parser with the server's
// limits (api/beast_request.h), up to four pipelined requests, each through ApiService (the
// inline step, then the blocking one) and the response writer. The database is a socket path
// that does not exist: every route runs up to its first query, which fails as kUnavailable.
// Admin routes take kAdminToken, so their handlers' input checks are reached too; API-key routes
// stop at the key lookup there (it needs the database), so each request is also given to its
// route's handler directly as an authenticated caller (docs/security.md, "Fuzzing").
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "api/account_handlers.h"
#include "api/api_service.h"
#include "api/beast_request.h"
#include "api/catalog_handlers.h"
#include "api/deposit_handlers.h"
#include "api/order_handlers.h"
#include "api/response_wire.h"
#include "api/router.h"
#include "api/service_handlers.h"
#include "api/usage_recorder.h"
#include "core/crypto.h"
#include "core/secret_box.h"
#include "metrics/metrics.h"

namespace instamarket {
namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

// The seeds (tests/fuzz/corpus/fuzz_http_request) send this token.
constexpr char kAdminToken[] = "fuzz-admin-token-0123456789abcdef";

// The API-key routes of ApiService::Routes(), whose handlers the fuzzer calls as an
// authenticated caller. Checked against ApiService::Endpoints() at start-up.
struct KeyRoute {
  const char* method;
  const char* pattern;
  Handler handler;
};
constexpr KeyRoute kKeyRoutes[] = {
    {"GET", "/api/v1/health", &HandleHealth},
    {"GET", "/api/v1/products", &HandleListProducts},
    {"GET", "/api/v1/products/{id}", &HandleGetProduct},
    {"GET", "/api/v1/categories", &HandleListCategories},
    {"GET", "/api/v1/balance", &HandleGetBalance},
    {"GET", "/api/v1/usage", &HandleGetUsage},
    {"POST", "/api/v1/balance/topup", &HandleCreateTopup},
    {"GET", "/api/v1/balance/topup/{id}", &HandleGetTopup},
    {"POST", "/api/v1/orders", &HandleCreateOrder},
    {"GET", "/api/v1/orders", &HandleListOrders},
    {"GET", "/api/v1/orders/{id}", &HandleGetOrder},
};

struct Service {
  Config config;
  std::unique_ptr<Database> db;
  std::unique_ptr<ApiService> api;
  std::vector<std::pair<std::string, std::string>> key_patterns;
  ApiKeyRecord key;
  UsageRecorder usage;
};

Service& TheService() {
  // Built once and never destroyed: libFuzzer calls the harness millions of times.
  static Service* service = [] {
    spdlog::set_level(spdlog::level::off);  // handler errors would be logged on every run
    auto* s = new Service;
    s->config.database.url = "postgresql:///fuzz?host=/nonexistent/instamarket-fuzz";
    s->config.admin.token = kAdminToken;
    s->config.admin.tokens = {{"fuzz", Sha256(kAdminToken)}};  // as the config parser names it
    s->config.api.trusted_proxies = {"127.0.0.1"};
    // Two networks, so that top-up requests get past the network check.
    for (const char* id : {"usdt_trc_20", "usdt_bep_20"}) {
      NetworkConfig network;
      network.id = id;
      network.kind = id == std::string_view("usdt_trc_20") ? "tron" : "evm";
      s->config.networks.push_back(network);
    }
    const auto endpoints = ApiService::Endpoints();
    for (const KeyRoute& route : kKeyRoutes) {
      std::pair<std::string, std::string> entry{route.method, route.pattern};
      Check(std::find(endpoints.begin(), endpoints.end(), entry) != endpoints.end());
      s->key_patterns.push_back(entry);
    }
    s->key.id = 1;
    s->key.label = "fuzz";
    // Any master key: the database is never reached, so nothing is ever sealed or opened.
    s->db = std::make_unique<Database>(
        s->config,
        std::make_shared<const SecretBox>(SecretBox::Create(std::string(32, 'k')).value()));
    s->api = std::make_unique<ApiService>(*s->db, s->config);
    return s;
  }();
  return *service;
}

// Reads one request out of `pending` (bytes received, not yet consumed) as
// HttpServer::ReadRequest does, taking `chunk` more bytes from `input` whenever the parser needs
// them; the end of `input` is the peer closing (asio::error::eof).
void ReadRequest(std::string_view& input, std::size_t chunk, std::string& pending,
                 BeastRequestParser& parser, boost::beast::error_code& ec) {
  namespace http = boost::beast::http;
  for (;;) {
    if (!pending.empty()) {
      std::size_t used = parser.put(boost::asio::buffer(pending), ec);
      pending.erase(0, used);
      if (ec == http::error::need_more) {
        ec = {};
      } else if (ec || parser.is_done()) {
        return;
      } else if (used > 0) {
        continue;
      }
    }
    if (input.empty()) {
      ec = boost::asio::error::eof;
      return;
    }
    std::size_t n = std::min(chunk, input.size());
    pending.append(input.substr(0, n));
    input.remove_prefix(n);
  }
}

// The request's handler, run as key 1 (what ApiService does once the key is known).
void ServeAuthenticated(Service& service, const HttpRequest& request) {
  RouteMatch match = MatchRoute(service.key_patterns, request.method, request.Path());
  if (match.index < 0) return;
  HandlerContext ctx{request,        match.params,  &service.key, *service.db,
                     service.config, service.usage, 1'700'000'000};
  HttpResponse response = kKeyRoutes[match.index].handler(ctx);
  Check(response.status >= 200 && response.status <= 599);
}

struct Parsed {
  std::string method, target, body;
};

// Serves every request in `input` (read `chunk` bytes at a time) and returns what was parsed.
std::vector<Parsed> ServeConnection(std::string_view input, std::size_t chunk, bool serve) {
  Service& service = TheService();
  const std::size_t max_body = service.config.api.max_body_bytes;
  std::vector<Parsed> parsed;
  std::string pending, out;
  for (int count = 0; count < 4; ++count) {
    if (pending.empty() && input.empty()) break;  // the peer closed between requests
    BeastRequestParser parser;
    ConfigureRequestParser(parser, max_body);
    boost::beast::error_code ec;
    ReadRequest(input, chunk, pending, parser, ec);
    if (ec) {
      if (!serve) break;
      if (auto refusal = UnreadableRequestResponse(ec, max_body)) {
        WriteResponse(*refusal, 11, false, out);
        Metrics::Get().RecordRequest(service.api->MalformedMetricsRoute(), refusal->status, 0);
      }
      break;
    }
    const BeastRequest& req = parser.get();
    HttpRequest request = ToApiRequest(req, "127.0.0.1");
    parsed.push_back({request.method, request.target, request.body});
    bool keep_alive = req.keep_alive();
    if (serve) {
      SetRequestId(request, 0, static_cast<std::uint64_t>(count));
      ApiService::Call call(request);
      std::optional<HttpResponse> response = service.api->HandleInline(call);
      if (!response) {
        if (service.api->PlanRead(call)) {
          response = service.api->FinishRead(
              call, MakeError(ErrorCode::kUnavailable, "no database while fuzzing"));
        } else {
          response = service.api->HandleBlocking(call);
        }
      }
      Check(response->status >= 200 && response->status <= 599);
      if (request.client_request_id) response->AddHeader("X-Request-Id", request.request_id);
      WriteResponse(*response, req.version(), keep_alive, out, request.method == "HEAD");
      Metrics::Get().RecordRequest(service.api->MetricsRoute(call), response->status, 0);
      ServeAuthenticated(service, request);
    }
    if (!keep_alive) break;
  }
  return parsed;
}

int FuzzOne(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto whole = ServeConnection(input, input.size() + 1, true);
  // A socket may split the bytes anywhere: reading them in small pieces must give the same
  // requests.
  auto pieces = ServeConnection(input, 1 + size % 7, false);
  Check(pieces.size() == whole.size());
  for (std::size_t i = 0; i < whole.size(); ++i) {
    Check(pieces[i].method == whole[i].method && pieces[i].target == whole[i].target &&
          pieces[i].body == whole[i].body);
  }
  return 0;
}

}  // namespace
}  // namespace instamarket

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return instamarket::FuzzOne(data, size);
}
