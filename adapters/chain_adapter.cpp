#include "adapters/chain_adapter.h"

#include "adapters/evm_adapter.h"
#include "adapters/solana_adapter.h"
#include "adapters/ton_adapter.h"
#include "adapters/tron_adapter.h"

namespace instamarket {

void AdapterRegistry::Register(const std::string& kind, AdapterFactory factory) {
  factories_[kind] = std::move(factory);
}

Result<std::unique_ptr<ChainAdapter>> AdapterRegistry::Create(const NetworkConfig& network) const {
  auto it = factories_.find(network.kind);
  if (it == factories_.end()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "network " + network.id + ": no adapter for kind \"" + network.kind + "\"");
  }
  return it->second(network);
}

void RegisterBuiltinAdapters(AdapterRegistry& registry) {
  registry.Register("evm", MakeEvmAdapter);
  registry.Register("tron", MakeTronAdapter);
  registry.Register("ton", MakeTonAdapter);
  registry.Register("solana", MakeSolanaAdapter);
}

}  // namespace instamarket
