#include "ledger/topup_store.h"

#include "ledger/pg_pool.h"
#include "ledger/topup_events.h"

namespace instamarket {
namespace {

constexpr char kSelectIntent[] = R"sql(
  SELECT t.id::text, t.key_id, t.network, t.requested_amount, t.amount, t.status,
         extract(epoch FROM t.created_at)::bigint, extract(epoch FROM t.expires_at)::bigint,
         d.tx_id, d.amount, extract(epoch FROM t.credited_at)::bigint
    FROM topup_intents t LEFT JOIN deposits d ON d.id = t.deposit_id)sql";

TopupIntent ReadIntent(const pqxx::row& row) {
  TopupIntent t;
  t.id = row[0].as<std::string>();
  t.key_id = row[1].as<std::int64_t>();
  t.network = row[2].as<std::string>();
  t.requested_amount = Money::FromMicros(row[3].as<std::int64_t>());
  t.amount = Money::FromMicros(row[4].as<std::int64_t>());
  t.status = row[5].as<std::string>();
  t.created_at = row[6].as<std::int64_t>();
  t.expires_at = row[7].as<std::int64_t>();
  if (!row[8].is_null()) t.deposit_tx_id = row[8].as<std::string>();
  if (!row[9].is_null()) t.deposit_amount = Money::FromMicros(row[9].as<std::int64_t>());
  if (!row[10].is_null()) t.credited_at = row[10].as<std::int64_t>();
  return t;
}

bool IsUuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-')) return false;
    if (!dash && !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

}  // namespace

TopupStore::TopupStore(std::shared_ptr<PgPool> pool) : pool_(std::move(pool)) {}

Result<TopupIntent> TopupStore::Create(const NewTopup& request) {
  const std::int64_t steps = request.max_surcharge.micros() / kStepMicros;
  return pool_->With<TopupIntent>([&](pqxx::connection& conn) -> Result<TopupIntent> {
    pqxx::work tx(conn);
    // Release amounts of intents past their expiry and grace, so they can be reused.
    ExpireTopupIntents(tx, request.network, request.expiry_grace_seconds, INT32_MAX);
    auto free = tx.exec_params(
        "SELECT $2::bigint + s * $3::bigint FROM generate_series(0, $4::bigint) s "
        "WHERE NOT EXISTS (SELECT 1 FROM topup_intents WHERE network = $1 AND status = "
        "'pending' AND amount = $2::bigint + s * $3::bigint) ORDER BY s",
        request.network, request.requested_amount.micros(), kStepMicros, steps);
    // Take the first amount still free. A concurrent request may have taken it since the look:
    // the unique index then makes our insert wait for it and do nothing, and we try the next.
    for (const auto& candidate : free) {
      auto inserted = tx.exec_params(
          "INSERT INTO topup_intents (key_id, network, requested_amount, amount, expires_at) "
          "VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) "
          "ON CONFLICT (network, amount) WHERE status = 'pending' DO NOTHING "
          "RETURNING id::text",
          request.key_id, request.network, request.requested_amount.micros(),
          candidate[0].as<std::int64_t>(), request.expiry_seconds);
      if (inserted.empty()) continue;
      auto row = tx.exec_params1(std::string(kSelectIntent) + " WHERE t.id = $1::uuid",
                                 inserted[0][0].as<std::string>());
      tx.commit();
      return ReadIntent(row);
    }
    return MakeError(
        ErrorCode::kResourceExhausted,
        "every amount from " + request.requested_amount.ToJsonNumber() + " to " +
            Money::FromMicros(request.requested_amount.micros() + steps * kStepMicros)
                .ToJsonNumber() +
            " USDT is taken by pending top-ups on " + request.network +
            "; try another amount, or wait for one of them to finish");
  });
}

Result<TopupIntent> TopupStore::Get(std::int64_t key_id, const std::string& topup_id) {
  if (!IsUuid(topup_id)) return MakeError(ErrorCode::kNotFound, "no such top-up");
  return pool_->With<TopupIntent>([&](pqxx::connection& conn) -> Result<TopupIntent> {
    pqxx::nontransaction tx(conn);
    auto rows = tx.exec_params(std::string(kSelectIntent) + " WHERE t.id = $1::uuid AND t.key_id = $2",
                               topup_id, key_id);
    if (rows.empty()) return MakeError(ErrorCode::kNotFound, "no such top-up");
    TopupIntent intent = ReadIntent(rows[0]);
    intent.confirming = LoadTopupConfirming(tx, intent.id);
    return intent;
  });
}

}  // namespace instamarket
