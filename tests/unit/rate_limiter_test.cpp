#include "api/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace instamarket {
namespace {

using Clock = RateLimiter::Clock;
using std::chrono::seconds;

TEST(RateLimiterTest, AdmitsExactlyTheLimitUnderConcurrency) {
  RateLimiter limiter(60, seconds(60));
  auto now = Clock::now();
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 125; ++i) admitted += limiter.Admit(7, now).allowed ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 60);  // 1,000 attempts
}

TEST(RateLimiterTest, WindowSlidesInsteadOfResetting) {
  RateLimiter limiter(3, seconds(60));
  auto t0 = Clock::now();
  EXPECT_TRUE(limiter.Admit(1, t0).allowed);
  EXPECT_TRUE(limiter.Admit(1, t0 + seconds(20)).allowed);
  EXPECT_TRUE(limiter.Admit(1, t0 + seconds(40)).allowed);
  auto refused = limiter.Admit(1, t0 + seconds(59));
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.reset_seconds, 1);  // the first admission leaves the window at t0+60
  EXPECT_TRUE(limiter.Admit(1, t0 + seconds(60)).allowed);
  EXPECT_FALSE(limiter.Admit(1, t0 + seconds(61)).allowed);
  auto next = limiter.Admit(1, t0 + seconds(80));
  EXPECT_TRUE(next.allowed);
  EXPECT_EQ(next.remaining, 0);
}

TEST(RateLimiterTest, ReportsRemainingAndKeysAreIndependent) {
  RateLimiter limiter(2, seconds(60));
  auto now = Clock::now();
  EXPECT_EQ(limiter.Admit(1, now).remaining, 1);
  EXPECT_EQ(limiter.Admit(1, now).remaining, 0);
  EXPECT_FALSE(limiter.Admit(1, now).allowed);
  EXPECT_TRUE(limiter.Admit(2, now).allowed);
  // After the window every slot is free again.
  auto later = limiter.Admit(1, now + seconds(61));
  EXPECT_TRUE(later.allowed);
  EXPECT_EQ(later.remaining, 1);
}

}  // namespace
}  // namespace instamarket
