#pragma once

#include <cstdint>
#include <string>

namespace instamarket {

// Where a network's scan resumes, in the chain's own terms. `position` is a number that only
// grows: the first block not yet scanned (EVM), a block timestamp in ms (Tron), a logical time
// (TON) or a slot (Solana); metrics show it. `state` is whatever else the adapter needs to resume
// exactly there (ids already seen at that position, a signature), opaque to everyone else.
// Both are stored together and compared together by the ledger's cursor guard.
struct ChainCursor {
  ChainCursor() = default;
  // A bare position: all that block-numbered chains need.
  ChainCursor(std::int64_t position_in, std::string state_in = {})  // NOLINT: implicit on purpose
      : position(position_in), state(std::move(state_in)) {}

  std::int64_t position = 0;
  std::string state;

  friend bool operator==(const ChainCursor&, const ChainCursor&) = default;
};

}  // namespace instamarket
