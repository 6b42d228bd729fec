#include "api/key_cache.h"

#include <atomic>
#include <mutex>

namespace instamarket {

KeyCache::KeyCache(KeyStore& store, Clock::duration ttl, std::size_t max_entries)
    : store_(store), ttl_(ttl), max_entries_(max_entries) {}

std::size_t KeyCache::ThreadShard() {
  static std::atomic<std::size_t> next{0};
  thread_local std::size_t shard = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return shard;
}

std::optional<KeyCache::Entry> KeyCache::Peek(std::string_view api_key,
                                              Clock::time_point now) const {
  const Shard& shard = shards_[ThreadShard()];
  std::lock_guard lock(shard.mutex);
  auto it = shard.entries.find(api_key);
  if (it == shard.entries.end() || it->second.expires <= now) return std::nullopt;
  return it->second.entry;
}

Result<KeyCache::Entry> KeyCache::Load(const std::string& api_key, Clock::time_point now) {
  auto found = store_.FindByKey(api_key);
  if (!found) return found.error();
  Entry mine;
  for (std::size_t i = 0; i < kShards; ++i) {
    // A copy per shard: threads never share a record's reference count.
    Entry entry = found->has_value() ? std::make_shared<const ApiKeyRecord>(**found) : nullptr;
    if (i == ThreadShard()) mine = entry;
    Shard& shard = shards_[i];
    std::lock_guard lock(shard.mutex);
    // Crude but bounded: a flood of distinct keys empties the cache instead of growing it.
    if (shard.entries.size() >= max_entries_) shard.entries.clear();
    shard.entries[api_key] = Cached{std::move(entry), now + ttl_};
  }
  return mine;
}

}  // namespace instamarket
