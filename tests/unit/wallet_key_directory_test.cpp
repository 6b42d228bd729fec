// The TON public key lookup of claims (adapters/wallet_key_directory.h) and the order of a TON
// proof's checks (core/wallet_signature.h VerifyTonProof), with a fake key source that counts
// its calls: garbage costs no lookup, failures are remembered for a while, nothing is
// serialized behind a slow lookup, the cache is bounded.

#include "adapters/wallet_key_directory.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/wallet_signature.h"

namespace instamarket {
namespace {

using namespace std::chrono_literals;

const std::string kKey(64, 'a');  // 32 bytes of hex
const std::string kWallet = "0:" + std::string(64, '1');

// A fake chain: answers kKey for wallets it knows, kFailedPrecondition (not deployed) for the
// others, kUnavailable while `down`; counts its calls.
struct FakeKeySource {
  std::atomic<int> calls{0};
  std::atomic<bool> down{false};
  std::set<std::string> known{kWallet};

  WalletKeySource Source() {
    return [this](const std::string&, const std::string& address) -> Result<std::string> {
      ++calls;
      if (down) return MakeError(ErrorCode::kUnavailable, "node down");
      if (!known.count(address)) return MakeError(ErrorCode::kFailedPrecondition, "exit code -13");
      return kKey;
    };
  }
};

// A clock the test moves.
struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  WalletKeyDirectory::Clock Clock() {
    return [this] { return now; };
  }
};

TEST(TonProof, AMalformedSignatureCostsNoLookup) {
  int lookups = 0;
  auto key_of = [&](const std::string&) -> Result<std::string> {
    ++lookups;
    return kKey;
  };
  for (std::string garbage :
       {std::string(""), std::string("not a signature"), std::string(127, 'a'),
        std::string(130, 'f'), std::string(190, 'A'), std::string("0x") + std::string(126, 'g')}) {
    auto verified = VerifyTonProof("challenge", garbage, kWallet, key_of);
    ASSERT_FALSE(verified.ok()) << garbage;
    EXPECT_EQ(verified.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(lookups, 0);
  EXPECT_FALSE(CheckTonSignatureFormat("zz").ok());
  EXPECT_TRUE(CheckTonSignatureFormat(std::string(128, 'b')).ok());

  // Well formed: looked up once, then refused as a wrong signature.
  auto wrong = VerifyTonProof("challenge", std::string(128, 'b'), kWallet, key_of);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(lookups, 1);
}

TEST(TonProof, LookupFailuresSayWhatToDo) {
  auto down = [](const std::string&) -> Result<std::string> {
    return MakeError(ErrorCode::kUnavailable, "node down");
  };
  auto verified = VerifyTonProof("m", std::string(128, 'b'), kWallet, down);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.error().code, ErrorCode::kUnavailable);
  auto undeployed = [](const std::string&) -> Result<std::string> {
    return MakeError(ErrorCode::kFailedPrecondition, "exit code -13");
  };
  verified = VerifyTonProof("m", std::string(128, 'b'), kWallet, undeployed);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(verified.error().message.find("has no public key on chain"), std::string::npos);
}

TEST(WalletKeyDirectory, FoundKeysAreKeptAndFailuresForAWhile) {
  FakeKeySource fake;
  FakeClock clock;
  WalletKeyDirectoryOptions options;
  WalletKeyDirectory directory(fake.Source(), options, clock.Clock());

  for (int i = 0; i < 5; ++i) EXPECT_EQ(*directory.PublicKey("ton", kWallet), kKey);
  EXPECT_EQ(fake.calls, 1);

  // Not deployed: asked once per failure_ttl, however often a proof is posted.
  const std::string undeployed = "0:" + std::string(64, '2');
  for (int i = 0; i < 50; ++i) {
    auto key = directory.PublicKey("ton", undeployed);
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.error().code, ErrorCode::kFailedPrecondition);
  }
  EXPECT_EQ(fake.calls, 2);
  fake.known.insert(undeployed);
  clock.now += options.failure_ttl - 1s;
  EXPECT_FALSE(directory.PublicKey("ton", undeployed).ok());
  EXPECT_EQ(fake.calls, 2);
  clock.now += 2s;  // the failure is forgotten: the wallet was deployed since
  EXPECT_EQ(*directory.PublicKey("ton", undeployed), kKey);
  EXPECT_EQ(fake.calls, 3);

  // A node failure is remembered for less.
  const std::string third = "0:" + std::string(64, '3');
  fake.known.insert(third);
  fake.down = true;
  EXPECT_EQ(directory.PublicKey("ton", third).error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(directory.PublicKey("ton", third).error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(fake.calls, 4);
  fake.down = false;
  clock.now += options.unavailable_ttl + 1s;
  EXPECT_EQ(*directory.PublicKey("ton", third), kKey);
  EXPECT_EQ(fake.calls, 5);
  // A found key is kept for found_ttl (an hour: a custom wallet can rotate its key), then asked
  // again.
  const std::string rotating = "0:" + std::string(64, '4');
  fake.known.insert(rotating);
  EXPECT_EQ(*directory.PublicKey("ton", rotating), kKey);
  EXPECT_EQ(fake.calls, 6);
  clock.now += options.found_ttl - 1s;
  EXPECT_EQ(*directory.PublicKey("ton", rotating), kKey);
  EXPECT_EQ(fake.calls, 6);
  clock.now += 2s;
  fake.known.erase(rotating);  // the wallet's key changed (here: gone)
  EXPECT_EQ(directory.PublicKey("ton", rotating).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(fake.calls, 7);
}

TEST(WalletKeyDirectory, TheCacheIsBounded) {
  FakeKeySource fake;
  WalletKeyDirectoryOptions options;
  options.max_cached = 3;
  WalletKeyDirectory directory(fake.Source(), options);
  for (int i = 0; i < 100; ++i) (void)directory.PublicKey("ton", "0:" + std::to_string(i));
  EXPECT_EQ(directory.CachedCount(), 3u);
  EXPECT_EQ(fake.calls, 100);
  // The most recently used stay; the oldest went.
  (void)directory.PublicKey("ton", "0:99");
  EXPECT_EQ(fake.calls, 100);
  (void)directory.PublicKey("ton", "0:0");
  EXPECT_EQ(fake.calls, 101);
}

// A lookup that hangs on the chain: others' lookups do not wait for it, and requests for the
// same address share the one call.
TEST(WalletKeyDirectory, NoLockIsHeldDuringALookup) {
  std::mutex mutex;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> slow_calls{0}, calls{0};
  const std::string slow = "0:slow";
  WalletKeyDirectoryOptions options;
  options.max_in_flight = 3;  // the slow lookup, its waiter, the other address
  WalletKeyDirectory directory(
      [&](const std::string&, const std::string& address) -> Result<std::string> {
        ++calls;
        if (address == slow) {
          ++slow_calls;
          std::unique_lock lock(mutex);
          cv.wait(lock, [&] { return release; });
        }
        return kKey;
      },
      options);
  auto first = std::async(std::launch::async, [&] { return directory.PublicKey("ton", slow); });
  while (slow_calls == 0) std::this_thread::sleep_for(1ms);
  auto second = std::async(std::launch::async, [&] { return directory.PublicKey("ton", slow); });

  // Another address answers at once while the slow lookup is stuck.
  auto other = std::async(std::launch::async, [&] { return directory.PublicKey("ton", kWallet); });
  ASSERT_EQ(other.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(*other.get(), kKey);
  EXPECT_EQ(second.wait_for(50ms), std::future_status::timeout);  // waits for the first's call

  {
    std::lock_guard lock(mutex);
    release = true;
  }
  cv.notify_all();
  EXPECT_EQ(*first.get(), kKey);
  EXPECT_EQ(*second.get(), kKey);
  EXPECT_EQ(slow_calls, 1);
  EXPECT_EQ(calls, 2);
}

TEST(WalletKeyDirectory, TooManyLookupsAtOnceAreRefusedNotQueued) {
  std::mutex mutex;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> started{0};
  WalletKeyDirectoryOptions options;
  options.max_in_flight = 2;
  WalletKeyDirectory directory(
      [&](const std::string&, const std::string&) -> Result<std::string> {
        ++started;
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return release; });
        return kKey;
      },
      options);
  auto a = std::async(std::launch::async, [&] { return directory.PublicKey("ton", "0:a"); });
  auto b = std::async(std::launch::async, [&] { return directory.PublicKey("ton", "0:b"); });
  while (started < 2) std::this_thread::sleep_for(1ms);
  auto refused = directory.PublicKey("ton", "0:c");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  {
    std::lock_guard lock(mutex);
    release = true;
  }
  cv.notify_all();
  EXPECT_TRUE(a.get().ok());
  EXPECT_TRUE(b.get().ok());
  EXPECT_TRUE(directory.PublicKey("ton", "0:c").ok());
}

// Requests waiting for another's lookup of the same address hold a worker too: they count
// against max_in_flight with the lookups, and they wait wait_timeout at most.
TEST(WalletKeyDirectory, WaitersCountAgainstTheBudgetAndGiveUp) {
  std::mutex mutex;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> started{0};
  WalletKeyDirectoryOptions options;
  options.max_in_flight = 3;
  options.wait_timeout = 10s;
  WalletKeyDirectory directory(
      [&](const std::string&, const std::string&) -> Result<std::string> {
        ++started;
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return release; });
        return kKey;
      },
      options);
  const std::string hot = "0:hot";
  auto lookup = std::async(std::launch::async, [&] { return directory.PublicKey("ton", hot); });
  while (started < 1) std::this_thread::sleep_for(1ms);
  std::vector<std::future<Result<std::string>>> waiters;
  for (int i = 0; i < 2; ++i)
    waiters.push_back(
        std::async(std::launch::async, [&] { return directory.PublicKey("ton", hot); }));
  // The lookup and two waiters fill the budget: the next ones on that address, and on any other,
  // are refused at once.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (directory.BusyCount() < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  ASSERT_EQ(directory.BusyCount(), 3u);
  auto refused = directory.PublicKey("ton", hot);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(directory.PublicKey("ton", "0:other").error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(started, 1);
  {
    std::lock_guard lock(mutex);
    release = true;
  }
  cv.notify_all();
  EXPECT_EQ(*lookup.get(), kKey);
  for (auto& w : waiters) EXPECT_EQ(*w.get(), kKey);
  EXPECT_EQ(directory.BusyCount(), 0u);

  // A waiter gives up after wait_timeout (kUnavailable); the lookup it waited for still answers.
  WalletKeyDirectoryOptions short_wait;
  short_wait.max_in_flight = 3;
  short_wait.wait_timeout = 50ms;
  std::atomic<bool> hang{true};
  WalletKeyDirectory slow_directory(
      [&](const std::string&, const std::string&) -> Result<std::string> {
        while (hang) std::this_thread::sleep_for(1ms);
        return kKey;
      },
      short_wait);
  auto slow = std::async(std::launch::async, [&] { return slow_directory.PublicKey("ton", hot); });
  while (slow_directory.BusyCount() < 1) std::this_thread::sleep_for(1ms);
  auto gave_up = slow_directory.PublicKey("ton", hot);
  ASSERT_FALSE(gave_up.ok());
  EXPECT_EQ(gave_up.error().code, ErrorCode::kUnavailable);
  hang = false;
  EXPECT_EQ(*slow.get(), kKey);
}

// A source that throws anything (not only a std::exception) answers kUnavailable, wakes the
// waiters and leaves nothing behind: later lookups of that address run.
TEST(WalletKeyDirectory, ASourceThatThrowsAnythingWedgesNothing) {
  std::atomic<int> calls{0};
  std::atomic<bool> entered{false}, go{false};
  FakeClock clock;
  WalletKeyDirectoryOptions options;
  options.max_in_flight = 2;
  WalletKeyDirectory directory(
      [&](const std::string&, const std::string&) -> Result<std::string> {
        if (++calls == 1) {
          entered = true;
          while (!go) std::this_thread::sleep_for(1ms);
          throw 42;  // not a std::exception
        }
        return kKey;
      },
      options, clock.Clock());
  auto thrower =
      std::async(std::launch::async, [&] { return directory.PublicKey("ton", kWallet); });
  while (!entered) std::this_thread::sleep_for(1ms);
  auto waiter = std::async(std::launch::async, [&] { return directory.PublicKey("ton", kWallet); });
  while (directory.BusyCount() < 2) std::this_thread::sleep_for(1ms);
  go = true;
  auto thrown = thrower.get();
  ASSERT_FALSE(thrown.ok());
  EXPECT_EQ(thrown.error().code, ErrorCode::kUnavailable);
  ASSERT_EQ(waiter.wait_for(5s), std::future_status::ready);
  EXPECT_FALSE(waiter.get().ok());
  // Remembered as a transient failure, then asked again; the budget is whole.
  clock.now += options.unavailable_ttl + 1s;
  EXPECT_EQ(*directory.PublicKey("ton", kWallet), kKey);
  EXPECT_EQ(*directory.PublicKey("ton", "0:another"), kKey);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(directory.BusyCount(), 0u);
}

}  // namespace
}  // namespace instamarket
