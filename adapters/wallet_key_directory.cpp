#include "adapters/wallet_key_directory.h"

namespace instamarket {

WalletKeyDirectory::WalletKeyDirectory(const Config& config, const AdapterRegistry& adapters)
    : config_(config), adapters_(adapters) {}

Result<std::string> WalletKeyDirectory::PublicKey(const std::string& network,
                                                  const std::string& address) {
  const NetworkConfig* n = config_.FindNetwork(network);
  if (!n) return MakeError(ErrorCode::kNotFound, "no network " + network);
  std::lock_guard lock(mutex_);
  if (auto hit = cached_.find({network, address}); hit != cached_.end()) return hit->second;
  auto& adapter = by_network_[network];
  if (!adapter) {
    auto made = adapters_.Create(*n);
    if (!made) return made.error();
    adapter = std::move(*made);
  }
  auto key = adapter->WalletPublicKey(address);
  if (key && cached_.size() < kMaxCached) cached_[{network, address}] = *key;
  return key;
}

}  // namespace instamarket
