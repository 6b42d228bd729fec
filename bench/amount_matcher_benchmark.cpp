// The amount-matching engine in memory: 100k pending intents, batches of deposits that each hit
// one intent. Target (issue 3): at least 1M matches per second.

#include <benchmark/benchmark.h>

#include <random>

#include "watcher/amount_matcher.h"

namespace instamarket {
namespace {

constexpr std::int64_t kT0 = 1'800'000'000;

std::vector<IntentCandidate> MakeIntents(std::size_t count) {
  std::vector<IntentCandidate> intents;
  intents.reserve(count);
  // Amounts 1.00, 1.01, 1.02, ... as the allocator hands them out: the densest case.
  for (std::size_t i = 0; i < count; ++i) {
    intents.push_back(
        IntentCandidate{"intent-" + std::to_string(i), static_cast<std::int64_t>(i),
                        Money::FromMicros(1'000'000 + static_cast<std::int64_t>(i) * 10'000), kT0,
                        kT0 + 3600, true});
  }
  return intents;
}

void BM_MatchDeposits(benchmark::State& state) {
  const auto intents = MakeIntents(static_cast<std::size_t>(state.range(0)));
  const auto batch = static_cast<std::size_t>(state.range(1));
  std::mt19937_64 rng(42);
  std::vector<DepositInput> deposits(batch);
  for (auto& d : deposits) {
    d.amount = intents[rng() % intents.size()].amount;
    d.block_time = kT0 + 60;
  }
  MatchRules rules;
  std::int64_t credited = 0;
  for (auto _ : state) {
    auto decisions = MatchDeposits(deposits, intents, rules);
    credited += decisions[0].outcome == DepositOutcome::kCredit;
    benchmark::DoNotOptimize(decisions.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
  state.counters["matches/s"] = benchmark::Counter(static_cast<double>(state.iterations() * batch),
                                                   benchmark::Counter::kIsRate);
  benchmark::DoNotOptimize(credited);
}

BENCHMARK(BM_MatchDeposits)->Args({100'000, 100})->Args({100'000, 1'000})->Args({1'000, 100});

}  // namespace
}  // namespace instamarket

BENCHMARK_MAIN();
