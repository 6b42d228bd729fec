#include "api/admission_batcher.h"

#include <algorithm>

namespace instamarket {
namespace {
using std::chrono::milliseconds;

int Milliseconds(std::chrono::steady_clock::duration d) {
  return static_cast<int>(std::chrono::duration_cast<milliseconds>(d).count());
}
}  // namespace

AdmissionBatcher::AdmissionBatcher(int limit, Clock::duration window, RateLimiter& local, Send send,
                                   Now now)
    : limit_(limit),
      window_(window),
      local_(local),
      send_(std::move(send)),
      now_(std::move(now)),
      alive_(std::make_shared<bool>(true)) {}

AdmissionBatcher::~AdmissionBatcher() = default;

int AdmissionBatcher::ResetSeconds(Clock::duration left) const {
  // As the local log reports it: whole seconds, at least 1. A leased slot counts from the end
  // of its hold, which may lie a moment beyond a window from now: never more than the window.
  left = std::min(left, window_);
  auto ms = std::chrono::duration_cast<milliseconds>(left).count();
  return static_cast<int>(ms <= 0 ? 1 : (ms + 999) / 1000);
}

RateDecision AdmissionBatcher::Refused(Clock::time_point until, Clock::time_point now) const {
  return RateDecision{false, limit_, 0, ResetSeconds(until - now)};
}

void AdmissionBatcher::Admit(std::int64_t key_id, Decided decided) {
  const auto now = now_();
  KeyState& state = keys_[key_id];
  ++state.demand;
  if (state.lease_left > 0 && now < state.lease_until && state.waiting.empty()) {
    --state.lease_left;
    local_.Record(key_id, now);
    decided(RateDecision{true, limit_, state.free_after_lease + state.lease_left,
                         ResetSeconds(state.oldest_leaves - now)});
    return;
  }
  // The window was full at the database: no slot frees before this, whoever holds them.
  if (now < state.refused_until) {
    decided(Refused(state.refused_until, now));
    return;
  }
  state.waiting.push_back(std::move(decided));
  if (!state.in_flight) Ask(key_id, state);
}

void AdmissionBatcher::Ask(std::int64_t key_id, KeyState& state) {
  // Lease only while the window is mostly free: near the limit every slot goes to a request
  // that is waiting, so the last ones are shared out exactly.
  const int extra = std::min({kMaxLease, state.last_free / kLeaseShare, 2 * state.demand});
  state.demand = 0;
  state.lease_left = 0;  // expired; its unused slots stay counted at the database
  state.in_flight = true;
  state.asked_at = now_();
  state.asked = static_cast<int>(state.waiting.size()) + extra;
  RateAsk ask{key_id, state.asked, limit_, Milliseconds(window_),
              extra > 0 ? Milliseconds(kLeaseHold) : 0};
  std::weak_ptr<bool> alive = alive_;
  send_(ask, [this, alive, key_id](Result<RateGrant> grant) {
    if (!alive.expired()) Answered(key_id, std::move(grant));
  });
}

void AdmissionBatcher::Answered(std::int64_t key_id, Result<RateGrant> grant) {
  auto found = keys_.find(key_id);
  if (found == keys_.end()) return;  // not swept while in flight; defensive
  KeyState& state = found->second;
  state.in_flight = false;
  const auto now = now_();
  std::deque<Decided> waiting;
  waiting.swap(state.waiting);

  if (!grant) {  // the database cannot say: the process's own log decides (fail open)
    state.last_free = 0;
    for (auto& decided : waiting) decided(local_.Admit(key_id, now));
    return;
  }
  const int granted = grant->granted;
  state.last_free = grant->remaining;
  state.oldest_leaves = state.asked_at + milliseconds(grant->reset_ms);
  const auto admitted = std::min<std::size_t>(static_cast<std::size_t>(granted), waiting.size());
  state.lease_left = granted - static_cast<int>(admitted);
  state.lease_until = state.asked_at + kLeaseHold;
  state.free_after_lease = grant->remaining;
  // Fewer than asked: the window is full. The reset is counted from the database's clock when
  // it answered, which is after asked_at: refusing until then never refuses a free slot.
  const bool full = granted < state.asked;
  if (full) state.refused_until = state.asked_at + milliseconds(grant->reset_ms);

  for (std::size_t i = 0; i < admitted; ++i) {
    local_.Record(key_id, now);
    int left = grant->remaining + state.lease_left + static_cast<int>(admitted - 1 - i);
    waiting[i](RateDecision{true, limit_, left, ResetSeconds(state.oldest_leaves - now)});
  }
  waiting.erase(waiting.begin(), waiting.begin() + static_cast<std::ptrdiff_t>(admitted));
  if (waiting.empty()) return;
  if (full) {
    for (auto& decided : waiting) decided(Refused(state.refused_until, now));
    return;
  }
  // These arrived while the ask was out, more than its lease covered: the next batch.
  state.waiting = std::move(waiting);
  Ask(key_id, state);
}

void AdmissionBatcher::Sweep() {
  const auto now = now_();
  std::erase_if(keys_, [now](const auto& entry) {
    const KeyState& s = entry.second;
    return !s.in_flight && s.waiting.empty() && now >= s.refused_until &&
           (s.lease_left == 0 || now >= s.lease_until);
  });
}

}  // namespace instamarket
