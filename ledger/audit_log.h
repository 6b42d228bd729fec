#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

namespace instamarket {

class PgPool;

struct AuditEntry {
  std::int64_t id = 0;
  std::string actor;
  std::string action;   // e.g. "keys.create", "balance.credit"
  std::string target;   // e.g. "key:42", "product:12345"
  std::string details;  // a JSON object, as stored
  std::int64_t created_at = 0;
};

// Reads api_audit_log. Rows are written by each store in the transaction of the action.
class AuditLog {
 public:
  explicit AuditLog(std::shared_ptr<PgPool> pool);
  // Newest first.
  Result<std::vector<AuditEntry>> Recent(int limit);
  // A row of its own, for events that change nothing else (a refused admin token).
  Status Record(const std::string& actor, const std::string& action, const std::string& target,
                const std::string& details_json);

 private:
  std::shared_ptr<PgPool> pool_;
};

}  // namespace instamarket
