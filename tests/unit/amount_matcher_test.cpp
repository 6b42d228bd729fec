#include "watcher/amount_matcher.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace instamarket {
namespace {

constexpr std::int64_t kT0 = 1'800'000'000;

DepositInput Deposit(std::int64_t micros, std::int64_t time = kT0 + 100, std::string memo = "") {
  DepositInput d;
  d.amount = Money::FromMicros(micros);
  d.block_time = time;
  d.memo = std::move(memo);
  return d;
}

// A pending intent for `micros`, created at kT0 and expiring an hour later.
IntentCandidate Intent(const char* id, std::int64_t micros, std::string status = "pending",
                       std::string memo = "") {
  return IntentCandidate{id,  1,          Money::FromMicros(micros), Money::FromMicros(micros),
                         kT0, kT0 + 3600, std::move(status),         std::move(memo)};
}

// Builds the candidates as the ledger does: each intent holds its amount and that amount less
// each fee; reservations hold their amounts.
struct Wallet {
  MatchCandidates candidates;
  void Add(IntentCandidate intent, std::vector<std::int64_t> fees = {}) {
    int index = static_cast<int>(candidates.intents.size());
    candidates.holds.push_back(HeldAmount{intent.amount.micros(), 0, index, 0, false});
    for (std::int64_t fee : fees) {
      candidates.holds.push_back(HeldAmount{intent.amount.micros() - fee, fee, index, 0, false});
    }
    if (intent.status == "pending") candidates.pending_amounts.push_back(intent.amount.micros());
    candidates.intents.push_back(std::move(intent));
    Sort();
  }
  void Reserve(std::int64_t reservation_id, std::int64_t micros, bool active = true) {
    candidates.holds.push_back(HeldAmount{micros, 0, -1, reservation_id, active});
    Sort();
  }
  void Sort() {
    std::sort(candidates.holds.begin(), candidates.holds.end(),
              [](const HeldAmount& a, const HeldAmount& b) { return a.amount < b.amount; });
    std::sort(candidates.pending_amounts.begin(), candidates.pending_amounts.end());
  }
  std::vector<DepositDecision> Match(const std::vector<DepositInput>& deposits,
                                     MatchRules rules = MatchRules{}) const {
    return MatchDeposits(deposits, candidates, rules);
  }
};

TEST(AmountMatcherTest, OnlyTheExactAmountCreditsByDefault) {
  Wallet w;
  w.Add(Intent("a", 100'000'000));
  w.Add(Intent("b", 100'010'000));
  auto d = w.Match({Deposit(100'010'000), Deposit(100'005'000), Deposit(100'000'001)});
  ASSERT_EQ(d[0].outcome, DepositOutcome::kCredit);
  EXPECT_EQ(d[0].intent, 1);
  EXPECT_EQ(d[0].matched_by, MatchedBy::kAmount);
  EXPECT_FALSE(d[0].short_paid);
  // Between two held amounts, or a micro-USDT off: nobody's, kept for finance.
  EXPECT_EQ(d[1].outcome, DepositOutcome::kAmountMismatch);
  EXPECT_EQ(d[2].outcome, DepositOutcome::kAmountMismatch);
}

TEST(AmountMatcherTest, ATransferOfTheRoundAmountNeverPaysTheNeighbour) {
  // The sniping attack: the attacker's intent would hold 100.00 and the victim's 100.01; the
  // victim sends the round 100.00. With every intent off the round amount, nothing holds 100.00
  // at all.
  Wallet w;
  w.Add(Intent("victim", 100'010'000));
  auto d = w.Match({Deposit(100'000'000)});
  EXPECT_EQ(d[0].outcome, DepositOutcome::kAmountMismatch);
}

TEST(AmountMatcherTest, ToleranceReachesTheNearestCentOnly) {
  Wallet w;
  w.Add(Intent("a", 100'000'000));
  MatchRules rules;
  rules.tolerance = Money::FromMicros(4'000);
  auto d = w.Match({Deposit(99'996'000), Deposit(99'995'999), Deposit(100'004'000)}, rules);
  EXPECT_EQ(d[0].outcome, DepositOutcome::kCredit);
  EXPECT_NE(d[1].outcome, DepositOutcome::kCredit);
  EXPECT_EQ(d[2].outcome, DepositOutcome::kAlreadyCredited);  // the same intent, a second time
  EXPECT_EQ(HeldAmountFor(100'004'000, rules.tolerance), 100'000'000);
  EXPECT_EQ(HeldAmountFor(100'006'000, rules.tolerance), 100'010'000);
  EXPECT_EQ(HeldAmountFor(100'005'000, rules.tolerance), 100'005'000);  // half way: neither
}

TEST(AmountMatcherTest, AnIntentTakesOneDepositAndASecondPaymentIsKept) {
  Wallet w;
  w.Add(Intent("a", 100'000'000));
  auto d = w.Match({Deposit(100'000'000), Deposit(100'000'000)});
  EXPECT_EQ(d[0].outcome, DepositOutcome::kCredit);
  EXPECT_EQ(d[1].outcome, DepositOutcome::kAlreadyCredited);
  Wallet credited;
  credited.Add(Intent("a", 100'000'000, "credited_auto"));
  EXPECT_EQ(credited.Match({Deposit(100'000'000)})[0].outcome, DepositOutcome::kAlreadyCredited);
}

TEST(AmountMatcherTest, TheWindowStartsWhenTheIntentWasCreated) {
  Wallet w;
  w.Add(Intent("a", 100'000'000));
  // A transfer sighted on chain before the intent existed (an attacker making an intent for
  // someone else's transfer) is not for it; a few seconds of clock skew are.
  EXPECT_EQ(w.Match({Deposit(100'000'000, kT0 - 6)})[0].outcome, DepositOutcome::kBeforeIntent);
  EXPECT_EQ(w.Match({Deposit(100'000'000, kT0 - 5)})[0].outcome, DepositOutcome::kCredit);
  EXPECT_EQ(w.Match({Deposit(100'000'000, kT0 + 3601)})[0].outcome, DepositOutcome::kExpired);
  // Expired (past the grace) but paid in time and final late: still the intent's.
  Wallet expired;
  expired.Add(Intent("a", 100'000'000, "expired"));
  EXPECT_EQ(expired.Match({Deposit(100'000'000, kT0 + 3600)})[0].outcome, DepositOutcome::kCredit);
}

TEST(AmountMatcherTest, AmountLessAWithdrawalFeeCreditsShort) {
  Wallet w;
  w.Add(Intent("a", 100'370'000), {1'000'000, 800'000});
  auto d = w.Match({Deposit(99'370'000)});
  ASSERT_EQ(d[0].outcome, DepositOutcome::kCredit);
  EXPECT_EQ(d[0].matched_by, MatchedBy::kFee);
  EXPECT_TRUE(d[0].short_paid);
  EXPECT_EQ(w.Match({Deposit(99'570'000)})[0].matched_by, MatchedBy::kFee);
  EXPECT_EQ(w.Match({Deposit(99'470'000)})[0].outcome, DepositOutcome::kAmountMismatch);
}

TEST(AmountMatcherTest, AMemoCreditsItsIntentWhateverTheAmount) {
  Wallet w;
  w.Add(Intent("a", 100'370'000, "pending", "IMABCDEF123456"));
  w.Add(Intent("b", 50'120'000));
  auto d = w.Match({Deposit(50'120'000, kT0 + 100, "  imabcdef123456 \n")});
  ASSERT_EQ(d[0].outcome, DepositOutcome::kCredit);
  EXPECT_EQ(d[0].intent, 0);  // the memo wins over the amount it happens to carry
  EXPECT_EQ(d[0].matched_by, MatchedBy::kMemo);
  EXPECT_TRUE(d[0].short_paid);
  auto more = w.Match({Deposit(200'000'000, kT0 + 100, "IMABCDEF123456")});
  EXPECT_EQ(more[0].outcome, DepositOutcome::kCredit);
  EXPECT_FALSE(more[0].short_paid);
  // A memo naming nothing falls back to the amount.
  EXPECT_EQ(w.Match({Deposit(50'120'000, kT0 + 100, "hello")})[0].intent, 1);
  // The memo's intent paid already: a second payment, kept.
  EXPECT_EQ(w.Match({Deposit(1'000'000, kT0, "IMABCDEF123456"),
                     Deposit(1'000'000, kT0, "IMABCDEF123456")})[1]
                .outcome,
            DepositOutcome::kAlreadyCredited);
}

TEST(AmountMatcherTest, AReservedAmountIsTheWebsites) {
  Wallet w;
  w.Reserve(7, 25'000'000);
  w.Reserve(8, 26'000'000, false);
  auto d = w.Match({Deposit(25'000'000), Deposit(25'000'000), Deposit(26'000'000)});
  EXPECT_EQ(d[0].outcome, DepositOutcome::kExternal);
  EXPECT_EQ(d[0].reservation_id, 7);
  EXPECT_EQ(d[1].outcome, DepositOutcome::kAlreadyCredited);
  EXPECT_EQ(d[2].outcome, DepositOutcome::kAlreadyCredited);
}

TEST(AmountMatcherTest, NothingHeldNearOrFar) {
  Wallet w;
  w.Add(Intent("a", 100'000'000));
  EXPECT_EQ(w.Match({Deposit(95'000'000)})[0].outcome, DepositOutcome::kAmountMismatch);
  EXPECT_EQ(w.Match({Deposit(5'000'000)})[0].outcome, DepositOutcome::kNoIntent);
  EXPECT_EQ(Wallet{}.Match({Deposit(0)})[0].outcome, DepositOutcome::kNoIntent);
}

}  // namespace
}  // namespace instamarket
