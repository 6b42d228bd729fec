#include "api/usage_recorder.h"

#include <algorithm>
#include <atomic>

namespace instamarket {

std::size_t UsageRecorder::ThreadShard() {
  static std::atomic<std::size_t> next{0};
  thread_local std::size_t shard = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return shard;
}

void UsageRecorder::Record(std::int64_t key_id, std::int64_t now_seconds,
                           std::string_view endpoint) {
  Shard& shard = shards_[ThreadShard()];
  std::lock_guard lock(shard.mutex);
  auto [it, inserted] = shard.pending.try_emplace(key_id);
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
  std::optional<UsageDelta> out;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    auto it = shard.pending.find(key_id);
    if (it == shard.pending.end()) continue;
    if (out)
      Combine(*out, it->second);
    else
      out = it->second;
  }
  return out;
}

std::vector<UsageDelta> UsageRecorder::Drain() {
  std::unordered_map<std::int64_t, UsageDelta> all;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    for (auto& [key, delta] : shard.pending) {
      auto [it, inserted] = all.try_emplace(key, std::move(delta));
      if (!inserted) Combine(it->second, delta);
    }
    shard.pending.clear();
  }
  std::vector<UsageDelta> out;
  out.reserve(all.size());
  for (auto& [key, delta] : all) out.push_back(std::move(delta));
  return out;
}

void UsageRecorder::Restore(std::vector<UsageDelta> deltas) {
  Shard& shard = shards_[0];
  std::lock_guard lock(shard.mutex);
  for (auto& d : deltas) {
    auto [it, inserted] = shard.pending.try_emplace(d.key_id, d);
    if (!inserted) Combine(it->second, d);
  }
}

void UsageRecorder::Combine(UsageDelta& into, const UsageDelta& other) {
  into.request_count += other.request_count;
  into.first_used_at = std::min(into.first_used_at, other.first_used_at);
  if (other.last_used_at > into.last_used_at) {
    into.last_used_at = other.last_used_at;
    into.last_endpoint = other.last_endpoint;
  }
}

}  // namespace instamarket
