#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/result.h"
#include "ledger/audit_log.h"
#include "ledger/balance_store.h"
#include "ledger/catalog_store.h"
#include "ledger/claim_store.h"
#include "ledger/deposit_store.h"
#include "ledger/key_store.h"
#include "ledger/order_store.h"
#include "ledger/rate_window_store.h"
#include "ledger/reconciliation_store.h"
#include "ledger/secret_sealing.h"
#include "ledger/topup_store.h"
#include "ledger/usage_store.h"
#include "ledger/webhook_store.h"

namespace instamarket {

class PgPool;
class SecretBox;

// The ledger as the rest of the program sees it: one connection pool and the stores over it.
// Opening connects lazily, so the daemon starts (and answers 503) while the database is down.
// `box` seals the secrets the database keeps (API keys' HMAC and webhook secrets).
class Database {
 public:
  Database(const Config& config, std::shared_ptr<const SecretBox> box);
  ~Database();

  KeyStore& keys() { return keys_; }
  CatalogStore& catalog() { return catalog_; }
  BalanceStore& balances() { return balances_; }
  UsageStore& usage() { return usage_; }
  AuditLog& audit() { return audit_; }
  TopupStore& topups() { return topups_; }
  DepositStore& deposits() { return deposits_; }
  OrderStore& orders() { return orders_; }
  WebhookStore& webhooks() { return webhooks_; }
  RateWindowStore& rate_windows() { return rate_windows_; }
  ClaimStore& claims() { return claims_; }
  ReconciliationStore& reconciliation() { return reconciliation_; }

  // Applies the schema migrations, then seals any secret still in clear (SealSecrets).
  Result<std::vector<int>> Migrate();
  // Master key rotation: every secret sealed again under the current master key.
  Result<SealingReport> ResealSecrets();
  Result<std::map<std::string, int>> CountSecretsByMasterKey();
  // A cheap round trip; kUnavailable when the database cannot be reached.
  Status Ping();
  // Whether the latest use of the database worked (no round trip).
  bool healthy() const;

 private:
  std::shared_ptr<PgPool> pool_;
  std::shared_ptr<const SecretBox> box_;
  KeyStore keys_;
  CatalogStore catalog_;
  BalanceStore balances_;
  UsageStore usage_;
  AuditLog audit_;
  TopupStore topups_;
  DepositStore deposits_;
  OrderStore orders_;
  WebhookStore webhooks_;
  RateWindowStore rate_windows_;
  ClaimStore claims_;
  ReconciliationStore reconciliation_;
};

}  // namespace instamarket
