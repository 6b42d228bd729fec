#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/money.h"
#include "core/result.h"

namespace instamarket {

class PgPool;

struct NewOrder {
  std::int64_t key_id = 0;
  std::int64_t product_id = 0;
  int quantity = 0;
  std::optional<std::string> webhook_url;
  std::optional<std::string> idempotency_key;  // the Idempotency-Key header, per API key
  std::string request_hash;                    // of the body: the same key needs the same body
  Money min_order;                             // 0: no minimum
  int deadline_seconds = 600;
};

enum class PlaceOutcome {
  kCreated,
  kReplayed,             // the idempotency key was used with the same body: that order
  kIdempotencyConflict,  // ... with another body
  kNoProduct,
  kBelowMinQuantity,
  kBelowMinOrder,
  kInsufficientBalance,
  kInsufficientStock,
};

struct PlaceResult {
  PlaceOutcome outcome = PlaceOutcome::kCreated;
  std::int64_t order_id = 0;  // created or replayed
  Money unit_price;
  Money price;
  int min_quantity = 0;
  Money balance;                // for kInsufficientBalance
  std::int64_t stock = 0;       // for kInsufficientStock
  std::int64_t created_at = 0;  // for kCreated
};

struct OrderView {
  std::int64_t id = 0;
  std::int64_t key_id = 0;
  std::int64_t product_id = 0;
  int quantity = 0;
  int delivered = 0;
  Money price;
  std::string status;  // processing | completed | partial | failed | expired | cancelled
  bool refunded = false;
  std::optional<std::string> error_message;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::vector<std::string> items;  // JSON objects, only for completed and partial orders
};

struct OrderPage {
  std::vector<OrderView> items;
  std::int64_t total = 0;
};

// Counts of what one pass of a background job did.
struct JobOutcome {
  int completed = 0;
  int partial = 0;
  int failed = 0;
  int expired = 0;
  int refunded = 0;
};

// Orders from placement to refund. Placement is one call of the place_order() SQL function
// (debit, stock reservation and order row in one transaction); every status change writes its
// webhook delivery in the same transaction (outbox). Thread-safe; blocking.
class OrderStore {
 public:
  // Unless `items_over_plain_http`, webhooks to http:// URLs carry no items (credentials):
  // "items" is empty and "items_withheld" true, and the client reads them with GET /orders.
  OrderStore(std::shared_ptr<PgPool> pool, bool items_over_plain_http);

  Result<PlaceResult> Place(const NewOrder& order);
  // kNotFound when there is no such order or it belongs to another key.
  Result<OrderView> Get(std::int64_t key_id, std::int64_t order_id);
  Result<OrderPage> List(std::int64_t key_id, const std::optional<std::string>& status, int page,
                         int page_size);

  // The fulfilment worker: delivers reserved items to up to `limit` processing orders
  // (completed, partial when fewer items could be taken, failed when none).
  Result<JobOutcome> Fulfil(int limit);
  // Processing orders past their deadline become expired, with the whole price due back.
  Result<JobOutcome> ExpireOverdue(int limit);
  // Pays what is due back on failed, expired, cancelled and partial orders: once each, by a
  // ledger entry keyed by the order.
  Result<JobOutcome> RefundDue(int limit);
  // A processing order becomes cancelled (refund due); kFailedPrecondition otherwise.
  Result<OrderView> Cancel(std::int64_t order_id, const std::string& actor);

 private:
  std::shared_ptr<PgPool> pool_;
  bool items_over_plain_http_;
};

const char* PlaceOutcomeName(PlaceOutcome outcome);

}  // namespace instamarket
