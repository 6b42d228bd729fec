#pragma once

#include <cstdint>
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

struct ChainBatch {
  std::vector<Transfer> final_transfers;  // between the cursor and `next`, all final
  ChainCursor next;
  std::int64_t head = 0;
  std::int64_t final_height = 0;
  bool reached_final_head = false;    // nothing final is left to scan right now
  std::vector<Transfer> unconfirmed;  // seen above the final height (when at the final head)
};

}  // namespace instamarket
