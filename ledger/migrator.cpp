#include "ledger/migrator.h"

#include "ledger/pg_pool.h"

namespace instamarket {
namespace {
// Any constant works; it only has to be the same in every instance.
constexpr std::int64_t kMigrationLockId = 0x696d6b6d6967;  // "imkmig"
}  // namespace

Result<std::vector<int>> ApplyMigrations(PgPool& pool) {
  using Versions = std::vector<int>;
  return pool.With<Versions>([&](pqxx::connection& conn) -> Result<Versions> {
    {
      pqxx::nontransaction setup(conn);
      setup.exec("SET client_min_messages = warning");
      // A migration may rewrite a big table, and waits for another instance's: no timeouts.
      setup.exec("SET statement_timeout = 0; SET lock_timeout = 0");
      setup.exec_params("SELECT pg_advisory_lock($1)", kMigrationLockId);
      setup.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
          " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
    }
    Versions applied;
    try {
      for (const auto& m : BuiltinMigrations()) {
        pqxx::work tx(conn);
        auto seen = tx.exec_params("SELECT 1 FROM schema_migrations WHERE version = $1", m.version);
        if (!seen.empty()) continue;
        tx.exec(m.sql);
        tx.exec_params("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version,
                       m.name);
        tx.commit();
        applied.push_back(m.version);
      }
    } catch (...) {
      pqxx::nontransaction unlock(conn);
      unlock.exec_params("SELECT pg_advisory_unlock($1)", kMigrationLockId);
      unlock.exec(pool.SessionTimeoutsSql());
      throw;
    }
    pqxx::nontransaction unlock(conn);
    unlock.exec_params("SELECT pg_advisory_unlock($1)", kMigrationLockId);
    unlock.exec(pool.SessionTimeoutsSql());
    return applied;
  });
}

}  // namespace instamarket
