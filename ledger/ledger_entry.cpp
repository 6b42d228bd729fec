#include "ledger/ledger_entry.h"

#include <stdexcept>

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
  // One round trip: the transaction row and all its postings in one statement. The deferred
  // trigger checks the balance at commit; the count check catches an unknown account now.
  std::string codes = "{", amounts = "{";
  for (std::size_t i = 0; i < entry.postings.size(); ++i) {
    codes += (i ? ",\"" : "\"") + entry.postings[i].account_code + "\"";
    amounts += (i ? "," : "") + std::to_string(entry.postings[i].amount.micros());
  }
  codes += "}";
  amounts += "}";
  auto row = tx.exec_params1(R"sql(
    WITH t AS (
      INSERT INTO ledger_transactions (idempotency_key, kind, description) VALUES ($1, $2, $3)
      ON CONFLICT (idempotency_key) DO NOTHING RETURNING id),
    p AS (
      INSERT INTO ledger_postings (transaction_id, account_id, amount)
      SELECT t.id, a.id, v.amount
        FROM t, unnest($4::text[], $5::bigint[]) AS v(code, amount)
        JOIN ledger_accounts a ON a.code = v.code
      RETURNING 1)
    SELECT (SELECT id FROM t), (SELECT count(*) FROM p))sql",
                             entry.idempotency_key, entry.kind, entry.description, codes, amounts);
  if (row[0].is_null()) {
    auto existing = tx.exec_params1(
        "SELECT id FROM ledger_transactions WHERE idempotency_key = $1", entry.idempotency_key);
    return PostedEntry{existing[0].as<std::int64_t>(), true};
  }
  std::int64_t transaction_id = row[0].as<std::int64_t>();
  if (row[1].as<std::size_t>() != entry.postings.size()) {
    // Throwing aborts the caller's transaction, so nothing of this entry is kept.
    throw std::invalid_argument("a posting names an unknown ledger account");
  }
  return PostedEntry{transaction_id, false};
}

}  // namespace instamarket
