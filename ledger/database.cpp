#include "ledger/database.h"

#include "ledger/migrator.h"
#include "ledger/pg_pool.h"

namespace instamarket {

Database::Database(const DatabaseConfig& config)
    : pool_(std::make_shared<PgPool>(config)),
      keys_(pool_),
      catalog_(pool_),
      balances_(pool_),
      usage_(pool_),
      audit_(pool_),
      topups_(pool_),
      deposits_(pool_),
      orders_(pool_),
      webhooks_(pool_) {}

Database::~Database() = default;

Result<std::vector<int>> Database::Migrate() { return ApplyMigrations(*pool_); }

Status Database::Ping() {
  return pool_->With<Unit>([](pqxx::connection& conn) -> Status {
    pqxx::nontransaction tx(conn);
    tx.exec("SELECT 1");
    return OkStatus();
  });
}

bool Database::healthy() const { return pool_->healthy(); }

}  // namespace instamarket
