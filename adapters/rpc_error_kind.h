#pragma once

#include <string>

namespace instamarket {

// What a node's JSON-RPC error object (inside an HTTP 200 body) asks of the caller.
enum class RpcErrorKind {
  kRangeTooLarge,  // the getLogs block range or result set is too large: ask for less
  kRateLimited,    // the provider throttles us: this endpoint waits, the next one is asked
  kOther,          // anything else: this endpoint failed, the next one is asked
};

// Classifies by the providers' real texts (Infura, Alchemy, QuickNode, Ankr, BSC's public
// nodes, geth/erigon; see tests/unit/rpc_error_kind_test.cpp). Rate-limit texts are matched
// first: they also say "limit" and "exceeded", and shrinking the range would not help them.
RpcErrorKind ClassifyRpcError(int code, const std::string& message);

}  // namespace instamarket
