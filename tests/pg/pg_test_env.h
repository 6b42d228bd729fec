#pragma once

// Shared set-up for tests against a real PostgreSQL: the database named by
// INSTAMARKET_TEST_DATABASE_URL (scripts/test.sh creates a fresh one), migrated once.

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <random>
#include <string>

#include "ledger/database.h"

namespace instamarket {

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
    DatabaseConfig config;
    config.url = TestDatabaseUrl();
    config.pool_size = 8;
    db_ = std::make_unique<Database>(config);
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
