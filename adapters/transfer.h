#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/chain_amount.h"
#include "core/chain_cursor.h"
#include "core/result.h"

namespace instamarket {

// One incoming token transfer to our wallet, as a chain states it. Keyed by
// (network, tx_id, event_index); the amount is kept in base units with the token's decimals.
struct Transfer {
  std::string tx_id;
  std::int64_t event_index = 0;  // the log index (EVM); see each adapter for the others
  std::string from;
  std::string to;
  ChainAmount amount;
  std::int64_t block_number = 0;  // the chain's position of the transfer (as ChainCursor)
  std::string block_hash;         // empty where only final transfers are reported
  std::int64_t block_time = 0;    // unix seconds
  std::string memo;               // a comment sent with the transfer (TON), for finance
};

// The chain replaced blocks already scanned as final (a reorg deeper than the configured
// finality; EVM only): the batch's `next` goes back to the block above `ancestor_height`.
struct ChainReorg {
  std::int64_t replaced_height = 0;
  std::string kept_hash;  // what had been scanned there
  std::string node_hash;  // what the node has there now
  std::int64_t ancestor_height = 0;
  std::string ancestor_hash;  // empty when no kept block was still there (ancestor_found false)
  bool ancestor_found = true;
};

// A block as a node states it: its hash and time, for checking a transfer read elsewhere.
struct BlockStamp {
  std::string hash;       // lowercase
  std::int64_t time = 0;  // unix seconds
};

struct ChainBatch {
  std::vector<Transfer> final_transfers;  // between the cursor and `next`, all final
  ChainCursor next;
  std::int64_t head = 0;
  std::int64_t final_height = 0;
  bool reached_final_head = false;    // nothing final is left to scan right now
  std::vector<Transfer> unconfirmed;  // seen above the final height (when at the final head)
  std::optional<ChainReorg> deep_reorg;  // set on the batch that moves the cursor back
  // Positions below this were scanned as final before (a re-scan after a deep reorg): a deposit
  // recorded there that final_transfers no longer holds has vanished. 0 when not re-scanning.
  std::int64_t rescanning_below = 0;
};

}  // namespace instamarket
