#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.h"
#include "ledger/key_store.h"

namespace instamarket {

// API keys by their presented value, kept for `ttl` so that a request needs no database round
// trip to authenticate. Unknown keys are cached too, so garbage keys cannot flood the
// database. A revoke or whitelist change applies within `ttl`. Thread-safe. Each thread reads
// its own shard (a copy of every entry), so API threads serving the same key share no lock and
// no reference count on every request.
class KeyCache {
 public:
  using Clock = std::chrono::steady_clock;
  using Entry = std::shared_ptr<const ApiKeyRecord>;  // null: no such key

  KeyCache(KeyStore& store, Clock::duration ttl, std::size_t max_entries = 100000);

  // Non-blocking. nullopt when the cache cannot answer (missing or expired).
  std::optional<Entry> Peek(std::string_view api_key, Clock::time_point now) const;
  // Blocking: asks the database and caches the answer.
  Result<Entry> Load(const std::string& api_key, Clock::time_point now);

 private:
  struct Cached {
    Entry entry;
    Clock::time_point expires;
  };
  // Transparent hash and equality: Peek looks up the header's bytes without copying them.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  static constexpr std::size_t kShards = 8;
  struct alignas(64) Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Cached, Hash, std::equal_to<>> entries;
  };
  static std::size_t ThreadShard();

  KeyStore& store_;
  Clock::duration ttl_;
  std::size_t max_entries_;
  std::array<Shard, kShards> shards_;
};

}  // namespace instamarket
