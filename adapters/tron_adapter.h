#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "adapters/chain_adapter.h"
#include "adapters/position_cursor.h"

namespace instamarket {

// Tron TRC-20 (USDT): TronGrid v1 GET /v1/accounts/{address}/transactions/trc20 with
// only_to=true, only_confirmed=true (solidified blocks only), contract_address, min_timestamp,
// order_by=block_timestamp,asc, limit 200 and fingerprint paging; TRON-PRO-API-KEY when set.
//
// The feed has no block number or log index, so:
// - a deposit's key is (transaction_id, event_index) with event_index = the first 6 bytes of
//   SHA-256("from|to|value") as a number: stable however often or in whatever order a record is
//   listed (TronGrid lists a transfer twice, unconfirmed then confirmed). Two transfers in one
//   transaction from the same sender with the same value are therefore one deposit;
// - a deposit's block_number is its block timestamp in ms;
// - the cursor is that timestamp (asked for again, inclusively) plus the keys already taken at
//   it (PositionCursor).
Result<std::unique_ptr<ChainAdapter>> MakeTronAdapter(const NetworkConfig& network);

// One page of the feed, every record in order; a record has a transfer only when it is a
// confirmed incoming transfer of `network`'s token to its address with a value above zero
// (unconfirmed records, other tokens with the same symbol, other types and receivers, and
// zero-value spam have none). kUnavailable when the page is not a TronGrid answer.
struct TronPage {
  std::vector<FeedRecord> records;
  std::string fingerprint;  // empty: no next page
};
Result<TronPage> ParseTronPage(const nlohmann::json& body, const NetworkConfig& network);

}  // namespace instamarket
