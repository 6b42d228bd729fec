#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/money.h"
#include "core/result.h"
#include "ledger/pipelined_read.h"

namespace instamarket {

class PgPool;

struct BalanceView {
  Money balance;
  Money total_spent;
  Money total_topup;  // on-chain top-ups and manual credits
  Money total_refunded;
};

struct CreditResult {
  std::int64_t transaction_id = 0;
  Money balance;          // after the credit
  bool replayed = false;  // the idempotency key was used before: nothing was credited now
};

// Client balances, read from the ledger's cached columns (kept equal to the sum of postings by
// a trigger in the posting's own transaction). Thread-safe; blocking.
class BalanceStore {
 public:
  explicit BalanceStore(std::shared_ptr<PgPool> pool);

  // kNotFound for an unknown key.
  Result<BalanceView> Get(std::int64_t key_id);

  // The same read for a pipelined connection, and the decoding of its rows.
  static PipelinedRead GetRead(std::int64_t key_id);
  static Result<BalanceView> FromRows(std::int64_t key_id, const std::vector<TextRow>& rows);
  // Credits `amount` (> 0) to the key, balanced against system:manual_credits, audited as
  // "balance.credit". The same idempotency key credits once.
  Result<CreditResult> ManualCredit(std::int64_t key_id, Money amount, const std::string& reason,
                                    const std::string& idempotency_key, const std::string& actor);

 private:
  std::shared_ptr<PgPool> pool_;
};

}  // namespace instamarket
