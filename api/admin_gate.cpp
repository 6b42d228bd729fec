#include "api/admin_gate.h"

#include <openssl/crypto.h>

#include "api/connection_limits.h"
#include "core/crypto.h"

namespace instamarket {

AdminGate::AdminGate(const AdminConfig& config) : config_(config) {}

AdminGate::Failures& AdminGate::FailuresOf(const std::string& client, Clock::time_point now) {
  auto found = failures_.find(client);
  if (found != failures_.end()) return found->second;
  if (failures_.size() >= kMaxTrackedClients) {
    SweepExpired(now);
    if (failures_.size() >= kMaxTrackedClients) return shared_;
  }
  return failures_[client];
}

void AdminGate::SweepExpired(Clock::time_point now) {
  for (auto it = failures_.begin(); it != failures_.end();) {
    it = now - it->second.window_start >= kWindow ? failures_.erase(it) : std::next(it);
  }
}

AdminGate::Verdict AdminGate::Check(std::string_view presented, const std::string& address,
                                    Clock::time_point now) {
  Verdict verdict;
  if (!enabled()) return verdict;
  // An IPv6 host holds a whole /64: counted as one, as the connection caps count it.
  const std::string client = ClientAddressKey(address);
  {
    std::lock_guard lock(mutex_);
    if (failures_.size() >= kMaxTrackedClients) SweepExpired(now);
    auto found = failures_.find(client);
    const Failures* f = found != failures_.end()                 ? &found->second
                        : failures_.size() >= kMaxTrackedClients ? &shared_
                                                                 : nullptr;
    if (f && now - f->window_start < kWindow && f->count >= config_.max_failures_per_minute) {
      verdict.outcome = Outcome::kLockedOut;
      auto left = std::chrono::duration_cast<std::chrono::seconds>(f->window_start + kWindow - now);
      verdict.retry_after_seconds = static_cast<int>(std::max<std::int64_t>(1, left.count() + 1));
      verdict.failures_in_window = f->count;
      return verdict;
    }
  }
  std::string digest = Sha256(presented);
  std::size_t matched = config_.tokens.size();
  for (std::size_t i = 0; i < config_.tokens.size(); ++i) {
    bool equal = CRYPTO_memcmp(digest.data(), config_.tokens[i].sha256.data(), digest.size()) == 0;
    // Branch-free select: every digest is compared whatever matched before.
    std::size_t mask = static_cast<std::size_t>(0) - static_cast<std::size_t>(equal);
    matched = (i & mask) | (matched & ~mask);
  }
  if (!presented.empty() && matched < config_.tokens.size()) {
    verdict.outcome = Outcome::kAllowed;
    verdict.name = config_.tokens[matched].name;
    return verdict;
  }
  std::lock_guard lock(mutex_);
  Failures& f = FailuresOf(client, now);
  if (f.count == 0 || now - f.window_start >= kWindow) {
    f.window_start = now;
    f.count = 0;
  }
  ++f.count;
  verdict.outcome = Outcome::kBadToken;
  verdict.failures_in_window = f.count;
  if (f.count == 1) verdict.audit_action = "admin.auth_failed";
  if (f.count == config_.max_failures_per_minute) verdict.audit_action = "admin.locked_out";
  return verdict;
}

}  // namespace instamarket
