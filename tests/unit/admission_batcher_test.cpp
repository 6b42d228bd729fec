#include "api/admission_batcher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>
#include <vector>

namespace instamarket {
namespace {

using Clock = AdmissionBatcher::Clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// The database's side (rate_admit in migration 0007) in memory, with replies held back until
// Deliver, as a real round trip would.
class FakeDatabase {
 public:
  explicit FakeDatabase(Clock::time_point& now) : now_(now) {}

  AdmissionBatcher::Send Sender() {
    return [this](const RateAsk& ask, AdmissionBatcher::Reply reply) {
      asks.push_back(ask);
      pending_.emplace_back(ask, std::move(reply));
    };
  }

  // Answers every ask sent so far, in order (replies may send further asks).
  void Deliver() {
    while (!pending_.empty()) {
      auto [ask, reply] = std::move(pending_.front());
      pending_.erase(pending_.begin());
      if (down) {
        reply(MakeError(ErrorCode::kUnavailable, "database unavailable"));
      } else {
        reply(Grant(ask));
      }
    }
  }

  std::vector<RateAsk> asks;
  bool down = false;

 private:
  RateGrant Grant(const RateAsk& ask) {
    auto& log = windows_[ask.key_id];
    auto window = milliseconds(ask.window_ms);
    std::erase_if(log, [&](const auto& e) { return e.first + window <= now_; });
    int used = 0;
    for (const auto& e : log) used += e.second;
    int granted = std::max(0, std::min(ask.wanted, ask.limit - used));
    if (granted > 0) log.emplace_back(now_ + milliseconds(ask.hold_ms), granted);
    Clock::time_point oldest = now_ + window;
    for (const auto& e : log) oldest = std::min(oldest, e.first + window);
    return RateGrant{granted, ask.limit - used - granted,
                     std::chrono::duration_cast<milliseconds>(oldest - now_).count()};
  }

  Clock::time_point& now_;
  std::vector<std::pair<RateAsk, AdmissionBatcher::Reply>> pending_;
  std::map<std::int64_t, std::vector<std::pair<Clock::time_point, int>>> windows_;
};

class AdmissionBatcherTest : public ::testing::Test {
 protected:
  std::unique_ptr<AdmissionBatcher> Instance(int limit, RateLimiter& local) {
    return std::make_unique<AdmissionBatcher>(limit, seconds(60), local, db_.Sender(),
                                              [this] { return now_; });
  }

  Clock::time_point now_ = Clock::time_point() + std::chrono::hours(1);
  FakeDatabase db_{now_};
  std::vector<RateDecision> decisions_;
  AdmissionBatcher::Decided Collect() {
    return [this](const RateDecision& d) { decisions_.push_back(d); };
  }
  int Allowed() const {
    return static_cast<int>(std::count_if(decisions_.begin(), decisions_.end(),
                                          [](const RateDecision& d) { return d.allowed; }));
  }
};

TEST_F(AdmissionBatcherTest, RequestsWaitingTogetherGoOutAsOneAsk) {
  RateLimiter local(60, seconds(60));
  auto batcher = Instance(60, local);
  for (int i = 0; i < 100; ++i) batcher->Admit(7, Collect());
  ASSERT_EQ(db_.asks.size(), 1u);  // the first went out at once, the others wait for it
  db_.Deliver();
  ASSERT_EQ(db_.asks.size(), 2u);  // then 99 in one ask
  EXPECT_EQ(db_.asks[1].wanted, 99);
  EXPECT_EQ(db_.asks[1].hold_ms, 0);  // no lease near the limit
  ASSERT_EQ(decisions_.size(), 100u);
  EXPECT_EQ(Allowed(), 60);
  std::multiset<int> remaining;
  for (const auto& d : decisions_) {
    EXPECT_EQ(d.limit, 60);
    EXPECT_GE(d.reset_seconds, 1);
    EXPECT_LE(d.reset_seconds, 60);
    if (d.allowed)
      remaining.insert(d.remaining);
    else
      EXPECT_EQ(d.remaining, 0);
  }
  std::multiset<int> expected;
  for (int i = 0; i < 60; ++i) expected.insert(i);
  EXPECT_EQ(remaining, expected);
}

TEST_F(AdmissionBatcherTest, InstancesShareOneWindow) {
  RateLimiter local_a(60, seconds(60)), local_b(60, seconds(60)), local_c(60, seconds(60));
  auto a = Instance(60, local_a), b = Instance(60, local_b), c = Instance(60, local_c);
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 10; ++i) {
      a->Admit(1, Collect());
      b->Admit(1, Collect());
      c->Admit(1, Collect());
    }
    db_.Deliver();
  }
  ASSERT_EQ(decisions_.size(), 300u);
  EXPECT_EQ(Allowed(), 60);
}

TEST_F(AdmissionBatcherTest, AFullWindowIsRefusedWithoutAskingUntilItsReset) {
  RateLimiter local(3, seconds(60));
  auto batcher = Instance(3, local);
  for (int i = 0; i < 4; ++i) batcher->Admit(1, Collect());
  db_.Deliver();
  EXPECT_EQ(Allowed(), 3);
  const auto asks = db_.asks.size();
  now_ += seconds(30);
  batcher->Admit(1, Collect());
  EXPECT_EQ(db_.asks.size(), asks);  // answered from memory
  ASSERT_FALSE(decisions_.back().allowed);
  EXPECT_EQ(decisions_.back().reset_seconds, 30);
  now_ += seconds(30);  // the window has moved past the first admissions
  batcher->Admit(1, Collect());
  EXPECT_EQ(db_.asks.size(), asks + 1);
  db_.Deliver();
  EXPECT_TRUE(decisions_.back().allowed);
}

TEST_F(AdmissionBatcherTest, TheProcessLogDecidesWhileTheDatabaseIsDown) {
  RateLimiter local(5, seconds(60));
  auto batcher = Instance(5, local);
  for (int i = 0; i < 3; ++i) batcher->Admit(1, Collect());
  db_.Deliver();  // 3 admitted by the database, and logged here too
  db_.down = true;
  for (int i = 0; i < 5; ++i) batcher->Admit(1, Collect());
  db_.Deliver();
  ASSERT_EQ(decisions_.size(), 8u);
  EXPECT_EQ(Allowed(), 5);  // the log knew of 3: two more, not five
}

TEST_F(AdmissionBatcherTest, BusyKeysFarFromTheLimitLeaseSlotsAndNeverExceedIt) {
  const int limit = 20000;
  RateLimiter local(limit, seconds(60));
  auto a = Instance(limit, local);
  auto b = Instance(limit, local);
  for (int round = 0; round < 600; ++round) {
    for (int i = 0; i < 50; ++i) {
      a->Admit(9, Collect());
      b->Admit(9, Collect());
    }
    db_.Deliver();
    now_ += milliseconds(1);
  }
  ASSERT_EQ(decisions_.size(), 60000u);
  EXPECT_LE(Allowed(), limit);
  // Leased slots left unused stay counted; the shortfall is at most one lease per instance.
  EXPECT_GE(Allowed(), limit - 2 * limit / AdmissionBatcher::kLeaseShare);
  EXPECT_LT(db_.asks.size(), 1000u) << "leases should spare most round trips";
  bool leased = std::any_of(db_.asks.begin(), db_.asks.end(),
                            [](const RateAsk& ask) { return ask.hold_ms > 0; });
  EXPECT_TRUE(leased);
}

TEST_F(AdmissionBatcherTest, SweepForgetsIdleKeys) {
  RateLimiter local(60, seconds(60));
  auto batcher = Instance(60, local);
  batcher->Admit(1, Collect());
  batcher->Sweep();
  EXPECT_EQ(batcher->tracked_keys(), 1u);  // in flight
  db_.Deliver();
  batcher->Sweep();
  EXPECT_EQ(batcher->tracked_keys(), 0u);
}

}  // namespace
}  // namespace instamarket
