#pragma once

#include <string>

#include "adapters/chain_adapter.h"
#include "config/config.h"
#include "ledger/deposit_store.h"
#include "ledger/reconciliation_store.h"

namespace instamarket {

// Reconciles one network's master wallet: its token balance on chain against the ledger, both
// as of the watcher's cursor (everything below it is recorded, atomically with it):
//
//   drift = balance before the cursor - (baseline + deposits recorded - outgoing recorded)
//
// The baseline is the wallet's balance where the watch began (the config's numeric `start`
// block, or where the first reconciliation found the cursor). Transfers out of the wallet are
// read from the chain and recorded on each run. A drift is explained by scanning the chain
// again, both ways, since the latest clean run: each transfer the ledger lacks, or holds but
// the chain does not, is one line. Blocking; the adapter is the caller's own (not the
// watcher's: adapters are not thread-safe).
class Reconciler {
 public:
  Reconciler(DepositStore& deposits, ReconciliationStore& store);

  // kFailedPrecondition: the chain kind cannot be reconciled yet, or the network was never
  // scanned. kUnavailable: a node or the database failed; try again later.
  Result<ReconciliationRun> Run(const NetworkConfig& network, ChainAdapter& adapter,
                                const std::string& actor);

  // At most this many lines per run; the rest shows in unexplained_raw.
  static constexpr std::size_t kMaxLines = 1000;

 private:
  DepositStore& deposits_;
  ReconciliationStore& store_;
};

}  // namespace instamarket
