#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "adapters/chain_adapter.h"
#include "adapters/json_rpc_client.h"

namespace instamarket {

// What reconciliation and the second look read from an EVM chain over a range of blocks
// (ChainAdapter::WalletBalanceBefore, TransfersBetween, PositionBlock), on the adapter's client.

// The token's balanceOf(network.address) as of block `block` (eth_call at that block; a
// pruned node that no longer has the state fails over or answers kUnavailable). Below block 0,
// before the chain began, the balance is zero.
Result<ChainAmount> EvmTokenBalanceAt(JsonRpcClient& rpc, const NetworkConfig& network,
                                      std::int64_t block);

// Every Transfer log of the token to (kIncoming) or from (kOutgoing) network.address in blocks
// [from, to], asked in ranges of at most network.max_block_range, halved while a node refuses
// one as too large; each range in one batch with its end blocks (and the chain id), so that a
// node which lacks them is refused, not believed. Zero-value transfers are none. block_time is
// left 0.
Result<std::vector<Transfer>> EvmTransfersBetween(JsonRpcClient& rpc, const NetworkConfig& network,
                                                  std::int64_t from, std::int64_t to,
                                                  TransferDirection direction);

// Block `block`'s hash and timestamp (the node must answer that very block).
Result<BlockStamp> EvmBlockAt(JsonRpcClient& rpc, std::int64_t block);

}  // namespace instamarket
