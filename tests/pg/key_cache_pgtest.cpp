// The key cache against real keys in PostgreSQL: unknown keys (a flood of distinct
// well-formed ones) are remembered in a bounded set and never push a known key out; known keys
// are bounded in bytes.

#include "api/key_cache.h"
#include "core/crypto.h"
#include "pg_test_env.h"

namespace instamarket {
namespace {

class KeyCacheTest : public PgTest {};

TEST_F(KeyCacheTest, AFloodOfUnknownKeysIsBoundedAndLeavesKnownKeysCached) {
  auto minted = db_->keys().Create("cache flood", false, {}, "test");
  ASSERT_TRUE(minted.ok()) << minted.error().message;
  KeyCache::Limits limits;
  limits.unknown_entries = 1000;
  KeyCache cache(db_->keys(), std::chrono::hours(1), limits);
  auto now = KeyCache::Clock::now();
  ASSERT_TRUE(cache.Load(minted->api_key, now).ok());
  std::size_t known_bytes = cache.max_shard_bytes();
  for (int i = 0; i < 5000; ++i) {
    auto junk = cache.Load(GenerateApiKey(), now);
    ASSERT_TRUE(junk.ok());
    EXPECT_EQ(*junk, nullptr);
  }
  EXPECT_EQ(cache.unknown_count(), 1000u);          // the bound, not 5000
  EXPECT_EQ(cache.max_shard_bytes(), known_bytes);  // unknown keys never enter the shards
  auto real = cache.Peek(minted->api_key, now);     // still answered from memory
  ASSERT_TRUE(real.has_value());
  ASSERT_NE(*real, nullptr);
  EXPECT_EQ((*real)->id, minted->id);
  // A remembered unknown key is answered without the database; an evicted one is asked again.
  std::string junk = GenerateApiKey();
  ASSERT_TRUE(cache.Load(junk, now).ok());
  auto remembered = cache.Peek(junk, now);
  ASSERT_TRUE(remembered.has_value());
  EXPECT_EQ(*remembered, nullptr);
}

TEST_F(KeyCacheTest, KnownKeysAreBoundedInBytes) {
  KeyCache::Limits limits;
  limits.shard_bytes = 4096;
  KeyCache cache(db_->keys(), std::chrono::hours(1), limits);
  auto now = KeyCache::Clock::now();
  std::vector<std::string> keys;
  for (int i = 0; i < 40; ++i) {
    auto minted = db_->keys().Create("cache bytes " + std::to_string(i), true, {"10.0.0.1"}, "t");
    ASSERT_TRUE(minted.ok());
    ASSERT_TRUE(cache.Load(minted->api_key, now).ok());
    EXPECT_LE(cache.max_shard_bytes(), limits.shard_bytes);
    keys.push_back(minted->api_key);
  }
  // The newest is cached; the oldest made room.
  EXPECT_TRUE(cache.Peek(keys.back(), now).has_value());
  int cached = 0;
  for (const auto& k : keys) cached += cache.Peek(k, now).has_value();
  EXPECT_LT(cached, 40);
  EXPECT_GT(cached, 0);
}

}  // namespace
}  // namespace instamarket
