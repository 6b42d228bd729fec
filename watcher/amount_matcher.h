#pragma once

#include <cstdint>
#include <vector>

#include "core/money.h"
#include "ledger/deposit_store.h"

namespace instamarket {

struct MatchRules {
  // |deposit - held amount| allowed for a credit. Held amounts are 0.01 apart at the least, so
  // the config keeps this under half a step: a deposit can then be near one of them only.
  Money tolerance;
  // A deposit within this share of a pending intent's amount that holds nothing is an
  // "amount_mismatch" (someone probably sent a wrong amount) rather than "no_intent".
  int mismatch_percent = 10;
  // Chain clocks and ours differ a little: a block up to this much older than the intent still
  // falls in its window. Kept to seconds: a transfer made before the intent was not for it.
  std::int64_t clock_skew_seconds = 5;
};

// The held amount a deposit of `amount` would pay: the nearest 0.01 when within the tolerance,
// else `amount` itself (which then holds nothing unless it is a whole number of cents).
std::int64_t HeldAmountFor(std::int64_t amount, Money tolerance);

// The amount-matching engine, a pure function. For each deposit, in order:
//  - a memo naming an intent (TON, Solana) decides: that intent is credited with what arrived,
//    whatever the amount ("short" when below the requested amount);
//  - else the amount: the intent holding it is credited (short when it holds it as its amount
//    less an exchange fee); a reservation holding it makes the deposit the website's;
//  - an intent is credited only for a block in its window [created_at - skew, expires_at] and
//    once: otherwise "before_intent", "expired" (naming the intent it came late for) or
//    "already_credited";
//  - nothing held: "amount_mismatch" near a pending intent's amount, else "no_intent".
// `candidates.holds` and `pending_amounts` must be sorted by amount. O(log n) per deposit.
std::vector<DepositDecision> MatchDeposits(const std::vector<DepositInput>& deposits,
                                           const MatchCandidates& candidates,
                                           const MatchRules& rules);

}  // namespace instamarket
