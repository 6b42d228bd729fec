#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "adapters/chain_adapter.h"

namespace instamarket {

// Solana SPL USDT: getSignaturesForAddress on our USDT token account (configured as
// `token_account`, or the associated token account of `address` for the mint `token`) with
// commitment finalized, paged with before/until; then getTransaction per signature with
// encoding jsonParsed and maxSupportedTransactionVersion 0.
//
// A deposit is one transaction's increase of our token account's balance of the USDT mint
// (post minus pre token balance, so transfer and transferChecked, top-level or inner, all
// count): tx_id = the signature, event_index = 0, block_number = the slot, memo = an spl-memo
// in it; from = the wallet that owns the transfer's source token account (as the token balances
// name it; a delegate's or a program's signature does not make it the sender). Failed
// transactions (err not null) and other mints are never credited. The cursor is
// the slot and signature of the newest transaction taken; `start` may be a slot or a signature.
Result<std::unique_ptr<ChainAdapter>> MakeSolanaAdapter(const NetworkConfig& network);

// The transfer a getTransaction result (jsonParsed) makes to `token_account` of `network`'s
// mint, or nullopt when it makes none (failed, another mint, no increase). kUnavailable when the
// result is not a transaction.
Result<std::optional<Transfer>> ParseSolanaTransaction(const nlohmann::json& result,
                                                       const std::string& signature,
                                                       const std::string& token_account,
                                                       const NetworkConfig& network);

}  // namespace instamarket
