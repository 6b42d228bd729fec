#include "api/key_cache.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>

#include "core/crypto.h"

namespace instamarket {

KeyCache::KeyCache(KeyStore& store, Clock::duration ttl, Limits limits)
    : store_(store), ttl_(ttl), limits_(limits) {}

std::size_t KeyCache::ThreadShard() {
  static std::atomic<std::size_t> next{0};
  thread_local std::size_t shard = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return shard;
}

std::size_t KeyCache::DigestHash::operator()(const Digest& d) const {
  std::size_t h;
  std::memcpy(&h, d.data(), sizeof h);  // already a uniform hash
  return h;
}

KeyCache::Digest KeyCache::DigestOf(std::string_view api_key) {
  std::string full = Sha256(api_key);
  Digest d;
  std::memcpy(d.data(), full.data(), d.size());
  return d;
}

std::size_t KeyCache::FootprintOf(const std::string& api_key, const ApiKeyRecord& record) {
  constexpr std::size_t kNodeOverhead = 96;  // map node, bucket, control block
  std::size_t bytes = kNodeOverhead + sizeof(ApiKeyRecord) + api_key.capacity() +
                      record.label.capacity() + record.prefix.capacity();
  if (record.hmac_secret) bytes += record.hmac_secret->capacity();
  for (const auto& ip : record.allowed_ips) bytes += sizeof(std::string) + ip.capacity();
  return bytes;
}

std::optional<KeyCache::Entry> KeyCache::Peek(std::string_view api_key,
                                              Clock::time_point now) const {
  {
    const Shard& shard = shards_[ThreadShard()];
    std::lock_guard lock(shard.mutex);
    auto it = shard.entries.find(api_key);
    if (it != shard.entries.end() && it->second.expires > now) return it->second.entry;
  }
  std::lock_guard lock(unknown_.mutex);
  if (unknown_.expires.empty()) return std::nullopt;
  auto it = unknown_.expires.find(DigestOf(api_key));
  if (it == unknown_.expires.end() || it->second <= now) return std::nullopt;
  return Entry{};
}

void KeyCache::RememberUnknown(std::string_view api_key, Clock::time_point expires) {
  Digest d = DigestOf(api_key);
  std::lock_guard lock(unknown_.mutex);
  auto [it, inserted] = unknown_.expires.try_emplace(d, expires);
  if (!inserted) {
    it->second = expires;
    return;
  }
  unknown_.order.push_back(d);
  while (unknown_.order.size() > limits_.unknown_entries) {
    unknown_.expires.erase(unknown_.order.front());
    unknown_.order.pop_front();
  }
}

void KeyCache::Forget(Shard& shard, std::string_view api_key) {
  auto it = shard.entries.find(api_key);
  if (it == shard.entries.end()) return;
  shard.bytes -= it->second.bytes;
  shard.entries.erase(it);
}

Result<KeyCache::Entry> KeyCache::Load(const std::string& api_key, Clock::time_point now) {
  auto found = store_.FindByKey(api_key);
  if (!found) return found.error();
  if (!found->has_value()) {
    // A key revoked-and-deleted or never issued: out of the known shards, into the digests.
    for (auto& shard : shards_) {
      std::lock_guard lock(shard.mutex);
      Forget(shard, api_key);
    }
    RememberUnknown(api_key, now + ttl_);
    return Entry{};
  }
  std::size_t bytes = FootprintOf(api_key, **found);
  Entry mine;
  for (std::size_t i = 0; i < kShards; ++i) {
    // A copy per shard: threads never share a record's reference count.
    Entry entry = std::make_shared<const ApiKeyRecord>(**found);
    if (i == ThreadShard()) mine = entry;
    Shard& shard = shards_[i];
    std::lock_guard lock(shard.mutex);
    Forget(shard, api_key);
    // Only issued keys get here, so this is reached only with more keys than the budget
    // holds: then the oldest answers go (expired first), never past the budget.
    if (shard.bytes + bytes > limits_.shard_bytes) {
      for (auto it = shard.entries.begin(); it != shard.entries.end();) {
        if (it->second.expires <= now) {
          shard.bytes -= it->second.bytes;
          it = shard.entries.erase(it);
        } else {
          ++it;
        }
      }
      while (shard.bytes + bytes > limits_.shard_bytes && !shard.entries.empty()) {
        shard.bytes -= shard.entries.begin()->second.bytes;
        shard.entries.erase(shard.entries.begin());
      }
    }
    if (bytes <= limits_.shard_bytes) {
      shard.entries[api_key] = Cached{std::move(entry), now + ttl_, bytes};
      shard.bytes += bytes;
    }
  }
  return mine;
}

std::size_t KeyCache::unknown_count() const {
  std::lock_guard lock(unknown_.mutex);
  return unknown_.expires.size();
}

std::size_t KeyCache::max_shard_bytes() const {
  std::size_t most = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    most = std::max(most, shard.bytes);
  }
  return most;
}

}  // namespace instamarket
