#include "ledger/webhook_store.h"

#include "core/json_writer.h"
#include "core/secret_box.h"
#include "ledger/audit_write.h"
#include "ledger/key_store.h"
#include "ledger/pg_pool.h"

namespace instamarket {
namespace {

constexpr char kSelectDelivery[] = R"sql(
  SELECT d.id, d.order_id, d.key_id, d.url, d.event, d.body, d.status, d.attempts,
         k.webhook_secret_sealed, d.last_error, d.last_http_status,
         floor(extract(epoch FROM d.created_at))::bigint,
         CASE WHEN k.webhook_secret_previous_until > now()
              THEN k.webhook_secret_previous_sealed END,
         d.topup_id::text
    FROM webhook_deliveries d JOIN api_keys k ON k.id = d.key_id)sql";

// What a stored body becomes once the delivery is final: the items (credentials) are gone.
// jsonb keeps numbers exact; the marker tells a redelivery's receiver to fetch them.
constexpr char kWithoutItems[] = R"sql(
  CASE WHEN body::jsonb ? 'items' AND jsonb_array_length(body::jsonb -> 'items') > 0
       THEN (body::jsonb || '{"items": [], "items_withheld": true}'::jsonb)::text
       ELSE body END)sql";

// Opens one secret into `d`; a secret that does not open leaves the delivery unsignable (it
// is then not sent), rather than failing the whole claim and every other delivery with it.
void OpenSecret(const SecretBox& box, const pqxx::field& f, const char* column,
                WebhookDelivery& d) {
  if (f.is_null()) return;
  auto opened = box.Open(f.as<std::string>(), SecretContext(column, d.key_id));
  if (opened) {
    d.secrets.push_back(std::move(*opened));
  } else {
    d.secret_error = opened.error().message;
  }
}

WebhookDelivery ReadDelivery(const pqxx::row& r, const SecretBox* box) {
  WebhookDelivery d;
  d.id = r[0].as<std::int64_t>();
  if (!r[1].is_null()) d.order_id = r[1].as<std::int64_t>();
  if (!r[13].is_null()) d.topup_id = r[13].as<std::string>();
  d.key_id = r[2].as<std::int64_t>();
  d.url = r[3].as<std::string>();
  d.event = r[4].as<std::string>();
  d.body = r[5].as<std::string>();
  d.status = r[6].as<std::string>();
  d.attempts = r[7].as<int>();
  if (!r[9].is_null()) d.last_error = r[9].as<std::string>();
  if (!r[10].is_null()) d.last_http_status = r[10].as<int>();
  d.created_at = r[11].as<std::int64_t>();
  if (box) {  // only what is about to be sent needs its secrets opened
    OpenSecret(*box, r[8], "webhook_secret", d);
    if (d.secret_error.empty()) OpenSecret(*box, r[12], "webhook_secret_previous", d);
    if (d.secrets.empty() && d.secret_error.empty()) {
      d.secret_error = "API key " + std::to_string(d.key_id) + " has no webhook secret";
    }
  }
  return d;
}

}  // namespace

WebhookStore::WebhookStore(std::shared_ptr<PgPool> pool, std::shared_ptr<const SecretBox> box)
    : pool_(std::move(pool)), box_(std::move(box)) {}

Result<std::vector<WebhookDelivery>> WebhookStore::ClaimDue(int limit,
                                                            std::chrono::milliseconds lease) {
  using Rows = std::vector<WebhookDelivery>;
  return pool_->With<Rows>([&](pqxx::connection& conn) -> Result<Rows> {
    pqxx::work tx(conn);
    auto claimed = tx.exec_params(R"sql(
      UPDATE webhook_deliveries SET next_attempt_at = now() + make_interval(secs => $2 / 1000.0)
       WHERE id IN (SELECT id FROM webhook_deliveries
                     WHERE status = 'pending' AND next_attempt_at <= now()
                     ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
      RETURNING id)sql",
                                  limit, static_cast<std::int64_t>(lease.count()));
    Rows rows;
    for (const auto& c : claimed) {
      rows.push_back(ReadDelivery(tx.exec_params1(std::string(kSelectDelivery) + " WHERE d.id = $1",
                                                  c[0].as<std::int64_t>()),
                                  box_.get()));
    }
    tx.commit();
    return rows;
  });
}

Status WebhookStore::RecordAttempt(std::int64_t id, const AttemptResult& result,
                                   std::optional<std::chrono::milliseconds> retry_after) {
  return pool_->With<Unit>([&](pqxx::connection& conn) -> Result<Unit> {
    pqxx::work tx(conn);
    std::optional<int> http = result.http_status;
    const char* status = result.delivered ? "delivered" : retry_after ? "pending" : "failed";
    tx.exec_params(std::string(R"sql(
      UPDATE webhook_deliveries
         SET status = $2, attempts = attempts + 1, last_http_status = $3,
             last_error = NULLIF($4, ''),
             delivered_at = CASE WHEN $2 = 'delivered' THEN now() END,
             next_attempt_at = now() + make_interval(secs => $5 / 1000.0),
             body = CASE WHEN $2 = 'pending' THEN body ELSE )sql") +
                       kWithoutItems + R"sql( END
       WHERE id = $1 AND status = 'pending')sql",
                   id, status, http ? &*http : nullptr, result.error,
                   static_cast<std::int64_t>(retry_after ? retry_after->count() : 0));
    tx.commit();
    return Unit{};
  });
}

Result<std::vector<WebhookDelivery>> WebhookStore::List(const std::optional<std::string>& status,
                                                        int limit) {
  using Rows = std::vector<WebhookDelivery>;
  return pool_->With<Rows>([&](pqxx::connection& conn) -> Result<Rows> {
    pqxx::read_transaction tx(conn);
    Rows rows;
    for (const auto& r :
         tx.exec_params(std::string(kSelectDelivery) + " WHERE ($1::text IS NULL OR d.status = $1) "
                                                       "ORDER BY d.id DESC LIMIT $2",
                        status ? status->c_str() : nullptr, limit)) {
      rows.push_back(ReadDelivery(r, nullptr));
    }
    return rows;
  });
}

Result<WebhookDelivery> WebhookStore::Redeliver(std::int64_t id, const std::string& actor) {
  return pool_->With<WebhookDelivery>([&](pqxx::connection& conn) -> Result<WebhookDelivery> {
    pqxx::work tx(conn);
    auto updated = tx.exec_params(
        "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = now() "
        "WHERE id = $1 AND status = 'failed' RETURNING id",
        id);
    if (updated.empty()) {
      auto current = tx.exec_params("SELECT status FROM webhook_deliveries WHERE id = $1", id);
      if (current.empty()) {
        return MakeError(ErrorCode::kNotFound, "no webhook delivery " + std::to_string(id));
      }
      return MakeError(ErrorCode::kFailedPrecondition,
                       "webhook delivery " + std::to_string(id) + " is " +
                           current[0][0].as<std::string>() + "; only failed ones are redelivered");
    }
    JsonWriter details;
    details.BeginObject().Field("delivery_id", id).EndObject();
    WriteAudit(tx, actor, "webhooks.redeliver", "webhook:" + std::to_string(id), details.str());
    auto row = tx.exec_params1(std::string(kSelectDelivery) + " WHERE d.id = $1", id);
    WebhookDelivery d = ReadDelivery(row, nullptr);
    tx.commit();
    return d;
  });
}

}  // namespace instamarket
