#include "watcher/amount_matcher.h"

#include <algorithm>
#include <cstdlib>

namespace instamarket {
namespace {

// First intent with amount >= `amount`.
std::size_t LowerBound(const std::vector<IntentCandidate>& intents, std::int64_t amount) {
  auto it = std::lower_bound(intents.begin(), intents.end(), amount,
                             [](const IntentCandidate& c, std::int64_t a) { return c.amount.micros() < a; });
  return static_cast<std::size_t>(it - intents.begin());
}

}  // namespace

std::vector<DepositDecision> MatchDeposits(const std::vector<DepositInput>& deposits,
                                           const std::vector<IntentCandidate>& intents,
                                           const MatchRules& rules) {
  std::vector<DepositDecision> decisions;
  decisions.reserve(deposits.size());
  std::vector<bool> taken(intents.size(), false);
  const std::int64_t tolerance = rules.tolerance.micros();
  for (const DepositInput& d : deposits) {
    const std::int64_t amount = d.amount.micros();
    const std::int64_t t = d.block_time;
    DepositDecision decision;
    std::int64_t best_distance = INT64_MAX;
    bool tie = false;
    bool near_but_outside_window = false;
    for (std::size_t i = LowerBound(intents, amount - tolerance);
         i < intents.size() && intents[i].amount.micros() <= amount + tolerance; ++i) {
      const IntentCandidate& c = intents[i];
      bool in_window = t >= c.created_at - rules.clock_skew_seconds && t <= c.expires_at;
      if (!c.pending || !in_window) {
        near_but_outside_window = true;
        continue;
      }
      if (taken[i]) continue;
      std::int64_t distance = std::llabs(c.amount.micros() - amount);
      if (distance < best_distance) {
        best_distance = distance;
        decision = {DepositOutcome::kCredit, static_cast<int>(i)};
        tie = false;
      } else if (distance == best_distance) {
        tie = true;
      }
    }
    if (decision.outcome == DepositOutcome::kCredit && tie) {
      decision = {DepositOutcome::kAmbiguous, -1};
    } else if (decision.outcome == DepositOutcome::kCredit) {
      taken[static_cast<std::size_t>(decision.intent)] = true;
    } else if (near_but_outside_window) {
      decision = {DepositOutcome::kExpired, -1};
    } else {
      std::int64_t band = amount / 100 * rules.mismatch_percent;
      bool near_miss = false;
      for (std::size_t i = LowerBound(intents, amount - band);
           i < intents.size() && intents[i].amount.micros() <= amount + band; ++i) {
        const IntentCandidate& c = intents[i];
        if (c.pending && !taken[i] && t >= c.created_at - rules.clock_skew_seconds &&
            t <= c.expires_at) {
          near_miss = true;
          break;
        }
      }
      decision = {near_miss ? DepositOutcome::kAmountMismatch : DepositOutcome::kNoIntent, -1};
    }
    decisions.push_back(decision);
  }
  return decisions;
}

}  // namespace instamarket
