#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "adapters/chain_adapter.h"

namespace instamarket {

// Where a wallet's public key comes from (a chain RPC): blocking; kUnavailable for a failure
// worth retrying, any other error for a definite "no key". May be called from several threads
// at once, for different addresses.
using WalletKeySource =
    std::function<Result<std::string>(const std::string& network, const std::string& address)>;

struct WalletKeyDirectoryOptions {
  // Answers kept at most (found keys and failures together); the least recently used goes.
  std::size_t max_cached = 10'000;
  // How long a found key is answered from the cache: an hour, since a custom wallet contract
  // can rotate its key.
  std::chrono::seconds found_ttl{3600};
  // How long a failure is answered from the cache, so that a client repeating a proof cannot
  // make one RPC per request: a definite one (no key on chain) and a transient one (the node
  // failed; shorter, so a node's hiccup is not remembered long).
  std::chrono::seconds failure_ttl{60};
  std::chrono::seconds unavailable_ttl{10};
  // Requests inside PublicKey at once that are not answered from the cache: lookups running
  // and requests waiting for another's lookup of the same address, counted together (each
  // holds a worker of the blocking pool). More are refused with kUnavailable rather than
  // queued. The daemon passes max(1, database pool size / 4).
  std::size_t max_in_flight = 2;
  // How long a request waits for another's lookup of the same address before kUnavailable (the
  // daemon passes the longest RPC timeout of its networks plus a second).
  std::chrono::milliseconds wait_timeout{11'000};
};

// Answers "what is this wallet's public key" for claims (TON: the get_public_key get-method)
// through adapters of the network's own, apart from the watcher's. Found keys are kept for
// `found_ttl` and failures for less; at most `max_cached` answers.
//
// Thread-safe; blocking. No lock is held while the source runs: lookups of different
// addresses run side by side, and concurrent lookups of one address share one call.
class WalletKeyDirectory {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // Keys from `adapters`' WalletPublicKey for the networks of `config` (both must outlive
  // this). kNotFound for a network not configured.
  WalletKeyDirectory(const Config& config, const AdapterRegistry& adapters,
                     WalletKeyDirectoryOptions options = {});
  // Keys from `source` (tests: a fake); `clock` defaults to steady_clock::now.
  explicit WalletKeyDirectory(WalletKeySource source, WalletKeyDirectoryOptions options = {},
                              Clock clock = {});
  ~WalletKeyDirectory();

  WalletKeyDirectory(const WalletKeyDirectory&) = delete;
  WalletKeyDirectory& operator=(const WalletKeyDirectory&) = delete;

  // The key (64 hex digits, as the source gives it), or the source's error (cached as said
  // above); kUnavailable when too many requests are in flight (max_in_flight), when the wait
  // for another's lookup of the same address took longer than wait_timeout, or when the source
  // threw (any exception; cached as a transient failure).
  Result<std::string> PublicKey(const std::string& network, const std::string& address);

  // Answers held now (tests).
  std::size_t CachedCount() const;
  // Requests counted against max_in_flight now: lookups running and their waiters (tests).
  std::size_t BusyCount() const;

 private:
  using CacheKey = std::pair<std::string, std::string>;  // network, address
  struct Entry {
    Result<std::string> answer;
    std::chrono::steady_clock::time_point expires;
    std::list<CacheKey>::iterator lru;
  };
  struct InFlight;

  void Store(const CacheKey& key, const Result<std::string>& answer,
             std::chrono::steady_clock::time_point now);  // mutex_ held

  WalletKeySource source_;
  WalletKeyDirectoryOptions options_;
  Clock clock_;
  mutable std::mutex mutex_;  // guards the members below; never held during a source call
  std::map<CacheKey, Entry> cached_;
  std::list<CacheKey> lru_;  // most recently used first
  std::map<CacheKey, std::shared_ptr<InFlight>> in_flight_;
  std::size_t busy_ = 0;  // requests counted against max_in_flight: lookups and their waiters

  // The adapter-backed source's idle adapters per network (an adapter serves one call at a
  // time; a busy one is not shared, another is made).
  struct AdapterPool;
  std::shared_ptr<AdapterPool> pool_;
};

}  // namespace instamarket
