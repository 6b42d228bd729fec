#include "ledger/ledger_entry.h"

#include <set>
#include <stdexcept>
#include <string_view>

#include "ledger/pg_array.h"

namespace instamarket {

std::string KeyAccountCode(std::int64_t key_id) { return "key:" + std::to_string(key_id); }

Result<PostedEntry> PostEntry(pqxx::work& tx, const LedgerEntry& entry) {
  auto posted = PostEntries(tx, {entry});
  if (!posted) return posted.error();
  return posted->front();
}

Result<std::vector<PostedEntry>> PostEntries(pqxx::work& tx,
                                             const std::vector<LedgerEntry>& entries) {
  std::vector<PostedEntry> results;
  if (entries.empty()) return results;
  std::set<std::string_view> keys;
  PgArray idempotency, kinds, descriptions, posting_entry, codes, amounts;
  for (std::size_t e = 0; e < entries.size(); ++e) {
    const LedgerEntry& entry = entries[e];
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
    if (!keys.insert(entry.idempotency_key).second) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "idempotency key " + entry.idempotency_key + " appears twice");
    }
    idempotency.Add(entry.idempotency_key);
    kinds.Add(entry.kind);
    descriptions.Add(entry.description);
    for (const auto& p : entry.postings) {
      posting_entry.Add(static_cast<std::int64_t>(e + 1));
      codes.Add(p.account_code);
      amounts.Add(p.amount.micros());
    }
  }
  // One round trip: the transaction rows and all their postings in one statement. The
  // deferred trigger checks each transaction's balance at commit; the posting count catches an
  // unknown account now. A key posted before yields no row (replayed).
  auto rows = tx.exec_params(R"sql(
    WITH e AS (
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY
               AS e(idempotency_key, kind, description, ord)),
    t AS (
      INSERT INTO ledger_transactions (idempotency_key, kind, description)
      SELECT idempotency_key, kind, description FROM e ORDER BY ord
      ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, idempotency_key),
    p AS (
      INSERT INTO ledger_postings (transaction_id, account_id, amount)
      SELECT t.id, a.id, v.amount
        FROM unnest($4::bigint[], $5::text[], $6::bigint[]) AS v(ord, code, amount)
        JOIN e ON e.ord = v.ord
        JOIN t ON t.idempotency_key = e.idempotency_key
        JOIN ledger_accounts a ON a.code = v.code
      RETURNING 1)
    SELECT t.id, (SELECT count(*) FROM p)
      FROM e LEFT JOIN t ON t.idempotency_key = e.idempotency_key
     ORDER BY e.ord)sql",
                             idempotency.str(), kinds.str(), descriptions.str(),
                             posting_entry.str(), codes.str(), amounts.str());
  std::size_t expected_postings = 0;
  for (std::size_t e = 0; e < entries.size(); ++e) {
    const auto& row = rows.at(e);
    if (row[0].is_null()) {
      auto existing =
          tx.exec_params1("SELECT id FROM ledger_transactions WHERE idempotency_key = $1",
                          entries[e].idempotency_key);
      results.push_back(PostedEntry{existing[0].as<std::int64_t>(), true});
    } else {
      results.push_back(PostedEntry{row[0].as<std::int64_t>(), false});
      expected_postings += entries[e].postings.size();
    }
  }
  if (rows.at(0)[1].as<std::size_t>() != expected_postings) {
    // Throwing aborts the caller's transaction, so nothing of these entries is kept.
    throw std::invalid_argument("a posting names an unknown ledger account");
  }
  return results;
}

}  // namespace instamarket
