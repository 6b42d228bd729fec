#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "config/config.h"

namespace instamarket {

// Who may use /api/admin: the configured tokens, each by name, and a brake on guessing.
//
// The presented token is hashed once and compared with every configured digest in constant
// time, without an early exit, so neither which token matched nor any length leaks. Failed
// attempts are counted per client address in a 60 s window from the first failure; after
// `admin.max_failures_per_minute` the address gets 429 (its tokens not even compared) until
// the window ends. Addresses are counted as the connection caps count them (an IPv6 /64 is one)
// and tracked up to a bound; beyond it they share one window, so many addresses together
// still guess no faster (which also means an attacker with thousands of addresses can keep
// new addresses out of the admin API: put it on admin.listen, on an interface only operators
// reach). Thread-safe.
class AdminGate {
 public:
  using Clock = std::chrono::steady_clock;

  enum class Outcome { kAllowed, kDisabled, kBadToken, kLockedOut };
  struct Verdict {
    Outcome outcome = Outcome::kDisabled;
    std::string name;             // the token's name, when allowed
    int retry_after_seconds = 0;  // when locked out
    // An audit row is due: the first failure of this address in its window, or the failure
    // that locked it out ("admin.auth_failed" / "admin.locked_out"); nullptr otherwise.
    const char* audit_action = nullptr;
    int failures_in_window = 0;
  };

  explicit AdminGate(const AdminConfig& config);

  bool enabled() const { return !config_.tokens.empty(); }
  Verdict Check(std::string_view presented, const std::string& client, Clock::time_point now);

  static constexpr std::size_t kMaxTrackedClients = 4096;
  static constexpr auto kWindow = std::chrono::seconds(60);

 private:
  struct Failures {
    Clock::time_point window_start;
    int count = 0;
  };
  Failures& FailuresOf(const std::string& client, Clock::time_point now);
  void SweepExpired(Clock::time_point now);

  const AdminConfig& config_;
  std::mutex mutex_;
  std::unordered_map<std::string, Failures> failures_;
  Failures shared_;  // for addresses beyond kMaxTrackedClients
};

}  // namespace instamarket
