#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "adapters/chain_adapter.h"

namespace instamarket {

// Solana SPL USDT: getSignaturesForAddress on each token account the master (`address`) holds
// for the mint (getTokenAccountsByOwner; the primary one is `token_account`, or the associated
// token account of `address` for the mint `token`) with commitment finalized, paged with
// before/until; then getTransaction per signature with encoding jsonParsed and
// maxSupportedTransactionVersion 0. Nodes are hostile: a short listing is proven to reach the
// cursor, a configured token_account must be the master's, and any answer that cannot be proven
// or read is refused (the next endpoint is asked, the cursor stays); see docs/adding-a-chain.md.
//
// A deposit is one transaction's increase of one of our token accounts' balance of the USDT
// mint (SolanaCreditedAmount: a missing token balance is unknown, never zero): tx_id = the
// signature, event_index = 0 for the primary account (another account: 1 + a hash of its
// address), block_number = the slot, memo = an spl-memo in it; from = the wallet that owns the
// transfer's source token account (as the token balances name it; a delegate's or a program's
// signature does not make it the sender). Failed transactions (err not null), other mints and
// accounts another owner holds are never credited. The cursor (adapters/solana_cursor.h) keeps
// the slot and signature of the newest transaction taken per account; `start` may be a slot or
// a signature.
Result<std::unique_ptr<ChainAdapter>> MakeSolanaAdapter(const NetworkConfig& network);

// The transfer a getTransaction result (jsonParsed) makes to `token_account` of `network`'s
// mint, or nullopt when it makes none (failed, another mint, no increase, the account's post
// balance names another owner than `network.address`). kUnavailable when the result is not a
// transaction or does not tell the amount.
Result<std::optional<Transfer>> ParseSolanaTransaction(const nlohmann::json& result,
                                                       const std::string& signature,
                                                       const std::string& token_account,
                                                       const NetworkConfig& network);

}  // namespace instamarket
