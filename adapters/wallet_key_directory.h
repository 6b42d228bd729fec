#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "adapters/chain_adapter.h"

namespace instamarket {

// Answers "what is this wallet's public key" for claims (TON: the get_public_key get-method)
// through an adapter of the network's own, apart from the watcher's. Keys found are kept (a
// wallet's key does not change), at most kMaxCached of them. Thread-safe; blocking.
class WalletKeyDirectory {
 public:
  static constexpr std::size_t kMaxCached = 10'000;

  WalletKeyDirectory(const Config& config, const AdapterRegistry& adapters);

  // kNotFound for a network not configured; the adapter's errors otherwise.
  Result<std::string> PublicKey(const std::string& network, const std::string& address);

 private:
  const Config& config_;
  const AdapterRegistry& adapters_;
  std::mutex mutex_;  // one lookup at a time: claims are rare, and adapters are not shared
  std::map<std::string, std::unique_ptr<ChainAdapter>> by_network_;
  std::map<std::pair<std::string, std::string>, std::string> cached_;
};

}  // namespace instamarket
