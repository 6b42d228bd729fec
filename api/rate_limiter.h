#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace instamarket {

struct RateDecision {
  bool allowed = false;
  int limit = 0;
  int remaining = 0;      // requests left in the current window after this one
  int reset_seconds = 0;  // until the oldest counted request leaves the window
};

// At most `limit` admitted requests per key in any sliding window of `window`: a log of the
// admission times, so the bound is exact (a token bucket would let a long burst through with
// refills). Thread-safe: one mutex per shard of keys.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  RateLimiter(int limit, Clock::duration window);

  RateDecision Admit(std::int64_t key_id, Clock::time_point now);
  // Logs an admission decided elsewhere (by the shared limit), so that this log can take over
  // with what the process knows when the database cannot be asked.
  void Record(std::int64_t key_id, Clock::time_point now);

 private:
  struct Log {
    std::vector<Clock::time_point> times;  // ring buffer of the last `limit` admissions
    std::size_t next = 0;                  // oldest entry once full
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::int64_t, Log> logs;
  };
  static constexpr std::size_t kShards = 16;

  int limit_;
  Clock::duration window_;
  Shard shards_[kShards];
};

}  // namespace instamarket
