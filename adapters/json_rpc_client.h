#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
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
  // endpoint answered with a result; a rate limit puts that endpoint in backoff, honouring a
  // Retry-After header or a "try again in N s" in the message). `null_is_missing`: a null
  // result means this node does not have it (yet), and the next endpoint is asked.
  Result<nlohmann::json> Call(const std::string& method, const nlohmann::json& params,
                              bool null_is_missing = false);

  // {method, params}
  using Request = std::pair<std::string, nlohmann::json>;
  // Refuses a batch's results (kUnavailable: that endpoint is failing and the next is asked).
  using Check = std::function<Status(const std::vector<nlohmann::json>& results)>;

  // Several calls in one JSON-RPC batch POST, so that one endpoint answers all of them (and
  // `check` can hold one answer against another, e.g. logs against the block they claim to
  // cover). The results in the order asked. Errors as for Call: kResourceExhausted when any
  // call was refused as too large and none failed otherwise.
  // `range_limits` false: a "too large" answer is that endpoint's failure (the next is asked),
  // as when a single block is asked for and cannot be made smaller.
  Result<std::vector<nlohmann::json>> CallBatch(const std::vector<Request>& calls,
                                                const Check& check, bool range_limits = true);

 private:
  HttpEndpoints endpoints_;
  bool range_limits_;
  std::int64_t next_id_ = 1;
};

// A JSON-RPC reply's result, or why there is none (the errors of JsonRpcClient::Call).
Result<nlohmann::json> RpcResult(nlohmann::json reply, bool range_limits, bool null_is_missing);

// True for the messages nodes use when a getLogs range or result set is too large (and not
// for rate limits, which also say "limit" and "exceeded").
bool IsRangeLimitError(int code, const std::string& message);

}  // namespace instamarket
