#include "ledger/deposit_credit.h"

#include "ledger/ledger_entry.h"

namespace instamarket {

std::string NetworkAccountCode(const std::string& network) { return "deposits:" + network; }

std::string DepositIdempotencyKey(const std::string& network, const std::string& tx_id,
                                  std::int64_t event_index) {
  return "deposit:" + network + ":" + tx_id + ":" + std::to_string(event_index);
}

Result<std::int64_t> CreditDeposit(pqxx::work& tx, const std::string& network,
                                   std::int64_t deposit_id, const std::string& tx_id,
                                   std::int64_t event_index, Money amount, std::int64_t key_id,
                                   const std::string& description) {
  LedgerEntry entry{DepositIdempotencyKey(network, tx_id, event_index),
                    "topup",
                    description,
                    {{KeyAccountCode(key_id), amount},
                     {NetworkAccountCode(network), Money::FromMicros(-amount.micros())}}};
  auto posted = PostEntry(tx, entry);
  if (!posted) return posted.error();
  if (posted->replayed) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "deposit " + std::to_string(deposit_id) + " was credited before");
  }
  return posted->transaction_id;
}

}  // namespace instamarket
