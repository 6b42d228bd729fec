#pragma once

#include <array>
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
// Thread-safe. Each thread counts into its own shard, so API threads serving the same key do
// not contend on one lock for every request; reads and drains merge the shards.
class UsageRecorder {
 public:
  void Record(std::int64_t key_id, std::int64_t now_seconds, std::string_view endpoint);
  // What has not reached the database yet, for one key.
  std::optional<UsageDelta> Pending(std::int64_t key_id) const;
  // Takes everything pending; on a failed write, give it back with Restore.
  std::vector<UsageDelta> Drain();
  void Restore(std::vector<UsageDelta> deltas);

 private:
  // Adds `other` (counts of the same key, in any order of time) into `into`.
  static void Combine(UsageDelta& into, const UsageDelta& other);

  static constexpr std::size_t kShards = 8;
  struct alignas(64) Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::int64_t, UsageDelta> pending;
  };
  static std::size_t ThreadShard();
  std::array<Shard, kShards> shards_;
};

}  // namespace instamarket
