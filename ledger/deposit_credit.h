#pragma once

// Internal to ledger/: how a deposit becomes a client's balance.

#include <cstdint>
#include <pqxx/pqxx>
#include <string>

#include "core/money.h"
#include "core/result.h"

namespace instamarket {

// The ledger account a network's deposits are drawn from ("deposits:<network>").
std::string NetworkAccountCode(const std::string& network);

// The idempotency key of a deposit's credit. Automatic matching, finance's assign and a proven
// claim all post under it, so a deposit is credited once whichever path wins.
std::string DepositIdempotencyKey(const std::string& network, const std::string& tx_id,
                                  std::int64_t event_index);

// Posts the credit of a deposit to `key_id` (double-entry, in the caller's transaction) and
// returns the ledger transaction id; kFailedPrecondition when the deposit was credited before.
Result<std::int64_t> CreditDeposit(pqxx::work& tx, const std::string& network,
                                   std::int64_t deposit_id, const std::string& tx_id,
                                   std::int64_t event_index, Money amount, std::int64_t key_id,
                                   const std::string& description);

// Once a deposit is credited by a path other than these claims (an assign, another claim):
// every claim on `deposit_id` still open (awaiting_proof, in_review) except `except_claim_id`
// ("" for none) is refused with `reason` (what its key is shown), each audited
// "claims.refused" by `actor` with `settled_by` (what credited the deposit, for finance).
// Returns how many. Defined in claim_store.cpp.
int RefuseOpenClaims(pqxx::work& tx, std::int64_t deposit_id, const std::string& except_claim_id,
                     const std::string& reason, const std::string& settled_by,
                     const std::string& actor);

}  // namespace instamarket
