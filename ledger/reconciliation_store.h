#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "ledger/deposit_store.h"

namespace instamarket {

class PgPool;

// Where a network's reconciliation counts from: the wallet's balance before `position`.
struct ReconciliationBaseline {
  std::int64_t position = 0;
  std::string raw_balance;  // base units
  int decimals = 6;
  std::int64_t taken_at = 0;
};

// A transfer the ledger holds (a deposit, or an outgoing transfer), by its chain identity.
struct RecordedTransfer {
  std::string tx_id;
  std::int64_t event_index = 0;
  std::string counterparty;  // the sender of a deposit, the receiver of an outgoing transfer
  std::string raw_amount;
  std::int64_t block_number = 0;
};

// One difference between the chain and the ledger. `effect_raw` is what it adds to the drift
// (signed base units).
struct ReconciliationLine {
  std::string kind;  // unrecorded_incoming | unrecorded_outgoing | incoming_not_on_chain |
                     // outgoing_not_on_chain
  RecordedTransfer transfer;
  std::string effect_raw;
};

// One reconciliation: as of every position below `position`,
// drift = chain balance - (baseline + incoming recorded - outgoing recorded).
struct ReconciliationRun {
  std::int64_t id = 0;
  std::string network;
  std::int64_t position = 0;
  ReconciliationBaseline baseline;
  std::string chain_raw, incoming_raw, outgoing_raw;
  std::string drift_raw;        // signed
  std::string unexplained_raw;  // the drift less the lines' effects (signed)
  int decimals = 6;
  std::vector<ReconciliationLine> lines;
  std::string actor;
  std::int64_t run_at = 0;
};

// The ledger's side of reconciliation (migration 0014): baselines, outgoing transfers, runs.
// Every sum is exact (PostgreSQL numeric over base units). Thread-safe; blocking.
class ReconciliationStore {
 public:
  explicit ReconciliationStore(std::shared_ptr<PgPool> pool);

  Result<std::optional<ReconciliationBaseline>> Baseline(const std::string& network);
  // Stores the baseline unless the network has one; returns the one in force.
  Result<ReconciliationBaseline> SetBaseline(const std::string& network,
                                             const ReconciliationBaseline& baseline);

  // Records transfers out of the wallet; ones already recorded change nothing. Returns how many
  // were new.
  Result<int> RecordOutgoing(const std::string& network,
                             const std::vector<DepositInput>& transfers);

  // What the ledger holds in positions [from, to): deposits (every status: each one is on the
  // wallet, whoever it was credited to; but not those a deep reorg took away) and outgoing
  // transfers.
  Result<std::vector<RecordedTransfer>> RecordedIncoming(const std::string& network,
                                                         std::int64_t from, std::int64_t to);
  Result<std::vector<RecordedTransfer>> RecordedOutgoing(const std::string& network,
                                                         std::int64_t from, std::int64_t to);
  struct Totals {
    std::string incoming_raw, outgoing_raw;
  };
  Result<Totals> TotalsBetween(const std::string& network, std::int64_t from, std::int64_t to);

  // chain - (baseline + incoming - outgoing), exactly.
  Result<std::string> Drift(const std::string& chain_raw, const std::string& baseline_raw,
                            const Totals& totals);

  // Saves `run` with its lines (computing unexplained_raw); returns it with id and run_at.
  Result<ReconciliationRun> Save(ReconciliationRun run);
  // The latest run whose drift was zero, if any.
  Result<std::optional<ReconciliationRun>> LatestClean(const std::string& network);
  // Newest first: the latest run of each network, or with `network` its runs, up to `limit`.
  Result<std::vector<ReconciliationRun>> List(const std::optional<std::string>& network,
                                              int limit);
  // Seconds since the network's latest run, or nullopt when it never ran.
  Result<std::optional<std::int64_t>> SecondsSinceLatest(const std::string& network);

 private:
  std::shared_ptr<PgPool> pool_;
};

}  // namespace instamarket
