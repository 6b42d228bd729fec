#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ledger/usage_store.h"

namespace instamarket {

// Counts requests per key in memory; a background job drains the counts into the ledger's
// api_key_usage. Pending counts are merged into reads, so /usage is exact at every moment.
// Thread-safe.
class UsageRecorder {
 public:
  void Record(std::int64_t key_id, std::int64_t now_seconds, std::string_view endpoint);
  // What has not reached the database yet, for one key.
  std::optional<UsageDelta> Pending(std::int64_t key_id) const;
  // Takes everything pending; on a failed write, give it back with Restore.
  std::vector<UsageDelta> Drain();
  void Restore(std::vector<UsageDelta> deltas);

 private:
  static void Merge(UsageDelta& into, const UsageDelta& from);

  mutable std::mutex mutex_;
  std::unordered_map<std::int64_t, UsageDelta> pending_;
};

}  // namespace instamarket
