#include "api/key_cache.h"

#include <mutex>

namespace instamarket {

KeyCache::KeyCache(KeyStore& store, Clock::duration ttl, std::size_t max_entries)
    : store_(store), ttl_(ttl), max_entries_(max_entries) {}

std::optional<KeyCache::Entry> KeyCache::Peek(std::string_view api_key,
                                              Clock::time_point now) const {
  std::shared_lock lock(mutex_);
  auto it = entries_.find(api_key);
  if (it == entries_.end() || it->second.expires <= now) return std::nullopt;
  return it->second.entry;
}

Result<KeyCache::Entry> KeyCache::Load(const std::string& api_key, Clock::time_point now) {
  auto found = store_.FindByKey(api_key);
  if (!found) return found.error();
  Entry entry = found->has_value() ? std::make_shared<const ApiKeyRecord>(std::move(**found))
                                   : nullptr;
  std::unique_lock lock(mutex_);
  // Crude but bounded: a flood of distinct keys empties the cache instead of growing it.
  if (entries_.size() >= max_entries_) entries_.clear();
  entries_[api_key] = Cached{entry, now + ttl_};
  return entry;
}

}  // namespace instamarket
