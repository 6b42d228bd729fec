#include "api/order_handlers.h"

#include <algorithm>
#include <charconv>

#include "api/idempotency_header.h"
#include "api/problem.h"
#include "api/query_params.h"
#include "api/webhook_json.h"
#include "api/webhook_url_field.h"
#include "core/crypto.h"
#include "core/json_reader.h"
#include "core/json_writer.h"
#include "core/order_limits.h"
#include "metrics/metrics.h"

namespace instamarket {
namespace {

void WriteOrder(JsonWriter& json, const OrderView& o, bool with_items) {
  json.BeginObject()
      .Field("order_id", o.id)
      .Field("status", o.status)
      .Field("price_usdt", o.price)
      .Field("quantity", static_cast<std::int64_t>(o.quantity))
      .Field("product_id", o.product_id)
      .Field("refunded", o.refunded);
  if (with_items && (o.status == "completed" || o.status == "partial")) {
    json.Key("items").BeginArray();
    for (const auto& item : o.items) json.Raw(item);
    json.EndArray();
  }
  if (o.status == "partial") json.Field("delivered", static_cast<std::int64_t>(o.delivered));
  json.Key("error_message");
  if (o.error_message)
    json.String(*o.error_message);
  else
    json.Null();
  json.Field("created_at", o.created_at).Field("updated_at", o.updated_at).EndObject();
}

// A positive id from a path segment; anything else is a 404 naming `what`.
Result<std::int64_t> ParsePathId(const std::string& text, const char* what) {
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) {
    return MakeError(ErrorCode::kNotFound,
                     std::string("no such ") + what + " \"" + text.substr(0, 40) + "\"");
  }
  return id;
}

Result<std::int64_t> ParseOrderId(const std::string& text) { return ParsePathId(text, "order"); }

}  // namespace

HttpResponse HandleCreateOrder(const HandlerContext& ctx) {
  auto doc = JsonDocument::Parse(ctx.request.body);
  if (!doc) return ValidationProblem({{"body", "must be a JSON object: " + doc.error().message}});
  const auto& root = doc->root();
  if (!root.is_object()) return ValidationProblem({{"body", "must be a JSON object"}});
  std::vector<FieldError> errors;
  for (const auto& [name, value] : root.items()) {
    if (name != "product_id" && name != "quantity" && name != "payment_method" &&
        name != "webhook_url") {
      errors.push_back(
          {name, "is not a field of an order (product_id, quantity, payment_method, webhook_url)"});
    }
  }
  NewOrder order;
  order.key_id = ctx.key->id;
  const auto product = root.find("product_id");
  if (product == root.end()) {
    errors.push_back({"product_id", "is required"});
  } else if (!product->is_number_integer() || product->get<std::int64_t>() <= 0 ||
             (product->is_number_unsigned() && product->get<std::uint64_t>() > INT64_MAX)) {
    errors.push_back({"product_id", "must be a positive integer"});
  } else {
    order.product_id = product->get<std::int64_t>();
  }
  const auto quantity = root.find("quantity");
  if (quantity == root.end()) {
    errors.push_back({"quantity", "is required"});
  } else if (!quantity->is_number_integer() || quantity->get<std::int64_t>() < 1 ||
             quantity->get<std::int64_t>() > kMaxOrderQuantity ||
             (quantity->is_number_unsigned() &&
              quantity->get<std::uint64_t>() > kMaxOrderQuantity)) {
    errors.push_back({"quantity", "must be an integer from 1 to 10000"});
  } else {
    order.quantity = static_cast<int>(quantity->get<std::int64_t>());
  }
  std::string payment_method = "balance";
  if (const auto method = root.find("payment_method"); method != root.end()) {
    if (!method->is_string()) {
      errors.push_back({"payment_method", "must be a string: \"balance\""});
    } else {
      payment_method = method->get<std::string>();
    }
  }
  if (auto url = ReadWebhookUrlField(root, ctx.config.webhooks.allow_private_addresses, errors))
    order.webhook_url = std::move(*url);
  if (auto key = ReadIdempotencyKey(ctx.request, errors)) order.idempotency_key = *key;
  if (!errors.empty()) return ValidationProblem(errors);
  if (payment_method != "balance") {
    return Problem(501,
                   "payment_method \"" + payment_method.substr(0, 40) +
                       "\" is not implemented; use \"balance\" (invoice mode is not available)");
  }
  order.request_hash = ToHex(Sha256(ctx.request.body));
  order.min_order = Money::FromMicros(ctx.config.orders.min_order_micros);
  order.deadline_seconds = ctx.config.orders.fulfilment_deadline_seconds;

  auto placed = ctx.db.orders().Place(order);
  if (!placed) {
    // The database's "out of range": price × quantity of a product priced before the catalog
    // capped unit prices does not fit in int64.
    if (placed.error().code == ErrorCode::kInvalidArgument) {
      return ValidationProblem(
          {{"quantity", "the order's total (unit price × quantity) is out of range"}});
    }
    return ProblemFor(placed.error());
  }
  const PlaceResult& r = *placed;
  switch (r.outcome) {
    case PlaceOutcome::kNoProduct:
      return Problem(404, "no product " + std::to_string(order.product_id));
    case PlaceOutcome::kIdempotencyConflict:
      return ValidationProblem(
          {{"Idempotency-Key", "was used for order " + std::to_string(r.order_id) +
                                   " with another body; use a new key for a new order"}});
    case PlaceOutcome::kBelowMinQuantity:
      return Problem(400,
                     "the minimum batch for this product is " + std::to_string(r.min_quantity) +
                         "; order at least that many",
                     "\"min_quantity\":" + std::to_string(r.min_quantity) +
                         ",\"requested_quantity\":" + std::to_string(order.quantity) +
                         ",\"required_quantity\":" + std::to_string(r.min_quantity));
    case PlaceOutcome::kBelowMinOrder:
      return Problem(400,
                     "orders must be worth at least " + order.min_order.ToJsonNumber() +
                         " USDT; this one is " + r.price.ToJsonNumber(),
                     "\"min_order_usdt\":" + order.min_order.ToJsonNumber() +
                         ",\"price_usdt\":" + r.price.ToJsonNumber());
    case PlaceOutcome::kInsufficientBalance: {
      Money missing = Money::FromMicros(r.price.micros() - r.balance.micros());
      // What to ask a top-up for: at least the 1 USDT minimum, in whole cents (intents are).
      std::int64_t cents = (missing.micros() + 9'999) / 10'000 * 10'000;
      Money suggested = Money::FromMicros(std::max<std::int64_t>(cents, 1'000'000));
      return Problem(402,
                     "the balance (" + r.balance.ToJsonNumber() + " USDT) is below the price (" +
                         r.price.ToJsonNumber() + " USDT); top up at least " +
                         missing.ToJsonNumber() + " USDT with POST /api/v1/balance/topup",
                     "\"balance_usdt\":" + r.balance.ToJsonNumber() + ",\"price_usdt\":" +
                         r.price.ToJsonNumber() + ",\"missing_usdt\":" + missing.ToJsonNumber() +
                         ",\"topup\":{\"method\":\"POST\",\"path\":\"/api/v1/balance/topup\","
                         "\"body\":{\"amount_usdt\":" +
                         suggested.ToJsonNumber() + ",\"network\":\"<network id>\"}}");
    }
    case PlaceOutcome::kInsufficientStock:
      return Problem(409,
                     "only " + std::to_string(r.stock) + " items in stock, " +
                         std::to_string(order.quantity) + " requested",
                     "\"stock\":" + std::to_string(r.stock) +
                         ",\"requested_quantity\":" + std::to_string(order.quantity));
    case PlaceOutcome::kCreated:
    case PlaceOutcome::kReplayed:
      break;
  }
  if (r.outcome == PlaceOutcome::kCreated) {
    Metrics::Get().RecordOrders("processing", 1);
    if (ctx.order_placed) (*ctx.order_placed)();
  }
  OrderView view;
  if (r.outcome == PlaceOutcome::kCreated) {
    // Everything the answer shows is known: no second round trip.
    view.id = r.order_id;
    view.key_id = ctx.key->id;
    view.product_id = order.product_id;
    view.quantity = order.quantity;
    view.price = r.price;
    view.status = "processing";
    view.created_at = view.updated_at = r.created_at;
  } else {
    auto stored = ctx.db.orders().Get(ctx.key->id, r.order_id);
    if (!stored) return ProblemFor(stored.error());
    view = std::move(*stored);
  }
  JsonWriter json;
  WriteOrder(json, view, false);
  HttpResponse response =
      JsonResponse(r.outcome == PlaceOutcome::kCreated ? 201 : 200, json.Take());
  if (r.outcome == PlaceOutcome::kReplayed) response.AddHeader("Idempotent-Replayed", "true");
  return response;
}

HttpResponse HandleGetOrder(const HandlerContext& ctx) {
  auto id = ParseOrderId(ctx.path_params.at(0));
  if (!id) return ProblemFor(id.error());
  auto order = ctx.db.orders().Get(ctx.key->id, *id);
  if (!order) return ProblemFor(order.error());
  JsonWriter json;
  WriteOrder(json, *order, true);
  return JsonResponse(200, json.Take());
}

HttpResponse HandleListOrders(const HandlerContext& ctx) {
  auto params = QueryParams::Parse(ctx.request.Query());
  if (!params) return ValidationProblem({{"query", params.error().message}});
  std::vector<FieldError> errors;
  auto status = params->Text("status", 20, errors);
  static const char* kStatuses[] = {"processing", "completed", "partial",
                                    "failed",     "expired",   "cancelled"};
  if (status && std::none_of(std::begin(kStatuses), std::end(kStatuses),
                             [&](const char* s) { return *status == s; })) {
    errors.push_back(
        {"status", "must be one of processing, completed, partial, failed, expired, cancelled"});
  }
  auto page = params->Integer("page", 1, 1, 1'000'000, errors);
  auto page_size = params->Integer("page_size", 50, 1, 200, errors);
  if (!errors.empty()) return ValidationProblem(errors);
  auto orders = ctx.db.orders().List(ctx.key->id, status, static_cast<int>(page),
                                     static_cast<int>(page_size));
  if (!orders) return ProblemFor(orders.error());
  JsonWriter json;
  json.BeginObject().Key("items").BeginArray();
  for (const auto& o : orders->items) WriteOrder(json, o, false);
  json.EndArray()
      .Field("page", page)
      .Field("page_size", page_size)
      .Field("total", orders->total)
      .EndObject();
  return JsonResponse(200, json.Take());
}

HttpResponse HandleAdminCancelOrder(const HandlerContext& ctx) {
  auto id = ParseOrderId(ctx.path_params.at(0));
  if (!id) return ProblemFor(id.error());
  auto order = ctx.db.orders().Cancel(*id, std::string(ctx.admin_actor));
  if (!order) return ProblemFor(order.error());
  JsonWriter json;
  WriteOrder(json, *order, false);
  return JsonResponse(200, json.Take());
}

HttpResponse HandleAdminListWebhooks(const HandlerContext& ctx) {
  auto params = QueryParams::Parse(ctx.request.Query());
  if (!params) return ValidationProblem({{"query", params.error().message}});
  std::vector<FieldError> errors;
  auto status = params->Text("status", 20, errors);
  if (status && *status != "pending" && *status != "delivered" && *status != "failed") {
    errors.push_back({"status", "must be pending, delivered or failed"});
  }
  auto limit = params->Integer("limit", 100, 1, 10000, errors);
  if (!errors.empty()) return ValidationProblem(errors);
  auto rows = ctx.db.webhooks().List(status, static_cast<int>(limit));
  if (!rows) return ProblemFor(rows.error());
  JsonWriter json;
  json.BeginObject().Key("items").BeginArray();
  for (const auto& d : *rows) WriteWebhookDeliveryJson(json, d);
  json.EndArray().EndObject();
  return JsonResponse(200, json.Take());
}

HttpResponse HandleAdminRedeliverWebhook(const HandlerContext& ctx) {
  auto id = ParsePathId(ctx.path_params.at(0), "webhook delivery");
  if (!id) return ProblemFor(id.error());
  auto delivery = ctx.db.webhooks().Redeliver(*id, std::string(ctx.admin_actor));
  if (!delivery) return ProblemFor(delivery.error());
  JsonWriter json;
  WriteWebhookDeliveryJson(json, *delivery);
  return JsonResponse(200, json.Take());
}

}  // namespace instamarket
