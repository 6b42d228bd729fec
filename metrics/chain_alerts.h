#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace instamarket {

// Alerts the watchers raise for operators, beside the metrics: /readyz lists them (the instance
// stays ready: it still serves) until the daemon restarts. The durable record is the error log,
// the audit rows and the deposits' reorg_status. One per process, like Metrics. Thread-safe.
class ChainAlerts {
 public:
  static ChainAlerts& Get();

  struct DeepReorg {
    std::int64_t replaced_height = 0;
    std::string kept_hash, node_hash;
    std::int64_t ancestor_height = 0;
    bool ancestor_found = true;
  };
  // A chain replaced blocks already taken as final; the newest one per network is shown.
  void RecordDeepReorg(const std::string& network, const DeepReorg& reorg);
  // Deposits flagged vanished by the re-scan after a deep reorg.
  void AddVanishedDeposits(const std::string& network, int count);

  // The members of /readyz's "chain_alerts" array, or "" when there are none.
  std::string JsonItems() const;

 private:
  ChainAlerts();
  ~ChainAlerts();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace instamarket
