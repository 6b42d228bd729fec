#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <unordered_map>

#include "api/rate_limiter.h"
#include "core/result.h"
#include "ledger/rate_window_store.h"

namespace instamarket {

// One API thread's side of the rate limit shared through the database (rate_windows): requests
// of a key that arrive while an ask for that key is in flight wait and go out together as the
// next ask, so a flood of one key costs one database round trip per batch, not per request.
// The database grants slots first come first served across every daemon, so at most `limit`
// are admitted in any window whatever the number of daemons and threads.
//
// Answers it can give without the database:
//  - refused: the database said the window is full; no slot frees before its reset time;
//  - a leased slot: while a key's window is mostly free and the key busy, an ask also takes a
//    few extra slots (at most 1/kLeaseShare of those free), used by the next requests within
//    kLeaseHold. The database counts them from the end of the hold, so they free late, never
//    early; ones left unused stay counted until they leave the window.
// When the database cannot answer, `local` (the process's own exact log) decides: the limit
// then holds per process, as with api.rate_limit_scope "process".
//
// Single-threaded: every call, and every reply of `send`, on one thread.
class AdmissionBatcher {
 public:
  using Clock = std::chrono::steady_clock;
  using Decided = std::function<void(const RateDecision&)>;
  using Reply = std::function<void(Result<RateGrant>)>;
  // Sends one ask to the database and calls `reply` later (never from within send).
  using Send = std::function<void(const RateAsk&, Reply)>;
  using Now = std::function<Clock::time_point()>;

  static constexpr auto kLeaseHold = std::chrono::milliseconds(250);
  static constexpr int kLeaseShare = 64;
  static constexpr int kMaxLease = 4096;

  AdmissionBatcher(int limit, Clock::duration window, RateLimiter& local, Send send,
                   Now now = &Clock::now);
  ~AdmissionBatcher();  // waiters still queued are dropped, not called
  AdmissionBatcher(const AdmissionBatcher&) = delete;
  AdmissionBatcher& operator=(const AdmissionBatcher&) = delete;

  // Calls `decided` exactly once: at once, or when the database answers.
  void Admit(std::int64_t key_id, Decided decided);

  // Forgets keys with nothing pending (call now and then).
  void Sweep();
  std::size_t tracked_keys() const { return keys_.size(); }

 private:
  struct KeyState {
    Clock::time_point refused_until{};
    int lease_left = 0;
    Clock::time_point lease_until{};
    int free_after_lease = 0;           // the database's free slots when the lease was granted
    Clock::time_point oldest_leaves{};  // when the oldest counted admission leaves the window
    int last_free = 0;                  // free slots at the latest answer
    int demand = 0;                     // requests since the latest ask went out
    std::deque<Decided> waiting;
    bool in_flight = false;
    Clock::time_point asked_at{};
    int asked = 0;
  };

  void Ask(std::int64_t key_id, KeyState& state);
  void Answered(std::int64_t key_id, Result<RateGrant> grant);
  RateDecision Refused(Clock::time_point until, Clock::time_point now) const;
  int ResetSeconds(Clock::duration left) const;

  int limit_;
  Clock::duration window_;
  RateLimiter& local_;
  Send send_;
  Now now_;
  std::unordered_map<std::int64_t, KeyState> keys_;
  std::shared_ptr<bool> alive_;  // replies after destruction find it false
};

}  // namespace instamarket
