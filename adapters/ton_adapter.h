#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "adapters/chain_adapter.h"
#include "adapters/position_cursor.h"

namespace instamarket {

// TON jettons (USDT): toncenter API v3 GET /api/v3/jetton/transfers with owner_address (our
// master wallet), jetton_master, direction=in, start_lt, sort=asc, limit and offset; X-API-Key
// when set. toncenter indexes masterchain-committed blocks, which are final.
//
// A deposit is one transfer into our jetton wallet: tx_id = the transaction hash (base64, as
// served), event_index = 0, block_number = the transaction's logical time (lt), memo = the
// transfer's text comment. The cursor is that lt (asked for again, from a window below it) plus
// the hashes taken in that window (PositionCursor): transfers of equal lt, which the index lists
// in no particular order, are told apart by hash, so a page boundary, a poll boundary or a
// restart between two of them neither skips nor repeats one; each batch is ordered by
// (lt, hash). A transfer counts only when its sending jetton wallet is the one the jetton
// master's get_wallet_address derives for its sender (cached per sender).
//
// WalletPublicKey(address) runs the wallet's get_public_key get-method through
// POST /api/v3/runGetMethod (see ParseTonPublicKey).
Result<std::unique_ptr<ChainAdapter>> MakeTonAdapter(const NetworkConfig& network);

// One page of jetton_transfers, every record in order; a record has a transfer only when it is
// a transfer of `network`'s jetton master to its address with an amount above zero, in a
// transaction that was not aborted (addresses compared in raw form). kUnavailable when the page
// is not a toncenter answer.
Result<std::vector<FeedRecord>> ParseTonTransfers(const nlohmann::json& body,
                                                  const NetworkConfig& network);

// A wallet's public key from toncenter's POST /api/v3/runGetMethod answer to get_public_key
// ({"exit_code": 0, "stack": [{"type": "num", "value": "0x…"}], …}): 64 lowercase hex digits,
// left-padded. kFailedPrecondition when the get-method failed (exit code other than 0 or 1:
// the wallet is not deployed, or its contract has no get_public_key); kUnavailable when the
// answer is not such a reply (no exit code, no number on the stack, more than 256 bits).
Result<std::string> ParseTonPublicKey(const nlohmann::json& body);

}  // namespace instamarket
