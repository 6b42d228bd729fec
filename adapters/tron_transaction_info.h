#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

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
  bool success = false;  // receipt.result == "SUCCESS"
  std::string result;    // the receipt's result as served ("SUCCESS", "REVERT", ...)
  std::vector<TronTransferLog> transfers;
};

// java-tron's POST /walletsolidity/gettransactioninfobyid answer for `tx_id`, keeping the
// Transfer(address,address,uint256) events of the contract `token` (T...). A failed transaction
// (receipt.result REVERT, OUT_OF_ENERGY, ...) is success = false with no transfers.
// kUnavailable (ask again, or another node) when the node does not know the transaction yet
// (`{}`: not solidified on that node), or the answer is not about `tx_id`, or is malformed: no
// receipt result, a log without address, topics or data, an amount wider than 256 bits.
Result<TronTransactionInfo> ParseTronTransactionInfo(const nlohmann::json& body,
                                                     const std::string& tx_id,
                                                     const std::string& token);

// A Tron transaction id as the ledger keys it: exactly 64 hex digits, lowercased (the ledger's
// unique key is case-sensitive: "ABC…" and "abc…" must not be two deposits). Empty for anything
// else (a listing's id may hold anything, even the cursor state's separators).
std::string TronTxId(const std::string& text);

// The 20-byte account of a T... address as 40 lowercase hex digits (as logs write addresses),
// and back. Empty / nullopt-like empty string for what is not a Tron address.
std::string TronAddressHex(const std::string& address);
std::string TronAddressFromHex(const std::string& hex40);

}  // namespace instamarket
