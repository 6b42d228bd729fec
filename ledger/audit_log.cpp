#include "ledger/audit_log.h"

#include "ledger/audit_write.h"
#include "ledger/pg_pool.h"

namespace instamarket {

AuditLog::AuditLog(std::shared_ptr<PgPool> pool) : pool_(std::move(pool)) {}

Result<std::vector<AuditEntry>> AuditLog::Recent(int limit) {
  using Entries = std::vector<AuditEntry>;
  return pool_->With<Entries>([&](pqxx::connection& conn) -> Result<Entries> {
    pqxx::nontransaction tx(conn);
    Entries entries;
    for (const auto& row :
         tx.exec_params("SELECT id, actor, action, target, details::text, "
                        "floor(extract(epoch FROM created_at))::bigint FROM api_audit_log "
                        "ORDER BY id DESC LIMIT $1",
                        limit)) {
      entries.push_back(AuditEntry{row[0].as<std::int64_t>(), row[1].as<std::string>(),
                                   row[2].as<std::string>(), row[3].as<std::string>(),
                                   row[4].as<std::string>(), row[5].as<std::int64_t>()});
    }
    return entries;
  });
}

Status AuditLog::Record(const std::string& actor, const std::string& action,
                        const std::string& target, const std::string& details_json) {
  return pool_->With<Unit>([&](pqxx::connection& conn) -> Status {
    pqxx::work tx(conn);
    WriteAudit(tx, actor, action, target, details_json);
    tx.commit();
    return OkStatus();
  });
}

}  // namespace instamarket
