#pragma once

#include <memory>

#include "adapters/chain_adapter.h"

namespace instamarket {

// EVM chains (BEP-20, Polygon, Arbitrum, any other): ERC-20 Transfer logs of the network's
// token contract whose `to` topic is our address, read with eth_getLogs over bounded block
// ranges that shrink when a node answers "range too large" and grow back after successes.
// Finality is a depth (`confirmations`) or a block tag (`finality: finalized | safe`).
Result<std::unique_ptr<ChainAdapter>> MakeEvmAdapter(const NetworkConfig& network);

}  // namespace instamarket
