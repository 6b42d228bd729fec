#pragma once

#include <cstdint>
#include <vector>

#include "core/money.h"
#include "ledger/deposit_store.h"

namespace instamarket {

struct MatchRules {
  Money tolerance = Money::FromMicros(10'000);  // |deposit - intent| allowed for a credit
  // A deposit within this share of a pending intent's amount, but outside the tolerance, is an
  // "amount_mismatch" (someone probably sent a wrong amount) rather than "no_intent".
  int mismatch_percent = 10;
  // Chain clocks and ours differ a little: a block up to this much older than the intent still
  // falls in its window.
  std::int64_t clock_skew_seconds = 60;
};

// The amount-matching engine, a pure function. For each deposit, in order:
//  - candidates are pending intents within the tolerance whose window [created_at - skew,
//    expires_at] holds the block time, and that no earlier deposit of the batch took;
//  - the closest amount wins; two equally close is "ambiguous" (finance decides);
//  - with no candidate the reason is "expired" (an intent within the tolerance existed but its
//    window did not hold the block time), else "amount_mismatch" (a pending intent within
//    mismatch_percent), else "no_intent".
// `intents` must be sorted by amount. O(log n + k) per deposit for k intents in the window.
std::vector<DepositDecision> MatchDeposits(const std::vector<DepositInput>& deposits,
                                           const std::vector<IntentCandidate>& intents,
                                           const MatchRules& rules);

}  // namespace instamarket
