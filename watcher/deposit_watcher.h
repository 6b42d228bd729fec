#pragma once

#include <memory>
#include <vector>

#include "adapters/chain_adapter.h"
#include "config/config.h"
#include "ledger/deposit_store.h"

namespace instamarket {

class Runtime;

// Watches every enabled network: one coroutine per network on its own strand, each with a
// durable cursor in PostgreSQL. A loop: poll the adapter (blocking pool), record what was
// scanned with the matcher's decisions in one ledger transaction, move on; sleep
// poll_interval_ms once at the final head; back off on errors (the cursor stays). Stops when the
// runtime stops.
class DepositWatcher {
 public:
  DepositWatcher(const Config& config, const AdapterRegistry& adapters, DepositStore& store,
                 Runtime& runtime);
  ~DepositWatcher();

  // kInvalidArgument when a network's kind has no adapter. Spawns the loops.
  Status Start();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace instamarket
