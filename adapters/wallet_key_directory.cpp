#include "adapters/wallet_key_directory.h"

#include <condition_variable>
#include <exception>
#include <vector>

namespace instamarket {

struct WalletKeyDirectory::InFlight {
  bool done = false;
  Result<std::string> answer = MakeError(ErrorCode::kInternal, "not answered");
  std::condition_variable cv;
};

struct WalletKeyDirectory::AdapterPool {
  AdapterPool(const Config& c, const AdapterRegistry& a) : config(c), adapters(a) {}

  const Config& config;
  const AdapterRegistry& adapters;
  std::mutex mutex;
  std::map<std::string, std::vector<std::unique_ptr<ChainAdapter>>> idle;

  Result<std::string> Lookup(const std::string& network, const std::string& address) {
    const NetworkConfig* n = config.FindNetwork(network);
    if (!n) return MakeError(ErrorCode::kNotFound, "no network " + network);
    std::unique_ptr<ChainAdapter> adapter;
    {
      std::lock_guard lock(mutex);
      auto& free = idle[network];
      if (!free.empty()) {
        adapter = std::move(free.back());
        free.pop_back();
      }
    }
    if (!adapter) {
      auto made = adapters.Create(*n);
      if (!made) return made.error();
      adapter = std::move(*made);
    }
    auto key = adapter->WalletPublicKey(address);
    std::lock_guard lock(mutex);
    idle[network].push_back(std::move(adapter));
    return key;
  }
};

WalletKeyDirectory::WalletKeyDirectory(const Config& config, const AdapterRegistry& adapters,
                                       WalletKeyDirectoryOptions options)
    : options_(options),
      clock_([] { return std::chrono::steady_clock::now(); }),
      pool_(std::make_shared<AdapterPool>(config, adapters)) {
  source_ = [pool = pool_](const std::string& network, const std::string& address) {
    return pool->Lookup(network, address);
  };
}

WalletKeyDirectory::WalletKeyDirectory(WalletKeySource source, WalletKeyDirectoryOptions options,
                                       Clock clock)
    : source_(std::move(source)), options_(options), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
}

WalletKeyDirectory::~WalletKeyDirectory() = default;

std::size_t WalletKeyDirectory::CachedCount() const {
  std::lock_guard lock(mutex_);
  return cached_.size();
}

std::size_t WalletKeyDirectory::BusyCount() const {
  std::lock_guard lock(mutex_);
  return busy_;
}

void WalletKeyDirectory::Store(const CacheKey& key, const Result<std::string>& answer,
                               std::chrono::steady_clock::time_point now) {
  if (options_.max_cached == 0) return;
  auto expires = now + options_.found_ttl;
  if (!answer) {
    expires = now + (answer.error().code == ErrorCode::kUnavailable ? options_.unavailable_ttl
                                                                    : options_.failure_ttl);
  }
  if (auto old = cached_.find(key); old != cached_.end()) {
    lru_.erase(old->second.lru);
    cached_.erase(old);
  }
  while (cached_.size() >= options_.max_cached && !lru_.empty()) {
    cached_.erase(lru_.back());
    lru_.pop_back();
  }
  lru_.push_front(key);
  cached_.emplace(key, Entry{answer, expires, lru_.begin()});
}

namespace {

Result<std::string> TooBusy() {
  return MakeError(ErrorCode::kUnavailable,
                   "too many public key lookups are running; retry shortly");
}

}  // namespace

Result<std::string> WalletKeyDirectory::PublicKey(const std::string& network,
                                                  const std::string& address) {
  CacheKey key{network, address};
  std::shared_ptr<InFlight> flight;
  {
    std::unique_lock lock(mutex_);
    auto now = clock_();
    if (auto hit = cached_.find(key); hit != cached_.end()) {
      if (now < hit->second.expires) {
        lru_.splice(lru_.begin(), lru_, hit->second.lru);
        return hit->second.answer;
      }
      lru_.erase(hit->second.lru);
      cached_.erase(hit);
    }
    // Lookups and waiters alike hold a blocking worker: one budget for both.
    if (busy_ >= options_.max_in_flight) return TooBusy();
    if (auto running = in_flight_.find(key); running != in_flight_.end()) {
      // Another request is asking the chain for this address: wait for its answer, not forever.
      std::shared_ptr<InFlight> shared = running->second;
      ++busy_;
      bool done = shared->cv.wait_for(lock, options_.wait_timeout, [&] { return shared->done; });
      --busy_;
      if (!done) {
        return MakeError(ErrorCode::kUnavailable,
                         "the public key lookup for this address is taking long; retry shortly");
      }
      return shared->answer;
    }
    flight = std::make_shared<InFlight>();
    in_flight_.emplace(key, flight);
    ++busy_;
  }

  // However this lookup ends (an answer, an exception, even from Store), the in-flight entry
  // goes and its waiters are woken with what is known (kUnavailable unless answered).
  struct Finish {
    WalletKeyDirectory& self;
    const CacheKey& key;
    InFlight& flight;
    ~Finish() {
      std::lock_guard lock(self.mutex_);
      flight.done = true;
      self.in_flight_.erase(key);
      --self.busy_;
      flight.cv.notify_all();
    }
  } finish{*this, key, *flight};
  flight->answer = MakeError(ErrorCode::kUnavailable, "public key lookup failed");
  Result<std::string> answer = MakeError(ErrorCode::kInternal, "not answered");
  try {
    answer = source_(network, address);
  } catch (const std::exception& e) {
    answer =
        MakeError(ErrorCode::kUnavailable, std::string("public key lookup failed: ") + e.what());
  } catch (...) {
    answer = MakeError(ErrorCode::kUnavailable, "public key lookup failed: unknown exception");
  }
  std::lock_guard lock(mutex_);
  Store(key, answer, clock_());
  flight->answer = answer;
  return answer;
}

}  // namespace instamarket
