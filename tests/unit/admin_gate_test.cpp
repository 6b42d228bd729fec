#include "api/admin_gate.h"

#include <gtest/gtest.h>

#include "core/crypto.h"

namespace instamarket {
namespace {

using Outcome = AdminGate::Outcome;

AdminConfig TwoTokens(int max_failures = 3) {
  AdminConfig config;
  config.tokens = {{"alice", Sha256("alice-token-0123456789")},
                   {"bob", Sha256("bob-token-0123456789")}};
  config.max_failures_per_minute = max_failures;
  return config;
}

TEST(AdminGateTest, NamesTheTokenThatMatched) {
  AdminConfig config = TwoTokens();
  AdminGate gate(config);
  auto now = AdminGate::Clock::now();
  EXPECT_EQ(gate.Check("alice-token-0123456789", "10.0.0.1", now).name, "alice");
  EXPECT_EQ(gate.Check("bob-token-0123456789", "10.0.0.1", now).name, "bob");
  EXPECT_EQ(gate.Check("", "10.0.0.1", now).outcome, Outcome::kBadToken);
  EXPECT_EQ(gate.Check("alice-token-012345678", "10.0.0.1", now).outcome, Outcome::kBadToken);
  AdminConfig none;
  EXPECT_EQ(AdminGate(none).Check("x", "10.0.0.1", now).outcome, Outcome::kDisabled);
}

TEST(AdminGateTest, LocksAnAddressOutAfterTooManyFailuresForTheRestOfTheMinute) {
  AdminConfig config = TwoTokens(3);
  AdminGate gate(config);
  auto t0 = AdminGate::Clock::now();
  auto first = gate.Check("guess-1", "203.0.113.9", t0);
  EXPECT_EQ(first.outcome, Outcome::kBadToken);
  EXPECT_STREQ(first.audit_action, "admin.auth_failed");
  EXPECT_EQ(gate.Check("guess-2", "203.0.113.9", t0).audit_action, nullptr);
  EXPECT_STREQ(gate.Check("guess-3", "203.0.113.9", t0).audit_action, "admin.locked_out");
  // Locked out: even the right token is not compared.
  auto locked = gate.Check("alice-token-0123456789", "203.0.113.9", t0 + std::chrono::seconds(10));
  EXPECT_EQ(locked.outcome, Outcome::kLockedOut);
  EXPECT_GE(locked.retry_after_seconds, 50);
  EXPECT_LE(locked.retry_after_seconds, 51);
  // Another address is not held up.
  EXPECT_EQ(gate.Check("alice-token-0123456789", "203.0.113.10", t0).outcome, Outcome::kAllowed);
  // The window ends: the address may try again.
  EXPECT_EQ(
      gate.Check("alice-token-0123456789", "203.0.113.9", t0 + std::chrono::seconds(61)).outcome,
      Outcome::kAllowed);
}

TEST(AdminGateTest, AnIpv6HostsWhole64CountsAsOneAddress) {
  AdminConfig config = TwoTokens(2);
  AdminGate gate(config);
  auto now = AdminGate::Clock::now();
  EXPECT_EQ(gate.Check("guess", "2001:db8:1:2::1", now).outcome, Outcome::kBadToken);
  EXPECT_EQ(gate.Check("guess", "2001:db8:1:2::ffff", now).outcome, Outcome::kBadToken);
  EXPECT_EQ(gate.Check("guess", "2001:db8:1:2:aaaa::9", now).outcome, Outcome::kLockedOut);
  EXPECT_EQ(gate.Check("alice-token-0123456789", "2001:db8:1:3::1", now).outcome,
            Outcome::kAllowed);
}

TEST(AdminGateTest, ManyAddressesShareOneWindowBeyondTheBound) {
  AdminConfig config = TwoTokens(2);
  AdminGate gate(config);
  auto now = AdminGate::Clock::now();
  for (std::size_t i = 0; i < AdminGate::kMaxTrackedClients; ++i) {
    gate.Check("guess", "addr-" + std::to_string(i), now);
  }
  // The table is full of live windows: newcomers share one, which locks after 2 failures.
  EXPECT_EQ(gate.Check("guess", "new-1", now).outcome, Outcome::kBadToken);
  EXPECT_EQ(gate.Check("guess", "new-2", now).outcome, Outcome::kBadToken);
  EXPECT_EQ(gate.Check("guess", "new-3", now).outcome, Outcome::kLockedOut);
  // Once the windows end, the table is swept and addresses are tracked alone again.
  auto later = now + std::chrono::seconds(61);
  EXPECT_EQ(gate.Check("guess", "new-3", later).outcome, Outcome::kBadToken);
  EXPECT_EQ(gate.Check("alice-token-0123456789", "new-4", later).outcome, Outcome::kAllowed);
}

}  // namespace
}  // namespace instamarket
