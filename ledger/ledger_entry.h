#pragma once

// Internal to ledger/: the one way money moves. Deposits, manual credits, order debits and
// refunds all post through PostEntry inside the caller's transaction.

#include <cstdint>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/money.h"
#include "core/result.h"

namespace instamarket {

struct Posting {
  std::string account_code;  // "key:42", "system:manual_credits", ...
  Money amount;              // positive adds to the account
};

struct LedgerEntry {
  std::string idempotency_key;  // unique forever: the same key never posts twice
  std::string kind;             // topup | manual_credit | order_debit | refund
  std::string description;
  std::vector<Posting> postings;  // must sum to zero
};

struct PostedEntry {
  std::int64_t transaction_id = 0;
  bool replayed = false;  // the key was posted before; nothing changed now
};

// kInvalidArgument when the postings do not balance. Throws (aborting the transaction) when an
// account is unknown, and pqxx::check_violation when a client balance would go negative.
Result<PostedEntry> PostEntry(pqxx::work& tx, const LedgerEntry& entry);
// The same for many entries in one round trip (a scan's deposits); results in input order.
// kInvalidArgument also when two entries share an idempotency key.
Result<std::vector<PostedEntry>> PostEntries(pqxx::work& tx,
                                             const std::vector<LedgerEntry>& entries);

std::string KeyAccountCode(std::int64_t key_id);

}  // namespace instamarket
