#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "adapters/http_endpoints.h"
#include "core/result.h"

namespace instamarket {

// Solana JSON-RPC over HttpEndpoints, where the caller can refuse a node's answer: a node with
// a cut-off history, or one that has not got a transaction yet, answers well-formed JSON that is
// still no answer, and the next endpoint must be asked (and this one put in backoff). Node
// errors (-32016 "minimum context slot has not been reached", "node is behind") and rate limits
// (HTTP 429 with Retry-After) fail over as well. Not thread-safe: one per adapter.
class SolanaRpc {
 public:
  // Why this node's `result` is no answer, or nullopt when it is one.
  using Refuse = std::function<std::optional<std::string>(const nlohmann::json& result)>;

  SolanaRpc(std::string network, std::vector<std::string> urls, std::chrono::milliseconds timeout);

  // The call's result from the first endpoint whose answer is not refused. kUnavailable when
  // none answered (each one's reason in the message). `null_is_missing`: a null result is
  // refused (the node does not have it yet).
  Result<nlohmann::json> Call(const std::string& method, const nlohmann::json& params,
                              bool null_is_missing = false, const Refuse& refuse = {});

  // Several calls in one JSON-RPC batch, so that one node answers them all (a proof that needs
  // two facts of the same node). The results in the order of `calls`; `refuse` sees them all.
  // Any call's error, or a missing answer, fails over like Call.
  Result<std::vector<nlohmann::json>> Batch(
      const std::vector<std::pair<std::string, nlohmann::json>>& calls,
      const std::function<std::optional<std::string>(const std::vector<nlohmann::json>&)>& refuse);

 private:
  HttpEndpoints endpoints_;
  std::int64_t next_id_ = 1;
};

// The results of a JSON-RPC batch reply to `calls` requests with ids first_id, first_id + 1, ...,
// in request order (a node may answer in any order). kUnavailable for an error object instead
// of a list, an error in any answer, an answer to no request, two answers to one, or one missing.
Result<std::vector<nlohmann::json>> ReadBatchReply(nlohmann::json reply, std::int64_t first_id,
                                                   std::size_t calls);

}  // namespace instamarket
