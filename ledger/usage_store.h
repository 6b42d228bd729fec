#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/money.h"
#include "core/result.h"

namespace instamarket {

class PgPool;

// Requests of one key since the last flush.
struct UsageDelta {
  std::int64_t key_id = 0;
  std::int64_t request_count = 0;
  std::int64_t first_used_at = 0;  // unix seconds
  std::int64_t last_used_at = 0;
  std::string last_endpoint;
};

struct UsageView {
  std::int64_t request_count = 0;
  std::optional<std::int64_t> first_used_at;
  std::optional<std::int64_t> last_used_at;
  std::optional<std::string> last_endpoint;
  Money total_spent;
};

// Per-key request statistics. The API counts in memory and adds batches here, so counting
// costs no database round trip per request. Thread-safe; blocking.
class UsageStore {
 public:
  explicit UsageStore(std::shared_ptr<PgPool> pool);

  Status Add(const std::vector<UsageDelta>& deltas);
  Result<UsageView> Get(std::int64_t key_id);

 private:
  std::shared_ptr<PgPool> pool_;
};

}  // namespace instamarket
