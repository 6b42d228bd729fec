#include "api/deposit_handlers.h"

#include <charconv>

#include "api/deposit_json.h"
#include "api/idempotency_header.h"
#include "api/problem.h"
#include "api/query_params.h"
#include "api/webhook_url_field.h"
#include "core/crypto.h"
#include "core/json_reader.h"
#include "core/json_writer.h"

namespace instamarket {
namespace {

constexpr std::int64_t kMinTopupMicros = 1'000'000;        // 1 USDT
constexpr std::int64_t kMaxTopupMicros = 100'000'000'000;  // 100,000 USDT

// Chains whose transfers carry a comment: their intents also get a payment memo.
bool CarriesMemo(const NetworkConfig& network) {
  return network.kind == "ton" || network.kind == "solana";
}

std::string EnabledNetworks(const Config& config) {
  std::string list;
  for (const auto& n : config.networks) {
    if (n.enabled) list += (list.empty() ? "" : ", ") + n.id;
  }
  return list.empty() ? "none" : list;
}

void WriteIntent(JsonWriter& json, const TopupIntent& t, const NetworkConfig* network,
                 std::int64_t now) {
  // An intent past its expiry is expired for the client even before the sweeper marks it;
  // a deposit made in time may still credit it during the grace period. One with a transfer
  // sighted before finality is confirming.
  std::string status = TopupVisibleStatus(t.status, t.confirming.has_value(), now > t.expires_at);
  json.BeginObject()
      .Field("topup_id", t.id)
      .Field("status", status)
      .Field("payment_address", network ? network->payment_address : "")
      .Field("payment_network", t.network)
      .Field("amount_usdt", t.amount)
      .Field("requested_amount_usdt", t.requested_amount);
  json.Key("payment_memo");
  if (t.payment_memo.empty())
    json.Null();
  else
    json.String(t.payment_memo);
  json.Field("created_at", t.created_at).Field("expires_at", t.expires_at);
  json.Key("deposit");
  if (t.deposit_tx_id) {
    json.BeginObject()
        .Field("network", t.network)
        .Field("tx_id", *t.deposit_tx_id)
        .Field("amount_usdt", t.deposit_amount.value_or(Money()));
    json.Key("credited_at");
    if (t.credited_at)
      json.Int(*t.credited_at);
    else
      json.Null();
    json.EndObject();
  } else {
    json.Null();
  }
  json.Key("confirming");
  if (t.status == "pending" && t.confirming)
    WriteTopupConfirmingJson(json, *t.confirming);
  else
    json.Null();
  json.EndObject();
}

Result<std::int64_t> ParsePositiveId(const std::string& text) {
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) {
    return MakeError(ErrorCode::kNotFound, "no such id \"" + text.substr(0, 40) + "\"");
  }
  return id;
}

}  // namespace

HttpResponse HandleCreateTopup(const HandlerContext& ctx) {
  auto doc = JsonDocument::Parse(ctx.request.body);
  if (!doc) return ValidationProblem({{"body", "must be a JSON object: " + doc.error().message}});
  if (!doc->root().is_object()) return ValidationProblem({{"body", "must be a JSON object"}});
  std::vector<FieldError> errors;
  Money amount;
  auto parsed = doc->MoneyAt("/amount_usdt");
  if (!parsed) {
    errors.push_back({"amount_usdt", parsed.error().code == ErrorCode::kNotFound
                                         ? "is required"
                                         : "must be a USDT amount: " + parsed.error().message});
  } else if (parsed->micros() < kMinTopupMicros || parsed->micros() > kMaxTopupMicros) {
    errors.push_back({"amount_usdt", "must be from 1 to 100000"});
  } else if (parsed->micros() % 10'000 != 0) {
    errors.push_back({"amount_usdt", "may have at most 2 decimal places"});
  } else {
    amount = *parsed;
  }
  const NetworkConfig* network = nullptr;
  const auto& network_field =
      doc->root().contains("network") ? doc->root()["network"] : nlohmann::json();
  if (!network_field.is_string()) {
    errors.push_back({"network", "is required: one of " + EnabledNetworks(ctx.config)});
  } else {
    network = ctx.config.FindNetwork(network_field.get<std::string>());
    if (!network || !network->enabled) {
      errors.push_back(
          {"network", "unknown or disabled network; use one of " + EnabledNetworks(ctx.config)});
    }
  }
  std::optional<std::string> webhook_url =
      ReadWebhookUrlField(doc->root(), ctx.config.webhooks.allow_private_addresses, errors);
  auto idempotency_key = ReadIdempotencyKey(ctx.request, errors);
  if (!errors.empty()) return ValidationProblem(errors);

  const TopupConfig& rules = ctx.config.topups;
  NewTopup request;
  request.key_id = ctx.key->id;
  request.network = network->id;
  request.requested_amount = amount;
  request.max_surcharge = Money::FromMicros(rules.max_surcharge_micros);
  request.expiry_seconds = rules.expiry_seconds;
  request.expiry_grace_seconds = rules.expiry_grace_seconds;
  request.offer_requested_amount = rules.offer_requested_amount;
  request.max_pending_per_key = rules.max_pending_per_key;
  request.max_unpaid_held_per_key = rules.max_unpaid_held_per_key;
  request.amount_cooldown_seconds = rules.amount_cooldown_seconds;
  request.withdrawal_fee_micros = network->withdrawal_fee_micros;
  request.with_memo = CarriesMemo(*network);
  request.webhook_url = webhook_url;
  request.idempotency_key = idempotency_key;
  request.request_hash = ToHex(Sha256(ctx.request.body));
  auto intent = ctx.db.topups().Create(request);
  if (!intent) {
    if (intent.error().code == ErrorCode::kResourceExhausted) {
      return Problem(409, intent.error().message);
    }
    if (intent.error().code == ErrorCode::kAlreadyExists) {
      return ValidationProblem({{"Idempotency-Key", intent.error().message}});
    }
    return ProblemFor(intent.error());
  }
  JsonWriter json;
  json.BeginObject()
      .Field("topup_id", intent->id)
      .Field("payment_address", network->payment_address)
      .Field("payment_network", network->id)
      .Field("amount_usdt", intent->amount)
      .Field("requested_amount_usdt", intent->requested_amount);
  json.Key("payment_memo");
  if (intent->payment_memo.empty())
    json.Null();
  else
    json.String(intent->payment_memo);
  json.Field("expires_at", intent->expires_at).EndObject();
  return JsonResponse(200, json.Take());
}

HttpResponse HandleGetTopup(const HandlerContext& ctx) {
  auto intent = ctx.db.topups().Get(ctx.key->id, ctx.path_params.at(0));
  if (!intent) return ProblemFor(intent.error());
  JsonWriter json;
  WriteIntent(json, *intent, ctx.config.FindNetwork(intent->network), ctx.now_seconds);
  return JsonResponse(200, json.Take());
}

HttpResponse HandleAdminListDeposits(const HandlerContext& ctx) {
  auto params = QueryParams::Parse(ctx.request.Query());
  if (!params) return ValidationProblem({{"query", params.error().message}});
  std::vector<FieldError> errors;
  auto status = params->Text("status", 20, errors).value_or("all");
  if (!DepositStore::IsListFilter(status)) {
    errors.push_back({"status", "must be all, unmatched, credited_short, external or reorged"});
  }
  auto limit = params->Integer("limit", 100, 1, 10000, errors);
  if (!errors.empty()) return ValidationProblem(errors);
  auto rows = ctx.db.deposits().List(status, static_cast<int>(limit));
  if (!rows) return ProblemFor(rows.error());
  JsonWriter json;
  json.BeginObject().Key("items").BeginArray();
  for (const auto& d : *rows) WriteDepositJson(json, d);
  json.EndArray().EndObject();
  return JsonResponse(200, json.Take());
}

HttpResponse HandleAdminAssignDeposit(const HandlerContext& ctx) {
  auto deposit_id = ParsePositiveId(ctx.path_params.at(0));
  if (!deposit_id) return ProblemFor(deposit_id.error());
  auto doc = JsonDocument::Parse(ctx.request.body);
  if (!doc || !doc->root().is_object())
    return ValidationProblem({{"body", "must be a JSON object"}});
  const auto& root = doc->root();
  std::vector<FieldError> errors;
  if (!root.contains("key_id") || !root["key_id"].is_number_integer() ||
      root["key_id"].get<std::int64_t>() <= 0) {
    errors.push_back({"key_id", "must be a positive integer"});
  }
  if (!root.contains("reason") || !root["reason"].is_string() ||
      root["reason"].get_ref<const std::string&>().empty() ||
      root["reason"].get_ref<const std::string&>().size() > 500) {
    errors.push_back({"reason", "must be a non-empty string of at most 500 characters"});
  }
  if (!errors.empty()) return ValidationProblem(errors);
  auto assigned =
      ctx.db.deposits().Assign(*deposit_id, root["key_id"].get<std::int64_t>(),
                               root["reason"].get<std::string>(), std::string(ctx.admin_actor));
  if (!assigned) return ProblemFor(assigned.error());
  JsonWriter json;
  json.BeginObject()
      .Field("deposit_id", assigned->deposit_id)
      .Field("key_id", assigned->key_id)
      .Field("amount_usdt", assigned->amount)
      .Field("transaction_id", assigned->transaction_id);
  json.Key("topup_id");
  if (assigned->intent_id)
    json.String(*assigned->intent_id);
  else
    json.Null();
  json.EndObject();
  return JsonResponse(200, json.Take());
}

}  // namespace instamarket
