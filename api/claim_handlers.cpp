#include "api/claim_handlers.h"

#include <optional>
#include <string>

#include "api/problem.h"
#include "api/query_params.h"
#include "core/json_reader.h"
#include "core/wallet_signature.h"

namespace instamarket {
namespace {

constexpr std::size_t kMaxTxIdLength = 200;
constexpr std::size_t kMaxSignatureLength = 512;  // hex of 65 bytes is 132; base58/64 less
constexpr std::size_t kMaxTextLength = 1000;      // note, reason
// 2^53 - 1, the largest integer JSON clients keep exact: Tron's event index is a 48-bit hash.
constexpr std::int64_t kMaxEventIndex = 9'007'199'254'740'991;

std::string KeyActor(const HandlerContext& ctx) { return "key:" + std::to_string(ctx.key->id); }

// The body as a JSON object whose members are all in `allowed`; else a 422 to answer.
std::optional<HttpResponse> ParseObject(const HandlerContext& ctx,
                                        std::initializer_list<std::string_view> allowed,
                                        std::optional<JsonDocument>& out) {
  auto doc = JsonDocument::Parse(ctx.request.body);
  if (!doc) return ValidationProblem({{"body", "must be a JSON object: " + doc.error().message}});
  if (!doc->root().is_object()) return ValidationProblem({{"body", "must be a JSON object"}});
  std::vector<FieldError> errors;
  for (const auto& [name, value] : doc->root().items()) {
    bool known = false;
    for (auto a : allowed) known = known || name == a;
    if (!known) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      errors.push_back({name.substr(0, 64), "is not a field here (" + list + ")"});
    }
  }
  if (!errors.empty()) return ValidationProblem(errors);
  out.emplace(std::move(*doc));
  return std::nullopt;
}

// A string member of at most `max` bytes; nullopt with an error when it is something else.
std::optional<std::string> TextField(const nlohmann::json& root, const std::string& name,
                                     std::size_t max, bool required,
                                     std::vector<FieldError>& errors) {
  if (!root.contains(name)) {
    if (required) errors.push_back({name, "is required"});
    return std::nullopt;
  }
  const auto& v = root[name];
  if (!v.is_string() || (required && v.get_ref<const std::string&>().empty()) ||
      v.get_ref<const std::string&>().size() > max) {
    errors.push_back({name, std::string("must be a ") + (required ? "non-empty " : "") +
                                "string of at most " + std::to_string(max) + " bytes"});
    return std::nullopt;
  }
  return v.get<std::string>();
}

// The claim of the path, the caller's own (admin routes: anyone's).
Result<ClaimRecord> PathClaim(const HandlerContext& ctx) {
  const std::string& id = ctx.path_params.at(0);
  return ctx.key ? ctx.db.claims().Get(ctx.key->id, id) : ctx.db.claims().GetAny(id);
}

HttpResponse ClaimResponse(const HandlerContext& ctx, int status, const ClaimRecord& claim) {
  JsonWriter json;
  WriteClaimJson(json, claim, ctx.now_seconds, ctx.key == nullptr);
  return JsonResponse(status, json.Take());
}

// Why a claim takes no proof or review now (nullopt: it may). An expired challenge is 410.
std::optional<HttpResponse> NotOpen(const ClaimRecord& claim, std::int64_t now) {
  std::string status = claim.EffectiveStatus(now);
  if (status == "expired") {
    return Problem(410, "the challenge of this claim expired; create a new claim");
  }
  if (status == "credited") return Problem(409, "this claim was already credited");
  if (status == "refused") return Problem(409, "this claim was refused");
  if (status == "in_review") {
    return Problem(409, "this claim is in review by finance; it no longer takes a proof");
  }
  if (claim.deposit_status != "unmatched") {
    return Problem(409, "this deposit was already credited (" + claim.deposit_status + ")");
  }
  return std::nullopt;
}

// A store refusal after the checks above passed (a race with another path): the claim as it is
// now says which.
HttpResponse RefusalAfterRace(const HandlerContext& ctx, const Error& error) {
  if (error.code == ErrorCode::kFailedPrecondition) {
    auto now = PathClaim(ctx);
    if (now) {
      if (auto refused = NotOpen(*now, ctx.now_seconds)) return *refused;
    }
  }
  return ProblemFor(error);
}

Status VerifyProof(const HandlerContext& ctx, const ClaimRecord& claim,
                   const std::string& signature, int* status_on_error) {
  *status_on_error = 422;
  if (claim.signature_scheme == "eip191") {
    return VerifyEvmPersonalSign(claim.challenge, signature, claim.from);
  }
  if (claim.signature_scheme == "tip191") {
    return VerifyTronMessageV2(claim.challenge, signature, claim.from);
  }
  const NetworkConfig* network = ctx.config.FindNetwork(claim.network);
  if (network && network->kind == "ton") {
    if (!ctx.wallet_public_key || !*ctx.wallet_public_key) {
      *status_on_error = 503;
      return MakeError(ErrorCode::kUnavailable,
                       "this server cannot look up TON public keys, so it cannot check TON "
                       "proofs; ask for a review (POST .../review) instead");
    }
    // The signature's format first: a garbage proof costs no chain lookup.
    auto verified = VerifyTonProof(
        claim.challenge, signature, claim.from,
        [&](const std::string& wallet) { return (*ctx.wallet_public_key)(claim.network, wallet); });
    if (!verified && verified.error().code == ErrorCode::kUnavailable) *status_on_error = 503;
    return verified;
  }
  return VerifySolanaMessage(claim.challenge, signature, claim.from);
}

HttpResponse AdminDecision(const HandlerContext& ctx, bool approve) {
  std::optional<JsonDocument> doc;
  if (auto bad = ParseObject(ctx, {"reason"}, doc)) return *bad;
  std::vector<FieldError> errors;
  auto reason = TextField(doc->root(), "reason", kMaxTextLength, true, errors);
  if (!errors.empty()) return ValidationProblem(errors);
  std::string actor(ctx.admin_actor);
  auto decided = approve ? ctx.db.claims().Credit(ctx.path_params.at(0), 0,
                                                  ClaimCreditPath::kApproval, *reason, actor)
                         : ctx.db.claims().Refuse(ctx.path_params.at(0), *reason, actor);
  if (!decided) return ProblemFor(decided.error());
  return ClaimResponse(ctx, 200, *decided);
}

}  // namespace

const char* SignatureSchemeOf(const std::string& kind) {
  if (kind == "evm") return "eip191";
  if (kind == "tron") return "tip191";
  if (kind == "solana" || kind == "ton") return "ed25519";
  return "";
}

void WriteClaimJson(JsonWriter& json, const ClaimRecord& c, std::int64_t now, bool admin) {
  json.BeginObject()
      .Field("claim_id", c.id)
      .Field("status", c.EffectiveStatus(now))
      .Key("deposit")
      .BeginObject()
      .Field("network", c.network)
      .Field("tx_id", c.tx_id)
      .Field("event_index", c.event_index)
      .Field("amount_usdt", c.amount)
      .Field("from", c.from)
      .EndObject()
      .Field("signature_scheme", c.signature_scheme)
      .Field("challenge", c.challenge)
      .Field("created_at", c.created_at)
      .Field("expires_at", c.expires_at);
  auto nullable_text = [&](const char* name, const std::optional<std::string>& v) {
    json.Key(name);
    if (v)
      json.String(*v);
    else
      json.Null();
  };
  auto nullable_int = [&](const char* name, const std::optional<std::int64_t>& v) {
    json.Key(name);
    if (v)
      json.Int(*v);
    else
      json.Null();
  };
  nullable_text("note", c.note);
  nullable_text("reason", c.decision_reason);
  nullable_int("decided_at", c.decided_at);
  nullable_int("transaction_id", c.ledger_transaction_id);
  if (admin) {
    json.Field("key_id", c.key_id).Field("deposit_id", c.deposit_id);
    json.Field("deposit_status", c.deposit_status);
    nullable_text("decided_by", c.decided_by);
    json.Key("review");
    if (c.review) {
      const ClaimReview& r = *c.review;
      json.BeginObject()
          .Field("sender_deposits", r.sender_deposits)
          .Field("sender_credited_to_other_keys", r.sender_credited_to_other_keys)
          .Field("sender_other_keys", r.sender_other_keys)
          .Field("contested", r.contested);
      json.Key("other_claims").BeginArray();
      for (const auto& o : r.other_claims) {
        json.BeginObject()
            .Field("claim_id", o.id)
            .Field("key_id", o.key_id)
            .Field("status", o.status)
            .EndObject();
      }
      json.EndArray().Field("other_claims_total", r.other_claims_total);
      nullable_int("late_for_key_id", r.late_for_key_id);
      json.Key("warnings").BeginArray();
      for (const auto& w : r.warnings) json.String(w);
      json.EndArray().EndObject();
    } else {
      json.Null();
    }
  }
  json.EndObject();
}

HttpResponse HandleCreateClaim(const HandlerContext& ctx) {
  std::optional<JsonDocument> doc;
  if (auto bad = ParseObject(ctx, {"network", "tx_id", "event_index"}, doc)) return *bad;
  const auto& root = doc->root();
  std::vector<FieldError> errors;
  const NetworkConfig* network = nullptr;
  if (auto id = TextField(root, "network", 100, true, errors)) {
    network = ctx.config.FindNetwork(*id);
    if (!network) errors.push_back({"network", "is not a network of this server"});
  }
  auto tx_id = TextField(root, "tx_id", kMaxTxIdLength, true, errors);
  std::int64_t event_index = 0;
  if (root.contains("event_index")) {
    const auto& v = root["event_index"];
    if (!v.is_number_integer() || v.get<std::int64_t>() < 0 ||
        v.get<std::int64_t>() > kMaxEventIndex) {
      errors.push_back({"event_index", "must be an integer from 0 to 9007199254740991"});
    } else {
      event_index = v.get<std::int64_t>();
    }
  }
  if (!errors.empty()) return ValidationProblem(errors);
  std::string scheme = SignatureSchemeOf(network->kind);
  if (scheme.empty()) return Problem(409, "deposits on " + network->id + " cannot be claimed");
  NewClaim request{ctx.key->id,
                   network->id,
                   *tx_id,
                   event_index,
                   scheme,
                   ctx.config.topups.claim_challenge_seconds,
                   ctx.config.topups.max_open_claims};
  auto claim = ctx.db.claims().Create(request, KeyActor(ctx));
  if (!claim) {
    if (claim.error().code == ErrorCode::kResourceExhausted) {
      return Problem(409, claim.error().message);
    }
    return ProblemFor(claim.error());
  }
  return ClaimResponse(ctx, 201, *claim);
}

HttpResponse HandleListClaims(const HandlerContext& ctx) {
  auto params = QueryParams::Parse(ctx.request.Query());
  if (!params) return ValidationProblem({{"query", params.error().message}});
  std::vector<FieldError> errors;
  auto limit = params->Integer("limit", 50, 1, 200, errors);
  if (!errors.empty()) return ValidationProblem(errors);
  auto rows = ctx.db.claims().ListForKey(ctx.key->id, static_cast<int>(limit));
  if (!rows) return ProblemFor(rows.error());
  JsonWriter json;
  json.BeginObject().Key("items").BeginArray();
  for (const auto& c : *rows) WriteClaimJson(json, c, ctx.now_seconds, false);
  json.EndArray().EndObject();
  return JsonResponse(200, json.Take());
}

HttpResponse HandleGetClaim(const HandlerContext& ctx) {
  auto claim = PathClaim(ctx);
  if (!claim) return ProblemFor(claim.error());
  return ClaimResponse(ctx, 200, *claim);
}

HttpResponse HandleProveClaim(const HandlerContext& ctx) {
  std::optional<JsonDocument> doc;
  if (auto bad = ParseObject(ctx, {"signature"}, doc)) return *bad;
  std::vector<FieldError> errors;
  auto signature = TextField(doc->root(), "signature", kMaxSignatureLength, true, errors);
  if (!errors.empty()) return ValidationProblem(errors);
  auto claim = PathClaim(ctx);
  if (!claim) return ProblemFor(claim.error());
  if (auto refused = NotOpen(*claim, ctx.now_seconds)) return *refused;
  int status_on_error = 422;
  auto verified = VerifyProof(ctx, *claim, *signature, &status_on_error);
  if (!verified) {
    if (status_on_error == 503) {
      HttpResponse response = Problem(503, verified.error().message);
      response.AddHeader("Retry-After", "30");
      return response;
    }
    return ValidationProblem({{"signature", verified.error().message}});
  }
  auto credited = ctx.db.claims().Credit(claim->id, ctx.key->id, ClaimCreditPath::kProof,
                                         *signature, KeyActor(ctx));
  if (!credited) return RefusalAfterRace(ctx, credited.error());
  return ClaimResponse(ctx, 200, *credited);
}

HttpResponse HandleRequestClaimReview(const HandlerContext& ctx) {
  std::optional<JsonDocument> doc;
  if (auto bad = ParseObject(ctx, {"note"}, doc)) return *bad;
  std::vector<FieldError> errors;
  auto note = TextField(doc->root(), "note", kMaxTextLength, false, errors);
  if (!errors.empty()) return ValidationProblem(errors);
  auto claim = PathClaim(ctx);
  if (!claim) return ProblemFor(claim.error());
  if (auto refused = NotOpen(*claim, ctx.now_seconds)) return *refused;
  auto reviewed =
      ctx.db.claims().RequestReview(claim->id, ctx.key->id, note.value_or(""), KeyActor(ctx));
  if (!reviewed) return RefusalAfterRace(ctx, reviewed.error());
  return ClaimResponse(ctx, 200, *reviewed);
}

HttpResponse HandleAdminListClaims(const HandlerContext& ctx) {
  auto params = QueryParams::Parse(ctx.request.Query());
  if (!params) return ValidationProblem({{"query", params.error().message}});
  std::vector<FieldError> errors;
  auto status = params->Text("status", 20, errors).value_or("all");
  if (status != "all" && status != "awaiting_proof" && status != "in_review" &&
      status != "credited" && status != "refused" && status != "expired") {
    errors.push_back(
        {"status", "must be awaiting_proof, in_review, credited, refused, expired or all"});
  }
  auto limit = params->Integer("limit", 100, 1, 10000, errors);
  if (!errors.empty()) return ValidationProblem(errors);
  std::optional<std::string> filter;
  if (status != "all") filter = status;
  auto rows = ctx.db.claims().List(filter, static_cast<int>(limit));
  if (!rows) return ProblemFor(rows.error());
  JsonWriter json;
  json.BeginObject().Key("items").BeginArray();
  for (const auto& c : *rows) WriteClaimJson(json, c, ctx.now_seconds, true);
  json.EndArray().EndObject();
  return JsonResponse(200, json.Take());
}

HttpResponse HandleAdminApproveClaim(const HandlerContext& ctx) { return AdminDecision(ctx, true); }

HttpResponse HandleAdminRefuseClaim(const HandlerContext& ctx) { return AdminDecision(ctx, false); }

}  // namespace instamarket
