#include "adapters/rpc_error_kind.h"

#include <algorithm>
#include <cctype>

namespace instamarket {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool HasAny(const std::string& text, std::initializer_list<const char*> phrases) {
  return std::any_of(phrases.begin(), phrases.end(),
                     [&](const char* p) { return text.find(p) != std::string::npos; });
}

// Codes that only ever mean throttling: Alchemy's 429 in the body, QuickNode's -32007
// ("15/second request limit reached") and -32012 ("credits limited to 6000/sec").
bool IsRateLimitCode(int code) { return code == 429 || code == -32007 || code == -32012; }

}  // namespace

RpcErrorKind ClassifyRpcError(int code, const std::string& message) {
  const std::string m = Lower(message);
  if (IsRateLimitCode(code) ||
      HasAny(m, {"rate limit", "rate-limit", "ratelimit", "too many requests", "request limit",
                 "request count", "requests per second", "compute units", "capacity",
                 "credits limited", "quota", "throughput", "rps limit", "/second", "/sec"})) {
    return RpcErrorKind::kRateLimited;
  }
  if (HasAny(m, {"range", "more than", "too many", "too large", "response size", "results",
                 "block limit", "blocks limit", "timeout", "timed out"})) {
    return RpcErrorKind::kRangeTooLarge;
  }
  // Bare "limit exceeded" with Infura's/BSC's -32005 is their throttle (BSC's public nodes
  // also answer it for a disabled eth_getLogs): another endpoint, not a smaller range.
  return RpcErrorKind::kOther;
}

}  // namespace instamarket
