// Deposits credited per second into PostgreSQL through the real path: DepositStore::RecordScan
// (deposit rows, double-entry credits, intent status, audit rows and the cursor in one
// transaction per scan), with the matcher deciding. Needs INSTAMARKET_BENCH_DATABASE_URL.
// Target (issue 3): at least 2,000 deposits per second.

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <ctime>
#include <memory>

#include "bench/bench_database.h"
#include "ledger/database.h"
#include "watcher/amount_matcher.h"

namespace instamarket {
namespace {

void BM_RecordScanCredits(benchmark::State& state) {
  auto db = OpenBenchDatabase();
  if (!db) {
    state.SkipWithError("set INSTAMARKET_BENCH_DATABASE_URL to a migratable database");
    return;
  }
  const auto batch = static_cast<std::size_t>(state.range(0));
  // Google Benchmark runs this function several times per argument: every run needs its own
  // network (and so its own transaction ids), or the deposits of an earlier run collide.
  static int run = 0;
  std::string network = "bench_" + std::to_string(std::time(nullptr)) + "_" +
                        std::to_string(batch) + "_" + std::to_string(++run);
  auto key = db->keys().Create("ingest-bench", false, {}, "bench");
  std::int64_t cursor = db->deposits().InitCursor(network, 0)->position;
  MatchRules rules;
  // As the watcher does (watcher/deposit_watcher.cpp): RecordScan loads the MatchCandidates
  // (the intents, their holds sorted by amount, nearby pending amounts) and the matcher decides.
  MatchFunction match = [&rules](const std::vector<DepositInput>& d, const MatchCandidates& c) {
    return MatchDeposits(d, c, rules);
  };
  std::int64_t tx_counter = 0;
  std::int64_t credited = 0;
  for (auto _ : state) {
    state.PauseTiming();
    // Intents first (not measured): one per deposit, each amount unique.
    ScanResult scan;
    scan.head = cursor + 10;
    scan.final_height = cursor + 1;
    scan.new_cursor = cursor + 1;
    for (std::size_t i = 0; i < batch; ++i) {
      // Whole-USDT requests spread over the network, each given a random free amount above it
      // (the default 1.00 surcharge band, two withdrawal fees held too) as in production; the
      // deposit then pays the intent's actual amount.
      NewTopup request;
      request.key_id = key->id;
      request.network = network;
      request.requested_amount = Money::FromMicros((1 + tx_counter % 1999) * 1'000'000);
      request.max_surcharge = Money::FromMicros(1'000'000);
      request.max_pending_per_key = 1000;  // one key holds the whole batch until it is credited
      request.withdrawal_fee_micros = {1'000'000, 800'000};
      auto intent = db->topups().Create(request);
      if (!intent.ok()) {
        state.SkipWithError(intent.error().message.c_str());
        return;
      }
      DepositInput d;
      d.tx_id = "0x" + std::to_string(++tx_counter);
      d.from = "0xsender";
      d.to = "0xmaster";
      d.amount = intent->amount;
      d.raw_amount = std::to_string(intent->amount.micros());
      d.block_number = cursor;
      d.block_hash = "0xblock" + std::to_string(cursor);
      d.block_time = std::time(nullptr);
      scan.final_transfers.push_back(d);
    }
    state.ResumeTiming();
    auto outcome = db->deposits().RecordScan(network, cursor, scan, rules.tolerance, match);
    if (!outcome.ok()) {
      state.SkipWithError(outcome.error().message.c_str());
      return;
    }
    credited += outcome->credited;
    cursor = scan.new_cursor.position;
  }
  state.counters["credited/s"] =
      benchmark::Counter(static_cast<double>(credited), benchmark::Counter::kIsRate);
  state.counters["credited"] = static_cast<double>(credited);
}

BENCHMARK(BM_RecordScanCredits)
    ->Arg(1)
    ->Arg(20)
    ->Arg(200)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace instamarket

BENCHMARK_MAIN();
