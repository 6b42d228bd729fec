#pragma once

// Internal to adapters/: the few words every EVM read shares (evm_adapter.cpp, the range reads
// of evm_range_reads.cpp).

#include <charconv>
#include <cstdint>
#include <string>

#include "core/result.h"

namespace instamarket::evm {

// keccak256("Transfer(address,address,uint256)"), the ERC-20 Transfer event's topic 0.
inline constexpr char kTransferTopic[] =
    "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";

// A node's answer that is not what the protocol says: unavailable, so the next endpoint is
// asked and nothing moves.
inline Error Garbage(const std::string& what) {
  return MakeError(ErrorCode::kUnavailable, "unexpected RPC reply: " + what);
}

// A JSON-RPC quantity: "0x1b4".
inline std::string Hex(std::int64_t n) {
  char buf[20];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n, 16);
  (void)ec;
  return "0x" + std::string(buf, end);
}

}  // namespace instamarket::evm
