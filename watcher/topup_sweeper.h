#pragma once

#include <memory>

#include "config/config.h"
#include "ledger/topup_store.h"

namespace instamarket {

class Runtime;

// Expires top-up intents on time: every second it marks pending intents past expires_at +
// topups.expiry_grace_seconds expired, in batches, and queues topup.expired for each (the
// webhook dispatcher sends it); then it deletes the amount holds whose time is up, in batches.
// Its database work runs on the blocking pool; it stops when the runtime stops. Safe on
// several instances at once: each pass locks its batch with SKIP LOCKED, so two instances
// never expire (nor notify) one intent twice, nor wait on each other's holds.
class TopupSweeper {
 public:
  TopupSweeper(const Config& config, TopupStore& store, Runtime& runtime);
  ~TopupSweeper();

  void Start();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace instamarket
