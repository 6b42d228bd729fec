// The amount-matching engine in memory: 100k pending intents, batches of deposits that each hit
// one intent. Target (issue 3): at least 1M matches per second.
//
// The candidates are built as the ledger hands them to the matcher (ledger/deposit_store.cpp,
// LoadCandidates): the intents, the amount registry's holds sorted by amount (each intent holds
// its amount and that amount less each withdrawal fee, every value once on the wallet), and the
// pending intents' amounts for near misses.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <unordered_set>

#include "watcher/amount_matcher.h"

namespace instamarket {
namespace {

constexpr std::int64_t kT0 = 1'800'000'000;
constexpr std::int64_t kStep = 10'000;  // 0.01 USDT
// Two exchanges' withdrawal fees, as a production network configures them.
const std::vector<std::int64_t> kFees = {1'000'000, 800'000};

MatchCandidates MakeCandidates(std::size_t count) {
  MatchCandidates c;
  c.intents.reserve(count);
  c.holds.reserve(count * (kFees.size() + 1));
  std::unordered_set<std::int64_t> held;
  // The densest registry the allocator can produce: amounts from 2.01 up in 0.01 steps, whole
  // USDT amounts left out, each taken when it and every amount less a fee are still free.
  for (std::int64_t amount = 2'000'000; c.intents.size() < count; amount += kStep) {
    if (amount % 1'000'000 == 0) continue;
    bool free = !held.count(amount);
    for (std::int64_t fee : kFees) free = free && !held.count(amount - fee);
    if (!free) continue;
    const int index = static_cast<int>(c.intents.size());
    c.intents.push_back(IntentCandidate{
        "intent-" + std::to_string(index), index, Money::FromMicros(amount),
        Money::FromMicros(amount / 1'000'000 * 1'000'000), kT0, kT0 + 3600, "pending", ""});
    held.insert(amount);
    c.holds.push_back(HeldAmount{amount, 0, index});
    for (std::int64_t fee : kFees) {
      held.insert(amount - fee);
      c.holds.push_back(HeldAmount{amount - fee, fee, index});
    }
    c.pending_amounts.push_back(amount);
  }
  std::sort(c.holds.begin(), c.holds.end(),
            [](const HeldAmount& a, const HeldAmount& b) { return a.amount < b.amount; });
  return c;
}

// What LoadCandidates hands the matcher for a batch: the holds of the deposits' amounts (the
// tolerance is 0, its default), the intents holding them, and the nearest pending amount of each
// deposit within the near-miss band. Intents are renumbered into the batch's own list.
MatchCandidates CandidatesFor(const MatchCandidates& registry,
                              const std::vector<DepositInput>& deposits) {
  MatchCandidates c;
  std::vector<int> index_of(registry.intents.size(), -1);
  std::vector<std::int64_t> amounts;
  for (const auto& d : deposits) amounts.push_back(d.amount.micros());
  std::sort(amounts.begin(), amounts.end());
  amounts.erase(std::unique(amounts.begin(), amounts.end()), amounts.end());
  for (std::int64_t a : amounts) {
    auto h = std::lower_bound(registry.holds.begin(), registry.holds.end(), a,
                              [](const HeldAmount& x, std::int64_t v) { return x.amount < v; });
    if (h != registry.holds.end() && h->amount == a) {
      HeldAmount hold = *h;
      auto& mapped = index_of[static_cast<std::size_t>(h->intent)];
      if (mapped < 0) {
        mapped = static_cast<int>(c.intents.size());
        c.intents.push_back(registry.intents[static_cast<std::size_t>(h->intent)]);
      }
      hold.intent = mapped;
      c.holds.push_back(hold);
    }
    auto n = std::lower_bound(registry.pending_amounts.begin(), registry.pending_amounts.end(), a);
    if (n != registry.pending_amounts.end() && *n <= a + a / 10) c.pending_amounts.push_back(*n);
  }
  std::sort(c.pending_amounts.begin(), c.pending_amounts.end());
  c.pending_amounts.erase(std::unique(c.pending_amounts.begin(), c.pending_amounts.end()),
                          c.pending_amounts.end());
  return c;
}

// Arguments: pending intents, deposits per batch, percent of deposits that arrive less an
// exchange's fee (credited short through the fee's hold), and whether the matcher gets only
// the batch's candidates as the ledger loads them (1) or the whole registry (0).
void BM_MatchDeposits(benchmark::State& state) {
  const auto registry = MakeCandidates(static_cast<std::size_t>(state.range(0)));
  const auto batch = static_cast<std::size_t>(state.range(1));
  const auto fee_percent = static_cast<std::uint64_t>(state.range(2));
  std::mt19937_64 rng(42);
  std::vector<DepositInput> deposits(batch);
  for (auto& d : deposits) {
    std::int64_t amount = registry.intents[rng() % registry.intents.size()].amount.micros();
    if (rng() % 100 < fee_percent) amount -= kFees[rng() % kFees.size()];
    d.amount = Money::FromMicros(amount);
    d.block_time = kT0 + 60;
  }
  const MatchCandidates candidates = state.range(3) ? CandidatesFor(registry, deposits) : registry;
  MatchRules rules;
  std::int64_t credited = 0;
  for (auto _ : state) {
    auto decisions = MatchDeposits(deposits, candidates, rules);
    credited += decisions[0].outcome == DepositOutcome::kCredit;
    benchmark::DoNotOptimize(decisions.data());
  }
  // Every deposit pays a held amount: a batch credits all but the repeats of one intent.
  auto decisions = MatchDeposits(deposits, candidates, rules);
  state.counters["credited_share"] =
      static_cast<double>(std::count_if(
          decisions.begin(), decisions.end(),
          [](const DepositDecision& d) { return d.outcome == DepositOutcome::kCredit; })) /
      static_cast<double>(batch);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
  state.counters["matches/s"] = benchmark::Counter(static_cast<double>(state.iterations() * batch),
                                                   benchmark::Counter::kIsRate);
  benchmark::DoNotOptimize(credited);
}

BENCHMARK(BM_MatchDeposits)
    ->ArgNames({"intents", "batch", "fee_pct", "loaded"})
    ->Args({100'000, 100, 0, 1})
    ->Args({100'000, 1'000, 0, 1})
    ->Args({100'000, 100, 20, 1})
    ->Args({1'000, 100, 0, 1})
    ->Args({100'000, 100, 0, 0});

}  // namespace
}  // namespace instamarket

BENCHMARK_MAIN();
