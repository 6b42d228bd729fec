#pragma once

#include <string_view>

namespace instamarket {

// The request a thread is serving right now, for the `request_id` of log lines (app/logging).
// Set around each stretch of request code that runs on one thread (a handler on the I/O thread
// or on the blocking pool): coroutines interleave requests on a thread, so it is never left set.
// Holds a view: the id must outlive the scope (it is the request's own, so it does).
class ScopedRequestId {
 public:
  explicit ScopedRequestId(std::string_view id);
  ~ScopedRequestId();
  ScopedRequestId(const ScopedRequestId&) = delete;
  ScopedRequestId& operator=(const ScopedRequestId&) = delete;

  // The id this thread serves, or empty outside any request.
  static std::string_view Current();

 private:
  std::string_view previous_;
};

}  // namespace instamarket
