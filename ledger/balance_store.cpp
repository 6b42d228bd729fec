#include "ledger/balance_store.h"

#include <charconv>

#include "core/json_writer.h"
#include "ledger/audit_write.h"
#include "ledger/ledger_entry.h"
#include "ledger/pg_pool.h"

namespace instamarket {
namespace {

const PipelinedStatement kBalanceGet{
    "balance_get",
    "SELECT balance, total_spent, total_topup, total_refunded FROM ledger_accounts "
    "WHERE key_id = $1"};

Error NoAccount(std::int64_t key_id) {
  return MakeError(ErrorCode::kNotFound, "no account for key " + std::to_string(key_id));
}

}  // namespace

BalanceStore::BalanceStore(std::shared_ptr<PgPool> pool) : pool_(std::move(pool)) {
  pool_->Prepare(kBalanceGet.name, kBalanceGet.sql);
}

PipelinedRead BalanceStore::GetRead(std::int64_t key_id) {
  return PipelinedRead{&kBalanceGet, {std::to_string(key_id)}};
}

Result<BalanceView> BalanceStore::FromRows(std::int64_t key_id, const std::vector<TextRow>& rows) {
  if (rows.empty()) return NoAccount(key_id);
  const TextRow& row = rows[0];
  std::int64_t micros[4];
  if (row.size() != 4) return MakeError(ErrorCode::kInternal, "balance_get: unexpected columns");
  for (std::size_t i = 0; i < 4; ++i) {
    const auto& text = row[i];
    if (!text) return MakeError(ErrorCode::kInternal, "balance_get: NULL amount");
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), micros[i]);
    if (ec != std::errc() || end != text->data() + text->size()) {
      return MakeError(ErrorCode::kInternal, "balance_get: bad amount " + *text);
    }
  }
  return BalanceView{Money::FromMicros(micros[0]), Money::FromMicros(micros[1]),
                     Money::FromMicros(micros[2]), Money::FromMicros(micros[3])};
}

Result<BalanceView> BalanceStore::Get(std::int64_t key_id) {
  return pool_->With<BalanceView>([&](pqxx::connection& conn) -> Result<BalanceView> {
    pqxx::nontransaction tx(conn);
    auto rows = tx.exec_prepared(kBalanceGet.name, key_id);
    if (rows.empty()) return NoAccount(key_id);
    const auto& row = rows[0];
    return BalanceView{
        Money::FromMicros(row[0].as<std::int64_t>()), Money::FromMicros(row[1].as<std::int64_t>()),
        Money::FromMicros(row[2].as<std::int64_t>()), Money::FromMicros(row[3].as<std::int64_t>())};
  });
}

Result<CreditResult> BalanceStore::ManualCredit(std::int64_t key_id, Money amount,
                                                const std::string& reason,
                                                const std::string& idempotency_key,
                                                const std::string& actor) {
  if (amount.micros() <= 0) {
    return MakeError(ErrorCode::kInvalidArgument, "the amount must be greater than zero");
  }
  if (reason.empty()) return MakeError(ErrorCode::kInvalidArgument, "--reason is required");
  return pool_->With<CreditResult>([&](pqxx::connection& conn) -> Result<CreditResult> {
    pqxx::work tx(conn);
    auto key = tx.exec_params("SELECT revoked_at IS NOT NULL FROM api_keys WHERE id = $1", key_id);
    if (key.empty()) {
      return MakeError(ErrorCode::kNotFound, "no API key with id " + std::to_string(key_id));
    }
    LedgerEntry entry{idempotency_key,
                      "manual_credit",
                      reason,
                      {{KeyAccountCode(key_id), amount},
                       {"system:manual_credits", Money::FromMicros(-amount.micros())}}};
    auto posted = PostEntry(tx, entry);
    if (!posted) return posted.error();
    if (!posted->replayed) {
      JsonWriter details;
      details.BeginObject()
          .Field("amount_usdt", amount)
          .Field("reason", reason)
          .Field("transaction_id", posted->transaction_id)
          .EndObject();
      WriteAudit(tx, actor, "balance.credit", KeyAccountCode(key_id), details.str());
    }
    auto balance = tx.exec_params1("SELECT balance FROM ledger_accounts WHERE key_id = $1", key_id);
    tx.commit();
    return CreditResult{posted->transaction_id, Money::FromMicros(balance[0].as<std::int64_t>()),
                        posted->replayed};
  });
}

}  // namespace instamarket
