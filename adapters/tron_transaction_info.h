#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "adapters/transfer.h"
#include "core/result.h"

namespace instamarket {

// A TRC-20 Transfer event as a full node's receipt states it.
struct TronTransferLog {
  std::int64_t log_index = 0;  // the event's position in the transaction's log list
  std::string from;            // T... addresses
  std::string to;
  std::string raw_amount;      // base units, decimal
};

// What a full node says about one transaction: whether it succeeded, and the Transfer events
// of one token it emitted.
struct TronTransactionInfo {
  std::string id;                 // the receipt's own id: 64 hex digits, lowercased
  std::int64_t block_time_ms = 0;  // blockTimeStamp: the block's timestamp, ms
  bool success = false;  // receipt.result == "SUCCESS"
  std::string result;    // the receipt's result as served ("SUCCESS", "REVERT", ...)
  std::vector<TronTransferLog> transfers;
};

// java-tron's POST /walletsolidity/gettransactioninfobyid answer for `tx_id`, keeping the
// Transfer(address,address,uint256) events of the contract `token` (T...). A failed transaction
// (receipt.result REVERT, OUT_OF_ENERGY, ...) is success = false with no transfers.
// kUnavailable (ask again, or another node) when the node does not know the transaction yet
// (`{}`: not solidified on that node), or the answer is not about `tx_id`, or is malformed: no
// receipt result, no blockTimeStamp, an id that is not 64 hex digits, a log without address,
// topics or data, an amount wider than 256 bits, more than kMaxTronReceiptLogs logs.
// With `receiver` (T...), only the Transfer events to it are kept: a receipt of a transaction
// with many transfers to others (or a hostile one) costs the cache nothing.
constexpr std::size_t kMaxTronReceiptLogs = 10'000;
Result<TronTransactionInfo> ParseTronTransactionInfo(const nlohmann::json& body,
                                                     const std::string& tx_id,
                                                     const std::string& token,
                                                     const std::string& receiver = "");

// The deposits that the receipt `info` confirms of the transfers a listing named in its
// transaction (`listed`, all of that transaction): for each listed (from, value), every Transfer
// log to `address` with it, keyed by the receipt's id and the log's position, at the receipt's
// block time. A listed transfer the receipt does not hold is a lie, dropped (and put in
// `not_in_receipt`). kUnavailable when a listed block timestamp is not the receipt's: the
// listing's timestamp moves the cursor, and a lie there could re-list an old deposit as new.
Result<std::vector<Transfer>> TronDepositsConfirmed(const TronTransactionInfo& info,
                                                    const std::vector<Transfer>& listed,
                                                    const std::string& address,
                                                    std::vector<Transfer>* not_in_receipt);

// A Tron transaction id as the ledger keys it: exactly 64 hex digits, lowercased (the ledger's
// unique key is case-sensitive: "ABC…" and "abc…" must not be two deposits). Empty for anything
// else (a listing's id may hold anything, even the cursor state's separators).
std::string TronTxId(const std::string& text);

// The 20-byte account of a T... address as 40 lowercase hex digits (as logs write addresses),
// and back. Empty / nullopt-like empty string for what is not a Tron address.
std::string TronAddressHex(const std::string& address);
std::string TronAddressFromHex(const std::string& hex40);

}  // namespace instamarket
