#include "watcher/amount_matcher.h"

#include <algorithm>
#include <cstdlib>
#include <unordered_map>

#include "core/payment_memo.h"

namespace instamarket {
namespace {

constexpr std::int64_t kStepMicros = 10'000;  // amounts are held in whole cents

}  // namespace

std::int64_t HeldAmountFor(std::int64_t amount, Money tolerance) {
  std::int64_t below = amount / kStepMicros * kStepMicros;
  std::int64_t nearest = amount - below <= kStepMicros / 2 ? below : below + kStepMicros;
  return std::llabs(amount - nearest) <= tolerance.micros() ? nearest : amount;
}

std::vector<DepositDecision> MatchDeposits(const std::vector<DepositInput>& deposits,
                                           const MatchCandidates& candidates,
                                           const MatchRules& rules) {
  const auto& intents = candidates.intents;
  const auto& holds = candidates.holds;
  std::unordered_map<std::string, int> intent_of_memo;
  for (std::size_t i = 0; i < intents.size(); ++i) {
    if (!intents[i].payment_memo.empty())
      intent_of_memo.emplace(NormalizedMemo(intents[i].payment_memo), static_cast<int>(i));
  }
  std::vector<bool> intent_taken(intents.size(), false);
  std::vector<bool> hold_taken(holds.size(), false);

  // The decision for a deposit that found intent `i`, and marks it taken when credited.
  auto decide_for_intent = [&](const DepositInput& d, int i, MatchedBy by, bool short_paid) {
    const IntentCandidate& c = intents[static_cast<std::size_t>(i)];
    bool credited_before = c.status != "pending" && c.status != "expired";
    if (credited_before || intent_taken[static_cast<std::size_t>(i)])
      return DepositDecision{DepositOutcome::kAlreadyCredited};
    if (d.block_time < c.created_at - rules.clock_skew_seconds)
      return DepositDecision{DepositOutcome::kBeforeIntent};
    if (d.block_time > c.expires_at) return DepositDecision{DepositOutcome::kExpired, i, by};
    intent_taken[static_cast<std::size_t>(i)] = true;
    return DepositDecision{DepositOutcome::kCredit, i, by, short_paid};
  };

  std::vector<DepositDecision> decisions;
  decisions.reserve(deposits.size());
  for (const DepositInput& d : deposits) {
    const std::int64_t amount = d.amount.micros();
    if (!d.memo.empty()) {
      auto named = intent_of_memo.find(NormalizedMemo(d.memo));
      if (named != intent_of_memo.end()) {
        const IntentCandidate& c = intents[static_cast<std::size_t>(named->second)];
        bool short_paid = amount < c.requested_amount.micros();
        decisions.push_back(decide_for_intent(d, named->second, MatchedBy::kMemo, short_paid));
        continue;
      }
    }
    const std::int64_t held = HeldAmountFor(amount, rules.tolerance);
    auto hold = std::lower_bound(holds.begin(), holds.end(), held,
                                 [](const HeldAmount& h, std::int64_t a) { return h.amount < a; });
    if (hold != holds.end() && hold->amount == held && amount > 0) {
      std::size_t h = static_cast<std::size_t>(hold - holds.begin());
      if (hold->intent < 0) {
        if (!hold->reservation_active || hold_taken[h]) {
          decisions.push_back(DepositDecision{DepositOutcome::kAlreadyCredited});
        } else {
          hold_taken[h] = true;
          DepositDecision external{DepositOutcome::kExternal};
          external.reservation_id = hold->reservation_id;
          decisions.push_back(external);
        }
        continue;
      }
      bool by_fee = hold->fee > 0;
      decisions.push_back(decide_for_intent(d, hold->intent,
                                            by_fee ? MatchedBy::kFee : MatchedBy::kAmount, by_fee));
      continue;
    }
    std::int64_t band = amount / 100 * rules.mismatch_percent;
    auto near = std::lower_bound(candidates.pending_amounts.begin(),
                                 candidates.pending_amounts.end(), amount - band);
    bool near_miss = near != candidates.pending_amounts.end() && *near <= amount + band;
    decisions.push_back(
        DepositDecision{near_miss ? DepositOutcome::kAmountMismatch : DepositOutcome::kNoIntent});
  }
  return decisions;
}

}  // namespace instamarket
