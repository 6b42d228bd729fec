#include "ledger/usage_store.h"

#include "ledger/pg_pool.h"

namespace instamarket {

UsageStore::UsageStore(std::shared_ptr<PgPool> pool) : pool_(std::move(pool)) {
  pool_->Prepare("usage_get", R"sql(
    SELECT u.request_count, floor(extract(epoch FROM u.first_used_at))::bigint,
           floor(extract(epoch FROM u.last_used_at))::bigint, u.last_endpoint, a.total_spent
      FROM ledger_accounts a LEFT JOIN api_key_usage u ON u.key_id = a.key_id
     WHERE a.key_id = $1)sql");
}

Status UsageStore::Add(const std::vector<UsageDelta>& deltas) {
  if (deltas.empty()) return OkStatus();
  return pool_->With<Unit>([&](pqxx::connection& conn) -> Status {
    pqxx::work tx(conn);
    for (const auto& d : deltas) {
      tx.exec_params(R"sql(
        INSERT INTO api_key_usage (key_id, request_count, first_used_at, last_used_at, last_endpoint)
        VALUES ($1, $2, to_timestamp($3), to_timestamp($4), $5)
        ON CONFLICT (key_id) DO UPDATE SET
          request_count = api_key_usage.request_count + EXCLUDED.request_count,
          first_used_at = LEAST(api_key_usage.first_used_at, EXCLUDED.first_used_at),
          last_endpoint = CASE WHEN EXCLUDED.last_used_at >= api_key_usage.last_used_at
                               THEN EXCLUDED.last_endpoint ELSE api_key_usage.last_endpoint END,
          last_used_at  = GREATEST(api_key_usage.last_used_at, EXCLUDED.last_used_at))sql",
                     d.key_id, d.request_count, d.first_used_at, d.last_used_at, d.last_endpoint);
    }
    tx.commit();
    return OkStatus();
  });
}

Result<UsageView> UsageStore::Get(std::int64_t key_id) {
  return pool_->With<UsageView>([&](pqxx::connection& conn) -> Result<UsageView> {
    pqxx::nontransaction tx(conn);
    auto rows = tx.exec_prepared("usage_get", key_id);
    if (rows.empty()) {
      return MakeError(ErrorCode::kNotFound, "no account for key " + std::to_string(key_id));
    }
    const auto& row = rows[0];
    UsageView view;
    if (!row[0].is_null()) {
      view.request_count = row[0].as<std::int64_t>();
      view.first_used_at = row[1].as<std::int64_t>();
      view.last_used_at = row[2].as<std::int64_t>();
      view.last_endpoint = row[3].as<std::string>();
    }
    view.total_spent = Money::FromMicros(row[4].as<std::int64_t>());
    return view;
  });
}

}  // namespace instamarket
