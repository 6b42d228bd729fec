#pragma once

#include <array>
#include <chrono>
#include <deque>
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
// trip to authenticate. A revoke or whitelist change applies within `ttl`. Thread-safe.
//
// Known keys: each thread reads its own shard (a copy of every entry), so API threads serving
// the same key share no lock and no reference count on every request. Shards are bounded in
// bytes, and only known keys ever enter them.
//
// Unknown keys (well-formed ones nobody was issued; malformed ones never get here) are
// remembered apart, once, as a fixed-size digest in a bounded first-in-first-out set: a flood
// of distinct random keys costs a few MiB at most and never evicts a known key.
class KeyCache {
 public:
  using Clock = std::chrono::steady_clock;
  using Entry = std::shared_ptr<const ApiKeyRecord>;  // null: no such key

  struct Limits {
    std::size_t shard_bytes = 8 << 20;      // per shard; 8 shards of known keys
    std::size_t unknown_entries = 1 << 17;  // digests of unknown keys (~7 MiB)
  };

  KeyCache(KeyStore& store, Clock::duration ttl) : KeyCache(store, ttl, Limits{}) {}
  KeyCache(KeyStore& store, Clock::duration ttl, Limits limits);

  // Non-blocking. nullopt when the cache cannot answer (missing or expired).
  std::optional<Entry> Peek(std::string_view api_key, Clock::time_point now) const;
  // Blocking: asks the database and caches the answer.
  Result<Entry> Load(const std::string& api_key, Clock::time_point now);

  // What the cache holds now (for tests and metrics): unknown digests, and the largest shard.
  std::size_t unknown_count() const;
  std::size_t max_shard_bytes() const;

  // Approximate bytes a known key takes in one shard (its key, record and map node).
  static std::size_t FootprintOf(const std::string& api_key, const ApiKeyRecord& record);

 private:
  struct Cached {
    Entry entry;
    Clock::time_point expires;
    std::size_t bytes;
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
    std::size_t bytes = 0;
  };
  // 16 bytes of the key's SHA-256: unknown keys by a fixed-size name, whatever was sent.
  using Digest = std::array<unsigned char, 16>;
  struct DigestHash {
    std::size_t operator()(const Digest& d) const;
  };
  struct Unknown {
    mutable std::mutex mutex;
    std::unordered_map<Digest, Clock::time_point, DigestHash> expires;
    std::deque<Digest> order;  // oldest first, for eviction
  };
  static std::size_t ThreadShard();
  static Digest DigestOf(std::string_view api_key);
  void RememberUnknown(std::string_view api_key, Clock::time_point expires);
  void Forget(Shard& shard, std::string_view api_key);

  KeyStore& store_;
  Clock::duration ttl_;
  Limits limits_;
  std::array<Shard, kShards> shards_;
  Unknown unknown_;
};

}  // namespace instamarket
