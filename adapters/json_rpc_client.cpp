#include "adapters/json_rpc_client.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <thread>

#include "metrics/metrics.h"

namespace instamarket {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kMinBackoff = std::chrono::milliseconds(100);
// An endpoint's own backoff stays short: one flaky reply should not bench a node for long.
// A Retry-After from the node is honored up to kMaxRetryAfter.
constexpr auto kMaxBackoff = std::chrono::seconds(5);
constexpr auto kMaxRetryAfter = std::chrono::seconds(60);
// A call makes this many attempts over its endpoints, waiting for an endpoint in backoff only
// when it is free again within kMaxInlineWait; longer waits are the watcher's to make.
constexpr int kAttemptsPerCall = 4;
constexpr auto kMaxInlineWait = std::chrono::seconds(1);
constexpr std::size_t kMaxResponseBytes = 64 * 1024 * 1024;

std::size_t AppendBody(char* data, std::size_t size, std::size_t count, void* out) {
  auto* body = static_cast<std::string*>(out);
  if (body->size() + size * count > kMaxResponseBytes) return 0;  // aborts the transfer
  body->append(data, size * count);
  return size * count;
}

std::size_t ReadRetryAfter(char* data, std::size_t size, std::size_t count, void* out) {
  std::string line(data, size * count);
  std::string lower = line;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.rfind("retry-after:", 0) == 0) {
    try {
      *static_cast<long*>(out) = std::stol(line.substr(12));
    } catch (...) {
    }
  }
  return size * count;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

bool IsRangeLimitError(int code, const std::string& message) {
  std::string m = Lower(message);
  for (const char* hint :
       {"range", "too many", "more than", "limit", "exceed", "too large", "timeout", "timed out"}) {
    if (m.find(hint) != std::string::npos) return true;
  }
  return code == -32005;
}

struct JsonRpcClient::Endpoint {
  std::string url;
  CURL* curl = nullptr;
  Clock::time_point available_at{};
  Clock::duration backoff = kMinBackoff;

  void Failed(Clock::duration at_least = {}) {
    backoff = std::min<Clock::duration>(backoff * 2, kMaxBackoff);
    available_at = Clock::now() + std::max(backoff, at_least);
  }
  void Succeeded() {
    backoff = kMinBackoff;
    available_at = {};
  }
};

JsonRpcClient::JsonRpcClient(std::string network, std::vector<std::string> urls,
                             std::chrono::milliseconds timeout)
    : network_(std::move(network)), timeout_(timeout) {
  static std::once_flag curl_init;
  std::call_once(curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  for (auto& url : urls) {
    auto endpoint = std::make_unique<Endpoint>();
    endpoint->url = std::move(url);
    endpoint->curl = curl_easy_init();  // kept for connection reuse
    endpoints_.push_back(std::move(endpoint));
  }
}

JsonRpcClient::~JsonRpcClient() {
  for (auto& e : endpoints_) curl_easy_cleanup(e->curl);
}

Result<nlohmann::json> JsonRpcClient::Call(const std::string& method,
                                           const nlohmann::json& params) {
  nlohmann::json request = {
      {"jsonrpc", "2.0"}, {"id", next_id_++}, {"method", method}, {"params", params}};
  std::string body = request.dump();
  Error last = MakeError(ErrorCode::kUnavailable, "no RPC endpoint");
  for (int attempt = 0; attempt < kAttemptsPerCall; ++attempt) {
    auto endpoint = NextEndpoint();
    if (!endpoint) {
      last = MakeError(ErrorCode::kUnavailable,
                       "every RPC endpoint is in backoff; last error: " + last.message);
      break;
    }
    auto result = CallOnce(*endpoints_[*endpoint], body);
    if (result.ok() || result.error().code != ErrorCode::kUnavailable) {
      if (result.ok()) preferred_ = *endpoint;
      return result;
    }
    last = result.error();
  }
  return last;
}

std::optional<std::size_t> JsonRpcClient::NextEndpoint() {
  // The endpoint that answered last first, then the others in order, skipping those in backoff.
  auto now = Clock::now();
  for (std::size_t k = 0; k < endpoints_.size(); ++k) {
    std::size_t i = (preferred_ + k) % endpoints_.size();
    if (endpoints_[i]->available_at <= now) return i;
  }
  auto soonest = std::min_element(endpoints_.begin(), endpoints_.end(), [](auto& a, auto& b) {
    return a->available_at < b->available_at;
  });
  if ((*soonest)->available_at - now > kMaxInlineWait) return std::nullopt;
  std::this_thread::sleep_until((*soonest)->available_at);
  return static_cast<std::size_t>(soonest - endpoints_.begin());
}

Result<nlohmann::json> JsonRpcClient::CallOnce(Endpoint& endpoint, const std::string& body) {
  CURL* curl = endpoint.curl;
  std::string response;
  long retry_after = 0;
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, endpoint.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min<long>(timeout_.count(), 5000)));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, ReadRetryAfter);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &retry_after);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
  CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);

  auto unavailable = [&](const std::string& why, Clock::duration at_least = {}) {
    endpoint.Failed(at_least);
    Metrics::Get().RecordRpcError(network_, endpoint.url);
    spdlog::debug("rpc {}: {}", endpoint.url, why);
    return MakeError(ErrorCode::kUnavailable, "rpc " + endpoint.url + ": " + why);
  };
  if (code != CURLE_OK) return unavailable(curl_easy_strerror(code));
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (status == 429)
    return unavailable(
        "HTTP 429",
        std::min<Clock::duration>(std::chrono::seconds(std::max(retry_after, 0L)), kMaxRetryAfter));
  if (status < 200 || status >= 300) return unavailable("HTTP " + std::to_string(status));
  nlohmann::json reply = nlohmann::json::parse(response, nullptr, false);
  if (reply.is_discarded() || !reply.is_object()) return unavailable("a reply that is not JSON");
  if (auto error = reply.find("error"); error != reply.end() && !error->is_null()) {
    int rpc_code = error->is_object() && (*error)["code"].is_number_integer()
                       ? (*error)["code"].get<int>()
                       : 0;
    std::string message = error->is_object() && (*error)["message"].is_string()
                              ? (*error)["message"].get<std::string>()
                              : error->dump();
    if (IsRangeLimitError(rpc_code, message)) {
      endpoint.Succeeded();
      return MakeError(ErrorCode::kResourceExhausted, "rpc limit: " + message);
    }
    // Any other node error may be that node's problem: let another endpoint try.
    return unavailable("rpc error " + std::to_string(rpc_code) + ": " + message);
  }
  auto result = reply.find("result");
  if (result == reply.end()) return unavailable("a reply without result");
  endpoint.Succeeded();
  return std::move(*result);
}

}  // namespace instamarket
