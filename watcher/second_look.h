#pragma once

#include <memory>

#include "adapters/chain_adapter.h"
#include "config/config.h"
#include "ledger/database.h"

namespace instamarket {

class Runtime;

// The second look: each network's final positions are read again, second_look_delay_seconds
// after the watcher's cursor passed them, through the network's next endpoint (its own adapter,
// with the endpoint list rotated by one), as Chainlink's log poller does. A transfer the
// watcher's scan did not record (a lagging or pruned node that answered "nothing", a load
// balancer that asked another backend) is recorded and credited like any deposit, audited as
// "deposits.second_look", logged and counted (instamarket_second_look_found_total), so the first
// pass's completeness is measured, not assumed. Its position is durable per network
// (second_look_positions); after a restart it waits the delay again, then goes on from there,
// so nothing the watcher passed meanwhile is skipped. Chain kinds without range reads say so
// once and are skipped. Stops when the runtime stops.
class SecondLook {
 public:
  SecondLook(const Config& config, const AdapterRegistry& adapters, Database& db,
             Runtime& runtime);
  ~SecondLook();

  // kInvalidArgument when a network's kind has no adapter.
  Status Start();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace instamarket
