#include "adapters/http_endpoints.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>
#include <thread>

#include "core/url_redaction.h"
#include "metrics/metrics.h"

namespace instamarket {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kMinBackoff = std::chrono::milliseconds(100);
// An endpoint's own backoff stays short: one flaky reply should not bench a node for long.
// A Retry-After (or a suspension) from the node is honored up to kMaxRetryAfter.
constexpr auto kMaxBackoff = std::chrono::seconds(5);
constexpr auto kMaxRetryAfter = std::chrono::seconds(60);
// A request makes this many attempts over the endpoints, waiting for an endpoint in backoff only
// when it is free again within kMaxInlineWait; longer waits are the watcher's to make.
constexpr int kAttemptsPerRequest = 4;
constexpr auto kMaxInlineWait = std::chrono::seconds(1);
constexpr std::size_t kMaxResponseBytes = 64 * 1024 * 1024;

std::size_t AppendBody(char* data, std::size_t size, std::size_t count, void* out) {
  auto* body = static_cast<std::string*>(out);
  if (body->size() + size * count > kMaxResponseBytes) return 0;  // aborts the transfer
  body->append(data, size * count);
  return size * count;
}

// Deeper than any chain API answers: a reply nested deeper is refused before it is parsed, since
// copying or printing a JSON value recurses as deep as it nests (a few hundred kilobytes of
// "[[[[" would overflow the stack).
constexpr int kMaxJsonDepth = 128;

}  // namespace

bool JsonNestedAtMost(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

namespace {

// A node's wait hint in whole seconds, within [0, kMaxRetryAfter]: a huge Retry-After must not
// overflow the clock's arithmetic.
Clock::duration HintedWait(long seconds) {
  const long capped = std::clamp<long>(
      seconds, 0, std::chrono::duration_cast<std::chrono::seconds>(kMaxRetryAfter).count());
  return std::chrono::seconds(capped);
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

}  // namespace

std::string UrlEscape(std::string_view value) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

long SuspensionSeconds(const std::string& body) {
  // Only the start of a body: error answers are short, and a huge one is not worth scanning.
  std::string text = body.substr(0, 4096);
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* phrase : {"suspended for", "try again in", "retry after", "retry in"}) {
    auto at = text.find(phrase);
    if (at == std::string::npos) continue;
    std::size_t i = at + std::strlen(phrase);
    while (i < text.size() && text[i] == ' ') ++i;
    long seconds = 0;
    std::size_t digits = 0;
    for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) && digits < 5;
         ++i, ++digits) {
      seconds = seconds * 10 + (text[i] - '0');
    }
    while (i < text.size() && text[i] == ' ') ++i;
    if (digits > 0 && i < text.size() && text[i] == 's') return seconds;
  }
  return 0;
}

struct HttpEndpoints::Endpoint {
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

HttpEndpoints::HttpEndpoints(std::string network, std::vector<std::string> urls,
                             std::chrono::milliseconds timeout, std::vector<std::string> headers)
    : network_(std::move(network)), timeout_(timeout), headers_(std::move(headers)) {
  static std::once_flag curl_init;
  std::call_once(curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  for (auto& url : urls) {
    auto endpoint = std::make_unique<Endpoint>();
    endpoint->url = std::move(url);
    endpoint->curl = curl_easy_init();  // kept for connection reuse
    endpoints_.push_back(std::move(endpoint));
  }
}

HttpEndpoints::~HttpEndpoints() {
  for (auto& e : endpoints_) curl_easy_cleanup(e->curl);
}

Result<nlohmann::json> HttpEndpoints::Get(const std::string& path_and_query,
                                          const Interpret& interpret) {
  return Request(&path_and_query, nullptr, interpret);
}

Result<nlohmann::json> HttpEndpoints::Post(const std::string& body, const Interpret& interpret) {
  return Request(nullptr, &body, interpret);
}

Result<nlohmann::json> HttpEndpoints::Post(const std::string& path, const std::string& body,
                                           const Interpret& interpret) {
  return Request(&path, &body, interpret);
}

Result<nlohmann::json> HttpEndpoints::Request(const std::string* path, const std::string* body,
                                              const Interpret& interpret) {
  Error last = MakeError(ErrorCode::kUnavailable, "no endpoint");
  for (int attempt = 0; attempt < kAttemptsPerRequest; ++attempt) {
    auto endpoint = NextEndpoint();
    if (!endpoint) {
      last = MakeError(ErrorCode::kUnavailable,
                       "every endpoint is in backoff; last error: " + last.message);
      break;
    }
    auto result = RequestOnce(*endpoints_[*endpoint], path, body, interpret);
    if (result.ok() || result.error().code != ErrorCode::kUnavailable) {
      if (result.ok()) preferred_ = *endpoint;
      return result;
    }
    last = result.error();
  }
  return last;
}

std::optional<std::size_t> HttpEndpoints::NextEndpoint() {
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

Result<nlohmann::json> HttpEndpoints::RequestOnce(Endpoint& endpoint, const std::string* path,
                                                  const std::string* body,
                                                  const Interpret& interpret) {
  CURL* curl = endpoint.curl;
  std::string response;
  long retry_after = 0;
  std::string url = path ? endpoint.url + *path : endpoint.url;
  curl_slist* headers = nullptr;
  if (body) headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Accept: application/json");
  for (const auto& h : headers_) headers = curl_slist_append(headers, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));
  } else {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  }
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min<long>(timeout_.count(), 5000)));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, ReadRetryAfter);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &retry_after);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
  // Which instance asks, for providers' logs and for telling instances apart in tests.
  static const std::string user_agent = "instamarketd (pid " + std::to_string(getpid()) + ")";
  curl_easy_setopt(curl, CURLOPT_USERAGENT, user_agent.c_str());
  CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);

  auto unavailable = [&](const std::string& why, Clock::duration at_least = {}) {
    endpoint.Failed(at_least);
    Metrics::Get().RecordRpcError(network_, endpoint.url);
    // Masked: the message reaches the logs at warning level, and URLs may carry credentials.
    std::string where = MaskUrl(endpoint.url);
    spdlog::debug("{} {}: {}", network_, where, why);
    return MakeError(ErrorCode::kUnavailable, where + ": " + why);
  };
  if (code != CURLE_OK) return unavailable(curl_easy_strerror(code));
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300) {
    // 429, or a temporary suspension (TronGrid answers 403 "... suspended for 30s").
    long wait = std::max(retry_after, SuspensionSeconds(response));
    auto at_least = HintedWait(wait);
    return unavailable("HTTP " + std::to_string(status) +
                           (wait > 0 ? " (back in " + std::to_string(wait) + " s)" : ""),
                       at_least);
  }
  if (!JsonNestedAtMost(response, kMaxJsonDepth)) return unavailable("a reply nested too deep");
  nlohmann::json reply = nlohmann::json::parse(response, nullptr, false);
  if (reply.is_discarded()) return unavailable("a reply that is not JSON");
  auto result = interpret(std::move(reply));
  if (!result.ok() && result.error().code == ErrorCode::kUnavailable) {
    // A JSON-RPC rate limit comes in a 200 body: its wait is in a Retry-After header or in
    // the message ("try again in 2 s").
    long wait = std::max(retry_after, SuspensionSeconds(result.error().message));
    auto at_least = HintedWait(wait);
    return unavailable(result.error().message, at_least);
  }
  endpoint.Succeeded();
  return result;
}

}  // namespace instamarket
