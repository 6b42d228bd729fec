#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace instamarket {

// The process's Prometheus metrics (prometheus-cpp stays inside metrics.cpp). One registry for
// the process, like a logger: components record into Metrics::Get() and GET /metrics
// serializes it. No per-key labels, so the number of series stays bounded. Thread-safe.
class Metrics {
 public:
  static Metrics& Get();

  // Per-route HTTP counters, looked up once per route so a request does no map lookup.
  class Route;
  Route* ForRoute(std::string_view route_pattern);
  void RecordRequest(Route* route, int status, double seconds);
  void RecordRateLimited();
  // A connection refused at accept over a cap: "max_connections" or
  // "max_connections_per_address".
  void RecordConnectionRefused(std::string_view cap);
  // Admitted API connections now open (+1 when one is admitted, -1 when it closes).
  void AddOpenConnections(int delta);

  // Per network, after each recorded scan.
  void RecordScan(const std::string& network, std::int64_t head, std::int64_t final_height,
                  std::int64_t next_block, int credited, int unmatched, int reorged);
  // A reorg deeper than the network's finality: replaced blocks we had scanned as final, down
  // to `depth` blocks below the newest one scanned.
  void RecordDeepReorg(const std::string& network, std::int64_t depth);
  // Recorded deposits a deep reorg took away (vanished) or moved to another block (remined).
  void RecordReorgedDeposits(const std::string& network, int vanished, int remined);
  void RecordRpcError(const std::string& network, const std::string& endpoint);
  // Whether this instance holds the network's watcher lease (checked before each poll).
  void RecordWatcherLeader(const std::string& network, bool leader);
  // Whether a node has confirmed the network's identity (EVM: chain id and token decimals):
  // 0 while none has (nothing is recorded for it), 1 once one has.
  void RecordChainIdentityVerified(const std::string& network, bool verified);
  // Block time of a final transfer to its deposit recorded (credited, if it matched).
  void RecordDepositLatency(const std::string& network, double seconds);

  // After a reconciliation of the network's wallet (watcher/reconciliation.h). The USDT
  // figures are for dashboards only; the exact amounts are in the ledger.
  void RecordReconciliation(const std::string& network, bool clean, double drift_usdt,
                            double unexplained_usdt);
  void RecordReconciliationFailed(const std::string& network);

  // After the second look read a range (watcher/second_look.h): where it has got to, and how
  // many transfers it found that the watcher's scan had not recorded.
  void RecordSecondLook(const std::string& network, std::int64_t position, int found);
  void RecordSecondLookFailed(const std::string& network);
  // A transfer the second look read that the watcher's node does not confirm (another block at
  // that height), or whose transaction is recorded under another log index: not recorded.
  void RecordSecondLookUnconfirmed(const std::string& network);

  // Outcome of one webhook attempt: "delivered", "retry" or "failed".
  void RecordWebhookAttempt(std::string_view outcome);
  // A refused admin token: "bad_token" or "locked_out".
  void RecordAdminAuthFailure(std::string_view outcome);
  // Orders entering `status` (processing, completed, partial, failed, expired, refunded).
  void RecordOrders(std::string_view status, int count);

  // The Prometheus text exposition format (version 0.0.4).
  std::string Serialize() const;

 private:
  Metrics();
  ~Metrics();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace instamarket
