#include "api/reservation_handlers.h"

#include <charconv>

#include "api/problem.h"
#include "api/query_params.h"
#include "api/reservation_json.h"
#include "core/json_reader.h"

namespace instamarket {
namespace {

constexpr std::int64_t kMaxAmountMicros = 100'000'000'000;  // 100,000 USDT, as top-ups
constexpr int kMaxExpirySeconds = 7 * 86400;

Result<std::int64_t> ParseReservationId(const std::string& text) {
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) {
    return MakeError(ErrorCode::kNotFound, "no reservation \"" + text.substr(0, 40) + "\"");
  }
  return id;
}

// One USDT amount field of the body: a whole number of cents from 1 to 100,000.
std::optional<Money> ReadAmount(const JsonDocument& doc, const char* field,
                                std::vector<FieldError>& errors) {
  auto parsed = doc.MoneyAt(std::string("/") + field);
  if (!parsed) {
    if (parsed.error().code != ErrorCode::kNotFound)
      errors.push_back({field, "must be a USDT amount: " + parsed.error().message});
    return std::nullopt;
  }
  if (parsed->micros() < 1'000'000 || parsed->micros() > kMaxAmountMicros) {
    errors.push_back({field, "must be from 1 to 100000"});
  } else if (parsed->micros() % 10'000 != 0) {
    errors.push_back({field, "may have at most 2 decimal places"});
  } else {
    return *parsed;
  }
  return std::nullopt;
}

HttpResponse ReservationResponse(int status, const Reservation& r) {
  JsonWriter json;
  WriteReservationJson(json, r);
  return JsonResponse(status, json.Take());
}

}  // namespace

NewReservation ReservationRequest(const Config& config, const NetworkConfig& network) {
  NewReservation request;
  request.network = network.id;
  request.max_surcharge = Money::FromMicros(config.topups.max_surcharge_micros);
  request.expiry_seconds = config.topups.expiry_seconds;
  request.amount_cooldown_seconds = config.topups.amount_cooldown_seconds;
  request.withdrawal_fee_micros = network.withdrawal_fee_micros;
  return request;
}

HttpResponse HandleAdminCreateReservation(const HandlerContext& ctx) {
  auto doc = JsonDocument::Parse(ctx.request.body);
  if (!doc || !doc->root().is_object())
    return ValidationProblem({{"body", "must be a JSON object"}});
  const auto& root = doc->root();
  std::vector<FieldError> errors;
  const NetworkConfig* network = nullptr;
  if (!root.contains("network") || !root["network"].is_string()) {
    errors.push_back({"network", "is required"});
  } else {
    network = ctx.config.FindNetwork(root["network"].get<std::string>());
    if (!network || !network->enabled) errors.push_back({"network", "unknown or disabled network"});
  }
  auto amount = ReadAmount(*doc, "amount_usdt", errors);
  auto requested = ReadAmount(*doc, "requested_amount_usdt", errors);
  if (errors.empty() && amount.has_value() == requested.has_value()) {
    errors.push_back({"amount_usdt",
                      "give exactly one of amount_usdt (that amount) or requested_amount_usdt (a "
                      "free amount above it)"});
  }
  if (!root.contains("label") || !root["label"].is_string() ||
      root["label"].get_ref<const std::string&>().empty() ||
      root["label"].get_ref<const std::string&>().size() > 200) {
    errors.push_back({"label", "must be a non-empty string of at most 200 characters"});
  }
  int expiry = ctx.config.topups.expiry_seconds;
  if (root.contains("expires_in_seconds")) {
    const auto& e = root["expires_in_seconds"];
    if (!e.is_number_integer() || e.get<std::int64_t>() < 10 ||
        e.get<std::int64_t>() > kMaxExpirySeconds) {
      errors.push_back({"expires_in_seconds", "must be an integer from 10 to 604800"});
    } else {
      expiry = static_cast<int>(e.get<std::int64_t>());
    }
  }
  if (!errors.empty()) return ValidationProblem(errors);
  NewReservation request = ReservationRequest(ctx.config, *network);
  if (amount) request.amount = *amount;
  request.requested_amount = requested;
  request.label = root["label"].get<std::string>();
  request.expiry_seconds = expiry;
  request.actor = std::string(ctx.admin_actor);
  auto reserved = ctx.db.topups().Reserve(request);
  if (!reserved) {
    if (reserved.error().code == ErrorCode::kResourceExhausted)
      return Problem(409, reserved.error().message);
    return ProblemFor(reserved.error());
  }
  return ReservationResponse(201, *reserved);
}

HttpResponse HandleAdminListReservations(const HandlerContext& ctx) {
  auto params = QueryParams::Parse(ctx.request.Query());
  if (!params) return ValidationProblem({{"query", params.error().message}});
  std::vector<FieldError> errors;
  auto network = params->Text("network", 64, errors);
  auto limit = params->Integer("limit", 100, 1, 10000, errors);
  if (!errors.empty()) return ValidationProblem(errors);
  auto rows = ctx.db.topups().ListReservations(network, static_cast<int>(limit));
  if (!rows) return ProblemFor(rows.error());
  JsonWriter json;
  json.BeginObject().Key("items").BeginArray();
  for (const auto& r : *rows) WriteReservationJson(json, r);
  json.EndArray().EndObject();
  return JsonResponse(200, json.Take());
}

HttpResponse HandleAdminGetReservation(const HandlerContext& ctx) {
  auto id = ParseReservationId(ctx.path_params.at(0));
  if (!id) return ProblemFor(id.error());
  auto reservation = ctx.db.topups().GetReservation(*id);
  if (!reservation) return ProblemFor(reservation.error());
  return ReservationResponse(200, *reservation);
}

HttpResponse HandleAdminReleaseReservation(const HandlerContext& ctx) {
  auto id = ParseReservationId(ctx.path_params.at(0));
  if (!id) return ProblemFor(id.error());
  auto released = ctx.db.topups().ReleaseReservation(*id, std::string(ctx.admin_actor));
  if (!released) return ProblemFor(released.error());
  return ReservationResponse(200, *released);
}

}  // namespace instamarket
