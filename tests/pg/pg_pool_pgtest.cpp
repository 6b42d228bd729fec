// The pool's retries and timeouts against a real PostgreSQL: a real deadlock is retried and
// both transactions commit once; a lock held elsewhere or a slow statement is cut by the
// configured timeouts and reported as kUnavailable (503), never as an internal error.

#include <atomic>
#include <chrono>
#include <future>
#include <random>
#include <thread>

#include "ledger/pg_pool.h"
#include "pg_test_env.h"

namespace instamarket {
namespace {

DatabaseConfig PoolConfig(int statement_timeout_ms, int lock_timeout_ms) {
  DatabaseConfig config;
  config.url = TestDatabaseUrl();
  config.pool_size = 4;
  config.statement_timeout_ms = statement_timeout_ms;
  config.lock_timeout_ms = lock_timeout_ms;
  return config;
}

class PgPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(TestDatabaseUrl().empty())
        << "set INSTAMARKET_TEST_DATABASE_URL (scripts/test.sh does)";
    table_ = "pool_test_" + std::to_string(std::random_device{}() % 1000000000);
    pqxx::connection conn(TestDatabaseUrl());
    pqxx::work tx(conn);
    tx.exec("CREATE TABLE " + table_ + " (id INT PRIMARY KEY, v INT NOT NULL)");
    tx.exec("INSERT INTO " + table_ + " VALUES (1, 0), (2, 0)");
    tx.commit();
  }
  void TearDown() override {
    pqxx::connection conn(TestDatabaseUrl());
    pqxx::nontransaction(conn).exec("DROP TABLE IF EXISTS " + table_);
  }
  std::string table_;
};

TEST_F(PgPoolTest, RetriesADeadlockAndCommitsEachTransactionOnce) {
  PgPool pool(PoolConfig(10000, 10000));
  std::atomic<int> attempts{0}, first_updates{0};
  auto transfer = [&](int first, int second) {
    return pool.With<Unit>([&, first, second](pqxx::connection& conn) -> Result<Unit> {
      ++attempts;
      pqxx::work tx(conn);
      tx.exec("UPDATE " + table_ + " SET v = v + 1 WHERE id = " + std::to_string(first));
      // Both hold their first row before either asks for its second: a real deadlock, which
      // PostgreSQL breaks (after deadlock_timeout) by aborting one of them.
      if (++first_updates <= 2) {
        while (first_updates.load() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      tx.exec("UPDATE " + table_ + " SET v = v + 1 WHERE id = " + std::to_string(second));
      tx.commit();
      return Unit{};
    });
  };
  auto a = std::async(std::launch::async, transfer, 1, 2);
  auto b = std::async(std::launch::async, transfer, 2, 1);
  auto ra = a.get(), rb = b.get();
  ASSERT_TRUE(ra.ok()) << ra.error().message;
  ASSERT_TRUE(rb.ok()) << rb.error().message;
  EXPECT_EQ(attempts.load(), 3);  // one of them ran twice
  pqxx::connection conn(TestDatabaseUrl());
  auto rows = pqxx::nontransaction(conn).exec("SELECT v FROM " + table_ + " ORDER BY id");
  EXPECT_EQ(rows[0][0].as<int>(), 2);  // each transaction's two updates, once
  EXPECT_EQ(rows[1][0].as<int>(), 2);
}

TEST_F(PgPoolTest, GivesUpOnEndlessDeadlocksAsUnavailable) {
  PgPool pool(PoolConfig(10000, 10000));
  int attempts = 0;
  auto result = pool.With<Unit>([&](pqxx::connection&) -> Result<Unit> {
    ++attempts;
    if (attempts > 0) throw pqxx::deadlock_detected("ERROR:  deadlock detected");
    return Unit{};
  });
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(attempts, PgPool::kMaxAttempts);
}

TEST_F(PgPoolTest, LockWaitsAndSlowStatementsAreCutAndUnavailable) {
  pqxx::connection holder(TestDatabaseUrl());
  pqxx::work held(holder);
  held.exec("LOCK TABLE " + table_ + " IN ACCESS EXCLUSIVE MODE");

  for (auto [statement_ms, lock_ms] : {std::pair{10000, 200}, std::pair{200, 0}}) {
    PgPool pool(PoolConfig(statement_ms, lock_ms));
    auto start = std::chrono::steady_clock::now();
    auto result = pool.With<int>([&](pqxx::connection& conn) -> Result<int> {
      pqxx::read_transaction tx(conn);
      return tx.exec1("SELECT count(*) FROM " + table_)[0].as<int>();
    });
    auto waited = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(result.ok()) << "statement " << statement_ms << " ms, lock " << lock_ms << " ms";
    EXPECT_EQ(result.error().code, ErrorCode::kUnavailable) << result.error().message;
    EXPECT_LT(waited, std::chrono::seconds(3));
    // The connection survives: after the holder lets go, the same pool answers.
    if (statement_ms == 200) {
      held.abort();
      auto again = pool.With<int>([&](pqxx::connection& conn) -> Result<int> {
        pqxx::read_transaction tx(conn);
        return tx.exec1("SELECT count(*) FROM " + table_)[0].as<int>();
      });
      ASSERT_TRUE(again.ok()) << again.error().message;
      EXPECT_EQ(*again, 2);
    }
  }
}

TEST_F(PgPoolTest, SlowStatementIsCutWithoutAnyLock) {
  PgPool pool(PoolConfig(300, 0));
  auto result = pool.With<Unit>([&](pqxx::connection& conn) -> Result<Unit> {
    pqxx::nontransaction(conn).exec("SELECT pg_sleep(5)");
    return Unit{};
  });
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(result.error().message.find("timeout"), std::string::npos) << result.error().message;
}

}  // namespace
}  // namespace instamarket
