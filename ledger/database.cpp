#include "ledger/database.h"

#include "core/secret_box.h"
#include "ledger/migrator.h"
#include "ledger/pg_pool.h"

namespace instamarket {

Database::Database(const Config& config, std::shared_ptr<const SecretBox> box)
    : pool_(std::make_shared<PgPool>(config.database)),
      box_(std::move(box)),
      keys_(pool_, box_),
      catalog_(pool_),
      balances_(pool_),
      usage_(pool_),
      audit_(pool_),
      topups_(pool_),
      deposits_(pool_),
      orders_(pool_, config.webhooks.allow_items_over_http),
      webhooks_(pool_, box_),
      rate_windows_(pool_),
      claims_(pool_),
      reconciliation_(pool_) {}

Database::~Database() = default;

Result<std::vector<int>> Database::Migrate() {
  auto applied = ApplyMigrations(*pool_);
  if (!applied) return applied;
  auto sealed = SealSecrets(*pool_, *box_, SealingScope::kClearTextOnly);
  if (!sealed) return sealed.error();
  // Refuse to run with secrets nothing here opens: every signed request of those keys and
  // every webhook would fail later, one by one. Better a clear stop at start.
  for (const auto& [id, count] : sealed->by_master_key) {
    if (!box_->Holds(id)) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       std::to_string(count) + " secrets are sealed under master key " + id +
                           ", which is not configured: add its file to "
                           "secrets.previous_master_key_files (docs/operations.md, rotating the "
                           "master key)");
    }
  }
  return applied;
}

Result<SealingReport> Database::ResealSecrets() {
  return SealSecrets(*pool_, *box_, SealingScope::kAllUnderCurrent);
}

Result<std::map<std::string, int>> Database::CountSecretsByMasterKey() {
  return instamarket::CountSecretsByMasterKey(*pool_);
}

Status Database::Ping() {
  return pool_->With<Unit>([](pqxx::connection& conn) -> Status {
    pqxx::nontransaction tx(conn);
    tx.exec("SELECT 1");
    return OkStatus();
  });
}

bool Database::healthy() const { return pool_->healthy(); }

}  // namespace instamarket
