#include "ledger/order_store.h"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "core/json_writer.h"
#include "ledger/audit_write.h"
#include "ledger/ledger_entry.h"
#include "ledger/pg_array.h"
#include "ledger/pg_pool.h"

namespace instamarket {
namespace {

constexpr char kSelectOrder[] = R"sql(
  SELECT id, key_id, product_id, quantity, delivered, price, status, refunded, error_message,
         extract(epoch FROM created_at)::bigint, extract(epoch FROM updated_at)::bigint
    FROM orders)sql";

OrderView ReadOrder(const pqxx::row& r) {
  OrderView o;
  o.id = r[0].as<std::int64_t>();
  o.key_id = r[1].as<std::int64_t>();
  o.product_id = r[2].as<std::int64_t>();
  o.quantity = r[3].as<int>();
  o.delivered = r[4].as<int>();
  o.price = Money::FromMicros(r[5].as<std::int64_t>());
  o.status = r[6].as<std::string>();
  o.refunded = r[7].as<bool>();
  if (!r[8].is_null()) o.error_message = r[8].as<std::string>();
  o.created_at = r[9].as<std::int64_t>();
  o.updated_at = r[10].as<std::int64_t>();
  return o;
}

bool Delivers(const std::string& status) { return status == "completed" || status == "partial"; }

std::vector<std::string> ItemsOf(pqxx::transaction_base& tx, std::int64_t order_id) {
  std::vector<std::string> items;
  for (const auto& row : tx.exec_params(
           "SELECT payload::text FROM stock_items WHERE order_id = $1 ORDER BY id", order_id)) {
    items.push_back(row[0].as<std::string>());
  }
  return items;
}

// The webhook body of the spec (section 6), exactly as it will be signed and sent.
std::string WebhookBody(std::int64_t order_id, const std::string& status, Money price, int quantity,
                        std::int64_t product_id, const std::vector<std::string>& items,
                        const std::optional<std::string>& error_message, bool refunded,
                        bool items_withheld = false) {
  JsonWriter json;
  json.BeginObject()
      .Field("order_id", order_id)
      .Field("status", status)
      .Field("price_usdt", price)
      .Field("quantity", static_cast<std::int64_t>(quantity))
      .Field("product_id", product_id);
  json.Key("items").BeginArray();
  if (!items_withheld) {
    for (const auto& item : items) json.Raw(item);
  }
  json.EndArray();
  if (items_withheld) json.Field("items_withheld", true);
  json.Key("error_message");
  if (error_message)
    json.String(*error_message);
  else
    json.Null();
  json.Field("refunded", refunded)
      .Field("fired_at", static_cast<std::int64_t>(std::time(nullptr)))
      .EndObject();
  return json.Take();
}

// Whether a webhook to `url` must go without its items: credentials never travel in clear
// unless the operator allowed it (webhooks.allow_items_over_http).
bool WithholdsItems(const pqxx::field& url, const std::vector<std::string>& items,
                    bool items_over_plain_http) {
  if (items.empty() || items_over_plain_http || url.is_null()) return false;
  std::string scheme = url.as<std::string>().substr(0, 7);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return scheme == "http://";
}

// The outbox row for one status change, in the caller's transaction. No URL, no row.
void QueueWebhook(pqxx::transaction_base& tx, const pqxx::field& url, std::int64_t order_id,
                  std::int64_t key_id, const std::string& event, const std::string& body) {
  if (url.is_null()) return;
  tx.exec_params(
      "INSERT INTO webhook_deliveries (order_id, key_id, url, event, body) "
      "VALUES ($1, $2, $3, $4, $5)",
      order_id, key_id, url.as<std::string>(), event, body);
}

PlaceOutcome OutcomeFromName(const std::string& name) {
  static const std::pair<const char*, PlaceOutcome> kNames[] = {
      {"created", PlaceOutcome::kCreated},
      {"replayed", PlaceOutcome::kReplayed},
      {"idempotency_conflict", PlaceOutcome::kIdempotencyConflict},
      {"no_product", PlaceOutcome::kNoProduct},
      {"below_min_quantity", PlaceOutcome::kBelowMinQuantity},
      {"below_min_order", PlaceOutcome::kBelowMinOrder},
      {"insufficient_balance", PlaceOutcome::kInsufficientBalance},
      {"insufficient_stock", PlaceOutcome::kInsufficientStock},
  };
  for (const auto& [text, outcome] : kNames) {
    if (name == text) return outcome;
  }
  throw std::logic_error("place_order returned " + name);
}

}  // namespace

const char* PlaceOutcomeName(PlaceOutcome outcome) {
  switch (outcome) {
    case PlaceOutcome::kCreated:
      return "created";
    case PlaceOutcome::kReplayed:
      return "replayed";
    case PlaceOutcome::kIdempotencyConflict:
      return "idempotency_conflict";
    case PlaceOutcome::kNoProduct:
      return "no_product";
    case PlaceOutcome::kBelowMinQuantity:
      return "below_min_quantity";
    case PlaceOutcome::kBelowMinOrder:
      return "below_min_order";
    case PlaceOutcome::kInsufficientBalance:
      return "insufficient_balance";
    case PlaceOutcome::kInsufficientStock:
      return "insufficient_stock";
  }
  return "unknown";
}

OrderStore::OrderStore(std::shared_ptr<PgPool> pool, bool items_over_plain_http)
    : pool_(std::move(pool)), items_over_plain_http_(items_over_plain_http) {
  pool_->Prepare("place_order", "SELECT * FROM place_order($1, $2, $3, $4, $5, $6, $7, $8)");
}

Result<PlaceResult> OrderStore::Place(const NewOrder& order) {
  auto attempt = [&]() {
    return pool_->With<PlaceResult>([&](pqxx::connection& conn) -> Result<PlaceResult> {
      pqxx::nontransaction tx(conn);  // the function is one statement: its own transaction
      auto row =
          tx.exec_prepared1("place_order", order.key_id, order.product_id, order.quantity,
                            order.webhook_url ? order.webhook_url->c_str() : nullptr,
                            order.idempotency_key ? order.idempotency_key->c_str() : nullptr,
                            order.request_hash, order.min_order.micros(), order.deadline_seconds);
      PlaceResult r;
      r.outcome = OutcomeFromName(row[0].as<std::string>());
      if (!row[1].is_null()) r.order_id = row[1].as<std::int64_t>();
      if (!row[2].is_null()) r.unit_price = Money::FromMicros(row[2].as<std::int64_t>());
      if (!row[3].is_null()) r.price = Money::FromMicros(row[3].as<std::int64_t>());
      if (!row[4].is_null()) r.min_quantity = row[4].as<int>();
      if (!row[5].is_null()) r.balance = Money::FromMicros(row[5].as<std::int64_t>());
      if (!row[6].is_null()) r.stock = row[6].as<std::int64_t>();
      if (!row[7].is_null()) r.created_at = row[7].as<std::int64_t>();
      return r;
    });
  };
  auto placed = attempt();
  // Two requests with the same idempotency key at once: the second hits the unique index;
  // once the first has committed, asking again finds its order.
  if (!placed && placed.error().code == ErrorCode::kAlreadyExists && order.idempotency_key) {
    placed = attempt();
  }
  return placed;
}

Result<OrderView> OrderStore::Get(std::int64_t key_id, std::int64_t order_id) {
  return pool_->With<OrderView>([&](pqxx::connection& conn) -> Result<OrderView> {
    pqxx::read_transaction tx(conn);
    auto rows = tx.exec_params(std::string(kSelectOrder) + " WHERE id = $1 AND key_id = $2",
                               order_id, key_id);
    if (rows.empty()) {
      return MakeError(ErrorCode::kNotFound, "no order " + std::to_string(order_id));
    }
    OrderView o = ReadOrder(rows[0]);
    if (Delivers(o.status)) o.items = ItemsOf(tx, o.id);
    return o;
  });
}

Result<OrderPage> OrderStore::List(std::int64_t key_id, const std::optional<std::string>& status,
                                   int page, int page_size) {
  return pool_->With<OrderPage>([&](pqxx::connection& conn) -> Result<OrderPage> {
    pqxx::read_transaction tx(conn);
    const char* filter = status ? status->c_str() : nullptr;
    OrderPage out;
    out.total = tx.exec_params1(
                      "SELECT count(*) FROM orders WHERE key_id = $1 AND ($2::text IS NULL OR "
                      "status = $2)",
                      key_id, filter)[0]
                    .as<std::int64_t>();
    for (const auto& row : tx.exec_params(
             std::string(kSelectOrder) +
                 " WHERE key_id = $1 AND ($2::text IS NULL OR status = $2) ORDER BY id DESC "
                 "LIMIT $3 OFFSET $4",
             key_id, filter, page_size, static_cast<std::int64_t>(page - 1) * page_size)) {
      out.items.push_back(ReadOrder(row));
    }
    return out;
  });
}

Result<JobOutcome> OrderStore::Fulfil(int limit) {
  return pool_->With<JobOutcome>([&](pqxx::connection& conn) -> Result<JobOutcome> {
    pqxx::work tx(conn);
    JobOutcome outcome;
    // SKIP LOCKED: several workers (instances) share the queue without waiting on each other.
    auto orders = tx.exec_params(
        "SELECT id, key_id, product_id, quantity, unit_price, price, webhook_url FROM orders "
        "WHERE status = 'processing' AND deadline > now() ORDER BY id LIMIT $1 "
        "FOR UPDATE SKIP LOCKED",
        limit);
    for (const auto& o : orders) {
      std::int64_t id = o[0].as<std::int64_t>();
      std::int64_t product_id = o[2].as<std::int64_t>();
      int quantity = o[3].as<int>();
      std::int64_t unit_price = o[4].as<std::int64_t>();
      // RETURNING has no order: sort by item id, the order GET /orders/{id} shows them in.
      std::vector<std::pair<std::int64_t, std::string>> taken;
      for (const auto& row : tx.exec_params(R"sql(
            UPDATE stock_items SET order_id = $1 WHERE id IN (
              SELECT id FROM stock_items WHERE product_id = $2 AND order_id IS NULL
               ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
            RETURNING id, payload::text)sql",
                                            id, product_id, quantity)) {
        taken.emplace_back(row[0].as<std::int64_t>(), row[1].as<std::string>());
      }
      std::sort(taken.begin(), taken.end());
      std::vector<std::string> items;
      for (auto& [item_id, payload] : taken) items.push_back(std::move(payload));
      int delivered = static_cast<int>(items.size());
      std::string status = delivered == quantity ? "completed"
                           : delivered > 0       ? "partial"
                                                 : "failed";
      std::optional<std::string> error;
      if (delivered < quantity) {
        error = delivered > 0
                    ? "only " + std::to_string(delivered) + " of " + std::to_string(quantity) +
                          " items could be delivered; the rest is refunded"
                    : "no items could be delivered; the price is refunded";
        // The reservation of what was not delivered goes back to the product's count.
        tx.exec_params("UPDATE products SET stock = stock + $2, updated_at = now() WHERE id = $1",
                       product_id, quantity - delivered);
      }
      tx.exec_params(
          "UPDATE orders SET status = $2, delivered = $3, refund_due = $4, error_message = $5, "
          "updated_at = now() WHERE id = $1",
          id, status, delivered, static_cast<std::int64_t>(quantity - delivered) * unit_price,
          error ? error->c_str() : nullptr);
      QueueWebhook(
          tx, o[6], id, o[1].as<std::int64_t>(), status,
          WebhookBody(id, status, Money::FromMicros(o[5].as<std::int64_t>()), quantity, product_id,
                      items, error, false, WithholdsItems(o[6], items, items_over_plain_http_)));
      if (status == "completed")
        ++outcome.completed;
      else if (status == "partial")
        ++outcome.partial;
      else
        ++outcome.failed;
    }
    tx.commit();
    return outcome;
  });
}

Result<JobOutcome> OrderStore::ExpireOverdue(int limit) {
  return pool_->With<JobOutcome>([&](pqxx::connection& conn) -> Result<JobOutcome> {
    pqxx::work tx(conn);
    JobOutcome outcome;
    auto expired = tx.exec_params(R"sql(
      UPDATE orders SET status = 'expired', refund_due = price, updated_at = now(),
             error_message = 'not fulfilled before the deadline; the price is refunded'
       WHERE id IN (SELECT id FROM orders WHERE status = 'processing' AND deadline <= now()
                     ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
      RETURNING id, key_id, product_id, quantity, price, webhook_url, error_message)sql",
                                  limit);
    for (const auto& o : expired) {
      std::int64_t id = o[0].as<std::int64_t>();
      tx.exec_params("UPDATE products SET stock = stock + $2, updated_at = now() WHERE id = $1",
                     o[2].as<std::int64_t>(), o[3].as<int>());
      QueueWebhook(
          tx, o[5], id, o[1].as<std::int64_t>(), "expired",
          WebhookBody(id, "expired", Money::FromMicros(o[4].as<std::int64_t>()), o[3].as<int>(),
                      o[2].as<std::int64_t>(), {}, o[6].as<std::string>(), false));
      ++outcome.expired;
    }
    tx.commit();
    return outcome;
  });
}

Result<JobOutcome> OrderStore::RefundDue(int limit) {
  return pool_->With<JobOutcome>([&](pqxx::connection& conn) -> Result<JobOutcome> {
    pqxx::work tx(conn);
    JobOutcome outcome;
    auto due = tx.exec_params(
        "SELECT id, key_id, product_id, quantity, price, refund_due, status, webhook_url, "
        "error_message FROM orders WHERE refund_due > 0 AND NOT refunded ORDER BY id LIMIT $1 "
        "FOR UPDATE SKIP LOCKED",
        limit);
    if (due.empty()) return outcome;
    std::vector<LedgerEntry> entries;
    for (const auto& o : due) {
      std::int64_t id = o[0].as<std::int64_t>();
      Money amount = Money::FromMicros(o[5].as<std::int64_t>());
      entries.push_back(LedgerEntry{"refund:order:" + std::to_string(id),
                                    "refund",
                                    "refund of order " + std::to_string(id),
                                    {{KeyAccountCode(o[1].as<std::int64_t>()), amount},
                                     {"system:sales", Money::FromMicros(-amount.micros())}}});
    }
    auto posted = PostEntries(tx, entries);
    if (!posted) return posted.error();
    PgArray ids, transactions;
    for (std::size_t i = 0; i < due.size(); ++i) {
      // A replayed key means an earlier pass paid it and died before marking the order: the
      // money moved once; only the flag is missing.
      ids.Add(due[i][0].as<std::int64_t>());
      transactions.Add((*posted)[i].transaction_id);
    }
    tx.exec_params(R"sql(
      UPDATE orders o SET refunded = true, refund_transaction_id = v.tx, updated_at = now()
        FROM unnest($1::bigint[], $2::bigint[]) AS v(id, tx) WHERE o.id = v.id)sql",
                   ids.str(), transactions.str());
    for (const auto& o : due) {
      std::int64_t id = o[0].as<std::int64_t>();
      std::string status = o[6].as<std::string>();
      std::optional<std::string> error;
      if (!o[8].is_null()) error = o[8].as<std::string>();
      std::vector<std::string> items =
          Delivers(status) ? ItemsOf(tx, id) : std::vector<std::string>{};
      QueueWebhook(tx, o[7], id, o[1].as<std::int64_t>(), "refunded",
                   WebhookBody(id, status, Money::FromMicros(o[4].as<std::int64_t>()),
                               o[3].as<int>(), o[2].as<std::int64_t>(), items, error, true,
                               WithholdsItems(o[7], items, items_over_plain_http_)));
      ++outcome.refunded;
    }
    tx.commit();
    return outcome;
  });
}

Result<OrderView> OrderStore::Cancel(std::int64_t order_id, const std::string& actor) {
  return pool_->With<OrderView>([&](pqxx::connection& conn) -> Result<OrderView> {
    pqxx::work tx(conn);
    auto rows = tx.exec_params(R"sql(
      UPDATE orders SET status = 'cancelled', refund_due = price, updated_at = now(),
             error_message = 'cancelled by support; the price is refunded'
       WHERE id = $1 AND status = 'processing'
      RETURNING id, key_id, product_id, quantity, price, webhook_url, error_message)sql",
                               order_id);
    if (rows.empty()) {
      auto current = tx.exec_params("SELECT status FROM orders WHERE id = $1", order_id);
      if (current.empty()) {
        return MakeError(ErrorCode::kNotFound, "no order " + std::to_string(order_id));
      }
      return MakeError(ErrorCode::kFailedPrecondition,
                       "order " + std::to_string(order_id) + " is " +
                           current[0][0].as<std::string>() + ", not processing");
    }
    const auto& o = rows[0];
    tx.exec_params("UPDATE products SET stock = stock + $2, updated_at = now() WHERE id = $1",
                   o[2].as<std::int64_t>(), o[3].as<int>());
    QueueWebhook(
        tx, o[5], order_id, o[1].as<std::int64_t>(), "cancelled",
        WebhookBody(order_id, "cancelled", Money::FromMicros(o[4].as<std::int64_t>()),
                    o[3].as<int>(), o[2].as<std::int64_t>(), {}, o[6].as<std::string>(), false));
    JsonWriter details;
    details.BeginObject()
        .Field("order_id", order_id)
        .Field("price_usdt", Money::FromMicros(o[4].as<std::int64_t>()))
        .EndObject();
    WriteAudit(tx, actor, "orders.cancel", KeyAccountCode(o[1].as<std::int64_t>()), details.str());
    auto view = tx.exec_params1(std::string(kSelectOrder) + " WHERE id = $1", order_id);
    OrderView out = ReadOrder(view);
    tx.commit();
    return out;
  });
}

}  // namespace instamarket
