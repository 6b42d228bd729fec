#include <algorithm>
#include <atomic>
#include <chrono>
#include <pqxx/pqxx>
#include <thread>
#include <vector>

#include "pg_test_env.h"

namespace instamarket {
namespace {

class RateWindowTest : public PgTest {
 protected:
  RateGrant Admit(std::int64_t key, int wanted, int limit, int window_ms = 60000, int hold = 0) {
    auto grant = db_->rate_windows().Admit(RateAsk{key, wanted, limit, window_ms, hold});
    EXPECT_TRUE(grant.ok()) << grant.error().message;
    return grant.ok() ? *grant : RateGrant{};
  }
};

TEST_F(RateWindowTest, ConcurrentAsksAdmitExactlyTheLimit) {
  const std::int64_t key = UniqueId();
  std::vector<std::thread> threads;
  std::vector<std::vector<RateGrant>> grants(8);
  for (std::size_t t = 0; t < grants.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        auto grant = db_->rate_windows().Admit(RateAsk{key, 1, 60, 60000, 0});
        if (grant.ok()) grants[t].push_back(*grant);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::vector<int> remaining;
  int answered = 0;
  for (const auto& per_thread : grants) {
    for (const auto& g : per_thread) {
      ++answered;
      if (g.granted == 1)
        remaining.push_back(g.remaining);
      else
        EXPECT_EQ(g.remaining, 0);
    }
  }
  EXPECT_EQ(answered, 320);
  ASSERT_EQ(remaining.size(), 60u);
  std::sort(remaining.begin(), remaining.end());
  for (int i = 0; i < 60; ++i) EXPECT_EQ(remaining[static_cast<std::size_t>(i)], i);
}

TEST_F(RateWindowTest, BatchesAreGrantedUpToTheFreeSlots) {
  const std::int64_t key = UniqueId();
  RateGrant first = Admit(key, 50, 60);
  EXPECT_EQ(first.granted, 50);
  EXPECT_EQ(first.remaining, 10);
  EXPECT_GT(first.reset_ms, 59000);
  EXPECT_LE(first.reset_ms, 60000);
  RateGrant second = Admit(key, 20, 60);
  EXPECT_EQ(second.granted, 10);
  EXPECT_EQ(second.remaining, 0);
  RateGrant refused = Admit(key, 1, 60);
  EXPECT_EQ(refused.granted, 0);
  EXPECT_GT(refused.reset_ms, 0);
  EXPECT_LE(refused.reset_ms, 60000);
  // Another key has its own window.
  EXPECT_EQ(Admit(UniqueId(), 60, 60).granted, 60);
}

TEST_F(RateWindowTest, TheWindowSlides) {
  const std::int64_t key = UniqueId();
  EXPECT_EQ(Admit(key, 1, 2, 3000).granted, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // into another second
  EXPECT_EQ(Admit(key, 1, 2, 3000).granted, 1);
  RateGrant full = Admit(key, 1, 2, 3000);
  EXPECT_EQ(full.granted, 0);
  EXPECT_GT(full.reset_ms, 1000);
  EXPECT_LE(full.reset_ms, 1900);
  std::this_thread::sleep_for(std::chrono::milliseconds(full.reset_ms + 50));
  // The first admission has left the window, the second has not.
  RateGrant again = Admit(key, 2, 2, 3000);
  EXPECT_EQ(again.granted, 1);
  EXPECT_EQ(again.remaining, 0);
}

TEST_F(RateWindowTest, LeasedSlotsCountFromTheEndOfTheirHold) {
  const std::int64_t key = UniqueId();
  RateGrant leased = Admit(key, 5, 10, 60000, 250);
  EXPECT_EQ(leased.granted, 5);
  EXPECT_GT(leased.reset_ms, 60000);  // frees late, never early
  EXPECT_LE(leased.reset_ms, 60250);
}

TEST_F(RateWindowTest, TheTableWritesNoWal) {
  pqxx::connection conn(TestDatabaseUrl());
  pqxx::nontransaction tx(conn);
  auto row = tx.exec1("SELECT relpersistence FROM pg_class WHERE relname = 'rate_windows'");
  EXPECT_EQ(row[0].as<std::string>(), "u");
}

}  // namespace
}  // namespace instamarket
