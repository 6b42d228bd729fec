#pragma once

#include <memory>

#include "adapters/chain_adapter.h"
#include "config/config.h"
#include "ledger/database.h"

namespace instamarket {

class Runtime;

// Reconciles every enabled network every reconciliation.interval_seconds (watcher/
// reconciliation.h), on the blocking pool with adapters of its own, and records each run's
// drift in the metrics; a drift is logged as an error. With several instances on one database,
// a network reconciled by another within the last half interval is left alone. Chain kinds
// that cannot be reconciled yet are said so once and skipped. Stops when the runtime stops.
class ReconciliationJob {
 public:
  ReconciliationJob(const Config& config, const AdapterRegistry& adapters, Database& db,
                    Runtime& runtime);
  ~ReconciliationJob();

  // kInvalidArgument when a network's kind has no adapter. Does nothing when the interval is 0.
  Status Start();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace instamarket
