#pragma once

#include <memory>

#include "config/config.h"
#include "ledger/order_store.h"

namespace instamarket {

class Runtime;

// The background side of orders, on the runtime: the fulfilment worker (every
// orders.worker_interval_ms, or at once when Wake() says an order arrived; only when
// orders.fulfil) and the refund job (every orders.refund_interval_seconds: expires overdue
// orders, then pays what is due back). Both drain their queue before sleeping, run their
// database work on the blocking pool, and stop when the runtime stops. Safe to run on several
// instances at once (the store uses SKIP LOCKED and idempotent ledger entries).
class OrderJobs {
 public:
  OrderJobs(const Config& config, OrderStore& store, Runtime& runtime);
  ~OrderJobs();

  void Start();
  // Thread-safe: an order was placed; the worker looks now instead of at its next tick.
  void Wake();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace instamarket
