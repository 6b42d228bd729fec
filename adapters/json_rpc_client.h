#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "adapters/http_endpoints.h"
#include "core/result.h"

namespace instamarket {

// JSON-RPC 2.0 over HTTP, on HttpEndpoints (failover and backoff over several endpoints; a
// node's error object also moves on to the next endpoint). Not thread-safe: one per adapter.
class JsonRpcClient {
 public:
  // `network` labels its error metrics. `range_limits`: node errors that read like "range or
  // result too large" are returned as kResourceExhausted (EVM getLogs) instead of moving on to
  // the next endpoint.
  JsonRpcClient(std::string network, std::vector<std::string> urls,
                std::chrono::milliseconds timeout, bool range_limits = true);

  // The call's "result". Errors: kResourceExhausted when the node refused the request as too
  // large (a block range or result limit: ask for less); kUnavailable for everything else (no
  // endpoint answered with a result). `null_is_missing`: a null result means this node does not
  // have it (yet), and the next endpoint is asked.
  Result<nlohmann::json> Call(const std::string& method, const nlohmann::json& params,
                              bool null_is_missing = false);

 private:
  HttpEndpoints endpoints_;
  bool range_limits_;
  std::int64_t next_id_ = 1;
};

// A JSON-RPC reply's result, or why there is none (the errors of JsonRpcClient::Call).
Result<nlohmann::json> RpcResult(nlohmann::json reply, bool range_limits, bool null_is_missing);

// True for the messages nodes use when a getLogs range or result set is too large.
bool IsRangeLimitError(int code, const std::string& message);

}  // namespace instamarket
