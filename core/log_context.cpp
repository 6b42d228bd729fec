#include "core/log_context.h"

namespace instamarket {
namespace {
thread_local std::string current_request_id;
}  // namespace

ScopedRequestId::ScopedRequestId(std::string_view id) : previous_(std::move(current_request_id)) {
  current_request_id.assign(id);
}

ScopedRequestId::~ScopedRequestId() { current_request_id = std::move(previous_); }

std::string_view ScopedRequestId::Current() { return current_request_id; }

}  // namespace instamarket
