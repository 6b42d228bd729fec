#pragma once

// Shared set-up for tests against a real PostgreSQL: the database named by
// INSTAMARKET_TEST_DATABASE_URL (scripts/test.sh creates a fresh one), migrated once.

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <random>
#include <string>

#include "core/secret_box.h"
#include "ledger/database.h"

namespace instamarket {

// The e2e harness's master key too (harness.TEST_MASTER_KEY): the suites share a database.
inline std::shared_ptr<const SecretBox> TestSecretBox() {
  auto key = ParseMasterKey("4d2f0a8c61b37e95d0c4a1f6e8b2d73c5a9e0f1b2c3d4e5f60718293a4b5c6d7",
                            "test master key");
  return std::make_shared<const SecretBox>(SecretBox::Create(std::move(*key)).value());
}

inline std::string TestDatabaseUrl() {
  const char* url = std::getenv("INSTAMARKET_TEST_DATABASE_URL");
  return url ? url : "";
}

class PgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Failing, not skipping: a suite that silently skips its database tests proves nothing.
    ASSERT_FALSE(TestDatabaseUrl().empty())
        << "set INSTAMARKET_TEST_DATABASE_URL (scripts/test.sh does)";
    Config config;
    config.database.url = TestDatabaseUrl();
    config.database.pool_size = 8;
    db_ = std::make_unique<Database>(config, TestSecretBox());
    auto migrated = db_->Migrate();
    ASSERT_TRUE(migrated.ok()) << migrated.error().message;
  }

  // Ids that do not collide with other tests sharing the database.
  static std::int64_t UniqueId() {
    static std::mt19937_64 rng{std::random_device{}()};
    return static_cast<std::int64_t>(rng() % 1'000'000'000'000ULL) + 1'000'000;
  }

  std::unique_ptr<Database> db_;
};

}  // namespace instamarket
