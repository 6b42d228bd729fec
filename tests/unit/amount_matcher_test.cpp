#include "watcher/amount_matcher.h"

#include <gtest/gtest.h>

namespace instamarket {
namespace {

constexpr std::int64_t kT0 = 1'800'000'000;

DepositInput Deposit(std::int64_t micros, std::int64_t time = kT0 + 100) {
  DepositInput d;
  d.amount = Money::FromMicros(micros);
  d.block_time = time;
  return d;
}

IntentCandidate Intent(const char* id, std::int64_t micros, bool pending = true,
                       std::int64_t created = kT0, std::int64_t expires = kT0 + 3600) {
  return IntentCandidate{id, 1, Money::FromMicros(micros), created, expires, pending};
}

std::vector<DepositDecision> Match(std::vector<DepositInput> deposits,
                                   std::vector<IntentCandidate> intents) {
  return MatchDeposits(deposits, intents, MatchRules{});
}

TEST(AmountMatcherTest, ExactAmountWinsOverNeighbours) {
  auto d = Match({Deposit(100'010'000)},
                 {Intent("a", 100'000'000), Intent("b", 100'010'000), Intent("c", 100'020'000)});
  ASSERT_EQ(d[0].outcome, DepositOutcome::kCredit);
  EXPECT_EQ(d[0].intent, 1);
}

TEST(AmountMatcherTest, WithinToleranceCreditsTheAmountThatArrived) {
  auto d = Match({Deposit(99'995'000)}, {Intent("a", 100'000'000)});
  EXPECT_EQ(d[0].outcome, DepositOutcome::kCredit);
  auto outside = Match({Deposit(99'989'999)}, {Intent("a", 100'000'000)});
  EXPECT_NE(outside[0].outcome, DepositOutcome::kCredit);
}

TEST(AmountMatcherTest, EquallyCloseIsAmbiguous) {
  auto d = Match({Deposit(100'005'000)}, {Intent("a", 100'000'000), Intent("b", 100'010'000)});
  EXPECT_EQ(d[0].outcome, DepositOutcome::kAmbiguous);
}

TEST(AmountMatcherTest, AnIntentTakesOneDepositPerBatch) {
  auto d = Match({Deposit(100'000'000), Deposit(100'000'000)}, {Intent("a", 100'000'000)});
  EXPECT_EQ(d[0].outcome, DepositOutcome::kCredit);
  EXPECT_EQ(d[1].outcome, DepositOutcome::kNoIntent);
}

TEST(AmountMatcherTest, ExplainsMisses) {
  // Block time after the window: expired.
  EXPECT_EQ(Match({Deposit(100'000'000, kT0 + 4000)}, {Intent("a", 100'000'000)})[0].outcome,
            DepositOutcome::kExpired);
  // An intent already marked expired.
  EXPECT_EQ(Match({Deposit(100'000'000)}, {Intent("a", 100'000'000, false)})[0].outcome,
            DepositOutcome::kExpired);
  // Sent well before the intent existed.
  EXPECT_EQ(Match({Deposit(100'000'000, kT0 - 600)}, {Intent("a", 100'000'000)})[0].outcome,
            DepositOutcome::kExpired);
  // Near a pending intent but outside the tolerance: a wrong amount.
  EXPECT_EQ(Match({Deposit(99'500'000)}, {Intent("a", 100'000'000)})[0].outcome,
            DepositOutcome::kAmountMismatch);
  EXPECT_EQ(Match({Deposit(50'000'000)}, {Intent("a", 100'000'000)})[0].outcome,
            DepositOutcome::kNoIntent);
  EXPECT_EQ(Match({Deposit(50'000'000)}, {})[0].outcome, DepositOutcome::kNoIntent);
}

TEST(AmountMatcherTest, ClockSkewIsTolerated) {
  EXPECT_EQ(Match({Deposit(100'000'000, kT0 - 30)}, {Intent("a", 100'000'000)})[0].outcome,
            DepositOutcome::kCredit);
}

}  // namespace
}  // namespace instamarket
