#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "adapters/chain_adapter.h"

namespace instamarket {

// EVM chains (BEP-20, Polygon, Arbitrum, any other): ERC-20 Transfer logs of the network's
// token contract whose `to` topic is our address, read with eth_getLogs over bounded block
// ranges that shrink when a node answers "range too large" and grow back after successes. Each
// getLogs answer comes in one batch with the blocks at both ends of its range, so a node
// behind or pruned cannot pass off [] for blocks it lacks. The chain id and the token's
// decimals() are checked against the config before the first scan. Finality is a depth
// (`confirmations`) or a block tag (`finality: finalized | safe`).
Result<std::unique_ptr<ChainAdapter>> MakeEvmAdapter(const NetworkConfig& network);

// A JSON-RPC quantity ("0x1b4") that fits in int64. kUnavailable otherwise, naming `what`.
Result<std::int64_t> ParseEvmQuantity(const nlohmann::json& value, const char* what);

// One eth_getLogs entry asked for blocks [from, to]: the Transfer it makes of `network`'s token
// to its address (a mint from the zero address included; with kOutgoing, from its address), or
// nullopt when it is none of ours (removed, another token, event or receiver, a zero value).
// block_time is left for the caller (it needs the block). kUnavailable when the log is malformed
// (any field missing or of the wrong type) or outside the range.
Result<std::optional<Transfer>> ParseEvmTransferLog(
    const nlohmann::json& log, const NetworkConfig& network, std::int64_t from, std::int64_t to,
    TransferDirection direction = TransferDirection::kIncoming);

// The answer of eth_call decimals() on a token: its decimals as a decimal string. kUnavailable
// when it is not one 32-byte word (no contract there on that node, garbage).
Result<std::string> ParseEvmDecimalsReply(const nlohmann::json& reply);

}  // namespace instamarket
