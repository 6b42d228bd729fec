#include "ledger/ledger_entry.h"

namespace instamarket {

std::string KeyAccountCode(std::int64_t key_id) { return "key:" + std::to_string(key_id); }

Result<PostedEntry> PostEntry(pqxx::work& tx, const LedgerEntry& entry) {
  Money sum;
  for (const auto& p : entry.postings) {
    auto next = sum.CheckedAdd(p.amount);
    if (!next || p.amount.micros() == 0) {
      return MakeError(ErrorCode::kInvalidArgument, "bad posting amount");
    }
    sum = *next;
  }
  if (sum.micros() != 0 || entry.postings.size() < 2) {
    return MakeError(ErrorCode::kInvalidArgument, "postings must balance");
  }
  auto inserted = tx.exec_params(
      "INSERT INTO ledger_transactions (idempotency_key, kind, description) VALUES ($1, $2, $3) "
      "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
      entry.idempotency_key, entry.kind, entry.description);
  if (inserted.empty()) {
    auto existing = tx.exec_params1(
        "SELECT id FROM ledger_transactions WHERE idempotency_key = $1", entry.idempotency_key);
    return PostedEntry{existing[0].as<std::int64_t>(), true};
  }
  std::int64_t transaction_id = inserted[0][0].as<std::int64_t>();
  for (const auto& p : entry.postings) {
    auto rows = tx.exec_params(
        "INSERT INTO ledger_postings (transaction_id, account_id, amount) "
        "SELECT $1, id, $3 FROM ledger_accounts WHERE code = $2 RETURNING id",
        transaction_id, p.account_code, p.amount.micros());
    if (rows.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "unknown ledger account " + p.account_code);
    }
  }
  return PostedEntry{transaction_id, false};
}

}  // namespace instamarket
