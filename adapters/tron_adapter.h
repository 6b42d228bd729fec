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
// The listing only names transfers; a full node confirms each one before it is credited:
// POST /walletsolidity/gettransactioninfobyid on `node_rpc` (else the `rpc` endpoints, which
// TronGrid serves too: a warning at start says that is no independent check), cached per
// transaction. A transaction whose receipt is not SUCCESS is
// never credited, and a listed transfer counts only as the Transfer logs of our token to us with
// its sender and value that the receipt holds (ParseTronTransactionInfo).
//
// The listing has no block number or log index, so:
// - a listing record's cursor key is transaction_id:SHA-256("from|to|value") (first 6 bytes as a
//   number): stable however often or in whatever order a record is listed (TronGrid lists a
//   transfer twice, unconfirmed then confirmed);
// - a deposit's key is (the receipt's id, lowercased, the Transfer log's position in the
//   receipt): two equal transfers in one transaction are two deposits;
// - a deposit's block_number is its receipt's blockTimeStamp in ms (the listing's must equal it);
// - the cursor is that timestamp plus the listing keys taken in the trailing window
//   (PositionCursor): a record listed late, up to the window below the newest, is still taken.
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

// Whether a stored cursor holds the whole late-listing window's keys (its "~window180" entry,
// written since the window grew from 60 s); if not, nothing more than 60 s below its position
// counts on the first poll.
bool TronCursorHoldsWholeWindow(const ChainCursor& cursor);

}  // namespace instamarket
