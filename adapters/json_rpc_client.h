#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace instamarket {

// JSON-RPC 2.0 over HTTP (libcurl) with several endpoints: a failing endpoint (connection
// error, timeout, HTTP 429 or 5xx, a body that is not a JSON-RPC answer) is put in backoff
// (honoring Retry-After) and the call is retried on the next endpoint, a few attempts in all,
// so that one flaky reply does not fail a whole poll. Not thread-safe: one client per adapter.
class JsonRpcClient {
 public:
  // `network` labels its error metrics.
  JsonRpcClient(std::string network, std::vector<std::string> urls,
                std::chrono::milliseconds timeout);
  ~JsonRpcClient();
  JsonRpcClient(const JsonRpcClient&) = delete;
  JsonRpcClient& operator=(const JsonRpcClient&) = delete;

  // The call's "result". Errors: kResourceExhausted when the node refused the request as too
  // large (a block range or result limit: ask for less); kUnavailable for everything else (no
  // endpoint answered with a result).
  Result<nlohmann::json> Call(const std::string& method, const nlohmann::json& params);

 private:
  struct Endpoint;
  Result<nlohmann::json> CallOnce(Endpoint& endpoint, const std::string& body);
  // The endpoint to try next, after waiting briefly for one in backoff; none when all are
  // in backoff for longer.
  std::optional<std::size_t> NextEndpoint();

  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::string network_;
  std::chrono::milliseconds timeout_;
  std::size_t preferred_ = 0;  // the endpoint that answered last
  std::int64_t next_id_ = 1;
};

// True for the messages nodes use when a getLogs range or result set is too large.
bool IsRangeLimitError(int code, const std::string& message);

}  // namespace instamarket
