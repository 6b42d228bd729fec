#include "api/usage_recorder.h"

#include <algorithm>

namespace instamarket {

void UsageRecorder::Record(std::int64_t key_id, std::int64_t now_seconds,
                           std::string_view endpoint) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = pending_.try_emplace(key_id);
  UsageDelta& d = it->second;
  if (inserted) {
    d.key_id = key_id;
    d.first_used_at = now_seconds;
  }
  d.request_count += 1;
  d.last_used_at = now_seconds;
  if (d.last_endpoint != endpoint) d.last_endpoint.assign(endpoint);
}

std::optional<UsageDelta> UsageRecorder::Pending(std::int64_t key_id) const {
  std::lock_guard lock(mutex_);
  auto it = pending_.find(key_id);
  if (it == pending_.end()) return std::nullopt;
  return it->second;
}

std::vector<UsageDelta> UsageRecorder::Drain() {
  std::lock_guard lock(mutex_);
  std::vector<UsageDelta> out;
  out.reserve(pending_.size());
  for (auto& [key, delta] : pending_) out.push_back(std::move(delta));
  pending_.clear();
  return out;
}

void UsageRecorder::Restore(std::vector<UsageDelta> deltas) {
  std::lock_guard lock(mutex_);
  for (auto& d : deltas) {
    auto [it, inserted] = pending_.try_emplace(d.key_id, d);
    if (!inserted) Merge(it->second, d);
  }
}

void UsageRecorder::Merge(UsageDelta& into, const UsageDelta& older) {
  // `into` holds requests recorded after `older` was drained.
  into.request_count += older.request_count;
  into.first_used_at = std::min(into.first_used_at, older.first_used_at);
}

}  // namespace instamarket
