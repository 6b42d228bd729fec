#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace instamarket {

// Several HTTP endpoints of one chain API, used with failover (libcurl): a failing endpoint
// (connection error, timeout, HTTP 429 or 5xx, a temporary suspension, a body the caller
// rejects, such as a JSON-RPC rate limit in a 200 body) is put in backoff (honoring Retry-After
// and "suspended for Ns") and the request is retried on the next one, a few attempts in all, so
// that one flaky reply does not fail a whole poll. Not thread-safe: one per adapter.
class HttpEndpoints {
 public:
  // `network` labels the error metrics; `headers` ("Name: value") go with every request.
  HttpEndpoints(std::string network, std::vector<std::string> urls,
                std::chrono::milliseconds timeout, std::vector<std::string> headers = {});
  ~HttpEndpoints();
  HttpEndpoints(const HttpEndpoints&) = delete;
  HttpEndpoints& operator=(const HttpEndpoints&) = delete;

  // Turns a 2xx JSON body into the caller's result. Returning kUnavailable marks the endpoint
  // as failing and tries the next; any other error is returned as is.
  using Interpret = std::function<Result<nlohmann::json>(nlohmann::json body)>;

  // GET base URL + `path_and_query`.
  Result<nlohmann::json> Get(const std::string& path_and_query, const Interpret& interpret);
  // POST `body` (JSON) to the base URL.
  Result<nlohmann::json> Post(const std::string& body, const Interpret& interpret);
  // POST `body` (JSON) to base URL + `path`.
  Result<nlohmann::json> Post(const std::string& path, const std::string& body,
                              const Interpret& interpret);

 private:
  struct Endpoint;
  Result<nlohmann::json> Request(const std::string* path, const std::string* body,
                                 const Interpret& interpret);
  Result<nlohmann::json> RequestOnce(Endpoint& endpoint, const std::string* path,
                                     const std::string* body, const Interpret& interpret);
  // The endpoint to try next, after waiting briefly for one in backoff; none when all are
  // in backoff for longer.
  std::optional<std::size_t> NextEndpoint();

  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::string network_;
  std::chrono::milliseconds timeout_;
  std::vector<std::string> headers_;
  std::size_t preferred_ = 0;  // the endpoint that answered last
};

// Whether JSON `text` nests arrays and objects at most `limit` deep (strings skipped). Replies
// nested deeper are refused unparsed: copying or printing such a value would recurse that deep.
bool JsonNestedAtMost(std::string_view text, int limit);

// Percent-encodes everything but RFC 3986's unreserved characters, for query values.
std::string UrlEscape(std::string_view value);

// The seconds in a "suspended for 30s" / "try again in 30 seconds" message (TronGrid), or a
// JSON-RPC rate limit's "retry in 3s", or 0.
long SuspensionSeconds(const std::string& body);

}  // namespace instamarket
