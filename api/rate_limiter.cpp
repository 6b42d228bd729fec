#include "api/rate_limiter.h"

namespace instamarket {
namespace {
int CeilSeconds(std::chrono::steady_clock::duration d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return static_cast<int>(ms <= 0 ? 1 : (ms + 999) / 1000);
}
}  // namespace

RateLimiter::RateLimiter(int limit, Clock::duration window) : limit_(limit), window_(window) {}

RateDecision RateLimiter::Admit(std::int64_t key_id, Clock::time_point now) {
  Shard& shard = shards_[static_cast<std::size_t>(key_id) % kShards];
  std::lock_guard lock(shard.mutex);
  Log& log = shard.logs[key_id];
  RateDecision decision;
  decision.limit = limit_;
  auto limit = static_cast<std::size_t>(limit_);
  if (log.times.size() < limit) {
    log.times.push_back(now);
    decision.allowed = true;
    decision.remaining = static_cast<int>(limit - log.times.size());
    decision.reset_seconds = CeilSeconds(log.times.front() + window_ - now);
    return decision;
  }
  // Full: the oldest admission decides whether a slot is free again.
  Clock::time_point oldest = log.times[log.next];
  if (now - oldest >= window_) {
    log.times[log.next] = now;
    log.next = (log.next + 1) % limit;
    decision.allowed = true;
    // The ring is in time order from `next`: binary-search the first time still inside.
    std::size_t lo = 0, hi = limit;
    while (lo < hi) {
      std::size_t mid = (lo + hi) / 2;
      if (now - log.times[(log.next + mid) % limit] >= window_)
        lo = mid + 1;
      else
        hi = mid;
    }
    decision.remaining = static_cast<int>(lo);
    decision.reset_seconds = CeilSeconds(log.times[log.next] + window_ - now);
    return decision;
  }
  decision.allowed = false;
  decision.remaining = 0;
  decision.reset_seconds = CeilSeconds(oldest + window_ - now);
  return decision;
}

void RateLimiter::Record(std::int64_t key_id, Clock::time_point now) {
  Shard& shard = shards_[static_cast<std::size_t>(key_id) % kShards];
  std::lock_guard lock(shard.mutex);
  Log& log = shard.logs[key_id];
  auto limit = static_cast<std::size_t>(limit_);
  if (log.times.size() < limit) {
    log.times.push_back(now);
    return;
  }
  // Full: the newest admission replaces the oldest, keeping the ring in time order.
  log.times[log.next] = now;
  log.next = (log.next + 1) % limit;
}

}  // namespace instamarket
