#pragma once

#include <exception>
#include <string>

#include "core/result.h"

namespace instamarket {

// An adapter call on the blocking pool, where an escaping exception would end the process: a
// reply that breaks an adapter's assumptions is one more unavailable answer, retried later.
template <typename T, typename F>
Result<T> Guarded(F call) {
  try {
    return call();
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kUnavailable, std::string("adapter failed: ") + e.what());
  }
}

}  // namespace instamarket
