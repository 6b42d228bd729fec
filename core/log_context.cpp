#include "core/log_context.h"

namespace instamarket {
namespace {
thread_local std::string_view current_request_id;
}  // namespace

ScopedRequestId::ScopedRequestId(std::string_view id) : previous_(current_request_id) {
  current_request_id = id;
}

ScopedRequestId::~ScopedRequestId() { current_request_id = previous_; }

std::string_view ScopedRequestId::Current() { return current_request_id; }

}  // namespace instamarket
