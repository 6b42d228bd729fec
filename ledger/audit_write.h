#pragma once

// Internal to ledger/: writes an audit row inside the caller's transaction, so the action and
// its record commit together or not at all.

#include <pqxx/pqxx>
#include <string>

namespace instamarket {

inline void WriteAudit(pqxx::transaction_base& tx, const std::string& actor,
                       const std::string& action, const std::string& target,
                       const std::string& details_json) {
  tx.exec_params(
      "INSERT INTO api_audit_log (actor, action, target, details) VALUES ($1, $2, $3, $4::jsonb)",
      actor, action, target, details_json);
}

}  // namespace instamarket
