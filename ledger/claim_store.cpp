#include "ledger/claim_store.h"

#include <cctype>
#include <ctime>

#include "core/crypto.h"
#include "core/json_writer.h"
#include "ledger/audit_write.h"
#include "ledger/deposit_credit.h"
#include "ledger/pg_pool.h"
#include "ledger/uuid_text.h"

namespace instamarket {
namespace {

constexpr char kSelectClaim[] = R"sql(
  SELECT c.id::text, c.key_id, c.status, c.signature_scheme, c.challenge,
         extract(epoch FROM c.created_at)::bigint, extract(epoch FROM c.expires_at)::bigint,
         c.note, c.decided_by, c.decision_reason, extract(epoch FROM c.decided_at)::bigint,
         c.ledger_transaction_id, d.id, d.network, d.tx_id, d.event_index, d.from_address,
         d.amount, d.status
    FROM deposit_claims c JOIN deposits d ON d.id = c.deposit_id)sql";

ClaimRecord ReadClaim(const pqxx::row& r) {
  ClaimRecord c;
  c.id = r[0].as<std::string>();
  c.key_id = r[1].as<std::int64_t>();
  c.status = r[2].as<std::string>();
  c.signature_scheme = r[3].as<std::string>();
  c.challenge = r[4].as<std::string>();
  c.created_at = r[5].as<std::int64_t>();
  c.expires_at = r[6].as<std::int64_t>();
  if (!r[7].is_null()) c.note = r[7].as<std::string>();
  if (!r[8].is_null()) c.decided_by = r[8].as<std::string>();
  if (!r[9].is_null()) c.decision_reason = r[9].as<std::string>();
  if (!r[10].is_null()) c.decided_at = r[10].as<std::int64_t>();
  if (!r[11].is_null()) c.ledger_transaction_id = r[11].as<std::int64_t>();
  c.deposit_id = r[12].as<std::int64_t>();
  c.network = r[13].as<std::string>();
  c.tx_id = r[14].as<std::string>();
  c.event_index = r[15].as<std::int64_t>();
  c.from = r[16].as<std::string>();
  c.amount = Money::FromMicros(r[17].as<std::int64_t>());
  c.deposit_status = r[18].as<std::string>();
  return c;
}

Error NoSuchClaim() { return MakeError(ErrorCode::kNotFound, "no such claim"); }

std::string IsoTime(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Why a deposit cannot be claimed (empty when it can). `reason` is the unmatched reason.
std::string NotClaimable(const std::string& status, const std::optional<std::string>& reason,
                         std::int64_t amount) {
  if (status == "external") return "this deposit paid a reservation and cannot be claimed";
  if (status != "unmatched") return "this deposit was already credited (" + status + ")";
  if (amount <= 0 || reason == "amount_out_of_range")
    return "this deposit has no creditable amount (out of range)";
  return "";
}

std::string AuditDetails(const ClaimRecord& c, const std::string& extra_key = "",
                         const std::string& extra_value = "") {
  JsonWriter json;
  json.BeginObject()
      .Field("claim_id", c.id)
      .Field("key_id", c.key_id)
      .Field("deposit_id", c.deposit_id)
      .Field("network", c.network)
      .Field("tx_id", c.tx_id)
      .Field("event_index", c.event_index)
      .Field("amount_usdt", c.amount)
      .Field("from", c.from);
  if (!extra_key.empty()) json.Field(extra_key, extra_value);
  if (c.ledger_transaction_id) json.Field("transaction_id", *c.ledger_transaction_id);
  return json.EndObject().Take();
}

Result<ClaimRecord> LoadForUpdate(pqxx::work& tx, const std::string& claim_id) {
  auto rows = tx.exec_params(std::string(kSelectClaim) + " WHERE c.id = $1::uuid FOR UPDATE OF c",
                             claim_id);
  if (rows.empty()) return NoSuchClaim();
  return ReadClaim(rows[0]);
}

ClaimRecord Reload(pqxx::work& tx, const std::string& claim_id) {
  return ReadClaim(tx.exec_params1(std::string(kSelectClaim) + " WHERE c.id = $1::uuid", claim_id));
}

}  // namespace

std::string ClaimChallengeText(const ClaimChallengeFacts& f) {
  return "instamarket deposit claim\nclaim: " + f.claim_id + "\nkey: " + std::to_string(f.key_id) +
         "\nnetwork: " + f.network + "\ntx: " + f.tx_id +
         "\nindex: " + std::to_string(f.event_index) + "\namount: " + f.amount.ToJsonNumber() +
         " USDT\nfrom: " + f.from + "\nexpires: " + IsoTime(f.expires_at) + "\nnonce: " + f.nonce;
}

ClaimStore::ClaimStore(std::shared_ptr<PgPool> pool) : pool_(std::move(pool)) {}

Result<ClaimRecord> ClaimStore::Create(const NewClaim& request, const std::string& actor) {
  return pool_->With<ClaimRecord>([&](pqxx::connection& conn) -> Result<ClaimRecord> {
    pqxx::work tx(conn);
    // Lock order everywhere: the deposit, then claims.
    auto deposit = tx.exec_params(
        "SELECT id, status, reason, amount, from_address FROM deposits "
        "WHERE network = $1 AND tx_id = $2 AND event_index = $3 FOR UPDATE",
        request.network, request.tx_id, request.event_index);
    if (deposit.empty()) {
      return MakeError(ErrorCode::kNotFound, "no deposit " + request.tx_id + " (index " +
                                                 std::to_string(request.event_index) + ") on " +
                                                 request.network + " was recorded");
    }
    std::int64_t deposit_id = deposit[0][0].as<std::int64_t>();
    std::optional<std::string> reason;
    if (!deposit[0][2].is_null()) reason = deposit[0][2].as<std::string>();
    std::int64_t amount = deposit[0][3].as<std::int64_t>();
    if (auto why = NotClaimable(deposit[0][1].as<std::string>(), reason, amount); !why.empty()) {
      return MakeError(ErrorCode::kFailedPrecondition, why);
    }
    // One claim creation per key at a time, so the cap on open claims is exact.
    tx.exec_params("SELECT 1 FROM api_keys WHERE id = $1 FOR NO KEY UPDATE", request.key_id);
    tx.exec_params(
        "UPDATE deposit_claims SET status = 'expired' "
        "WHERE key_id = $1 AND status = 'awaiting_proof' AND expires_at <= now()",
        request.key_id);
    auto open_here = tx.exec_params(
        "SELECT id::text FROM deposit_claims WHERE key_id = $1 AND deposit_id = $2 "
        "AND status IN ('awaiting_proof', 'in_review')",
        request.key_id, deposit_id);
    if (!open_here.empty()) {
      return MakeError(ErrorCode::kAlreadyExists,
                       "claim " + open_here[0][0].as<std::string>() +
                           " of this key on this deposit is still open; use it");
    }
    auto open = tx.exec_params1(
        "SELECT count(*) FROM deposit_claims WHERE key_id = $1 "
        "AND status IN ('awaiting_proof', 'in_review')",
        request.key_id);
    if (open[0].as<int>() >= request.max_open_claims) {
      return MakeError(ErrorCode::kResourceExhausted,
                       "this key has " + std::to_string(request.max_open_claims) +
                           " open claims, the most it may have; prove, or wait for them to "
                           "expire or be decided");
    }
    auto made =
        tx.exec_params1("SELECT gen_random_uuid()::text, floor(extract(epoch FROM now()))::bigint");
    ClaimChallengeFacts facts;
    facts.claim_id = made[0].as<std::string>();
    facts.key_id = request.key_id;
    facts.network = request.network;
    facts.tx_id = request.tx_id;
    facts.event_index = request.event_index;
    facts.from = deposit[0][4].as<std::string>();
    facts.amount = Money::FromMicros(amount);
    facts.expires_at = made[1].as<std::int64_t>() + request.challenge_seconds;
    facts.nonce = RandomHex(16);
    tx.exec_params(
        "INSERT INTO deposit_claims (id, key_id, deposit_id, signature_scheme, challenge, "
        "expires_at) VALUES ($1::uuid, $2, $3, $4, $5, to_timestamp($6))",
        facts.claim_id, request.key_id, deposit_id, request.signature_scheme,
        ClaimChallengeText(facts), facts.expires_at);
    ClaimRecord claim = Reload(tx, facts.claim_id);
    WriteAudit(tx, actor, "claims.created", "claim:" + claim.id, AuditDetails(claim));
    tx.commit();
    return claim;
  });
}

Result<ClaimRecord> ClaimStore::Get(std::int64_t key_id, const std::string& claim_id) {
  if (!IsUuid(claim_id)) return NoSuchClaim();
  return pool_->With<ClaimRecord>([&](pqxx::connection& conn) -> Result<ClaimRecord> {
    pqxx::nontransaction tx(conn);
    auto rows = tx.exec_params(
        std::string(kSelectClaim) + " WHERE c.id = $1::uuid AND c.key_id = $2", claim_id, key_id);
    if (rows.empty()) return NoSuchClaim();
    return ReadClaim(rows[0]);
  });
}

Result<ClaimRecord> ClaimStore::GetAny(const std::string& claim_id) {
  if (!IsUuid(claim_id)) return NoSuchClaim();
  return pool_->With<ClaimRecord>([&](pqxx::connection& conn) -> Result<ClaimRecord> {
    pqxx::nontransaction tx(conn);
    auto rows = tx.exec_params(std::string(kSelectClaim) + " WHERE c.id = $1::uuid", claim_id);
    if (rows.empty()) return NoSuchClaim();
    return ReadClaim(rows[0]);
  });
}

Result<std::vector<ClaimRecord>> ClaimStore::ListForKey(std::int64_t key_id, int limit) {
  using Rows = std::vector<ClaimRecord>;
  return pool_->With<Rows>([&](pqxx::connection& conn) -> Result<Rows> {
    pqxx::nontransaction tx(conn);
    Rows out;
    for (const auto& r : tx.exec_params(std::string(kSelectClaim) +
                                            " WHERE c.key_id = $1 ORDER BY c.created_at DESC, "
                                            "c.id LIMIT $2",
                                        key_id, limit)) {
      out.push_back(ReadClaim(r));
    }
    return out;
  });
}

Result<std::vector<ClaimRecord>> ClaimStore::List(const std::optional<std::string>& status,
                                                  int limit) {
  using Rows = std::vector<ClaimRecord>;
  return pool_->With<Rows>([&](pqxx::connection& conn) -> Result<Rows> {
    pqxx::nontransaction tx(conn);
    std::string where;
    if (status == "expired") {
      where =
          " WHERE (c.status = 'expired' OR (c.status = 'awaiting_proof' AND "
          "c.expires_at <= now()))";
    } else if (status == "awaiting_proof") {
      where = " WHERE c.status = 'awaiting_proof' AND c.expires_at > now()";
    } else if (status) {
      where = " WHERE c.status = $2";
    }
    std::string sql =
        std::string(kSelectClaim) + where + " ORDER BY c.created_at DESC, c.id LIMIT $1";
    Rows out;
    pqxx::result rows = where.find("$2") != std::string::npos ? tx.exec_params(sql, limit, *status)
                                                              : tx.exec_params(sql, limit);
    for (const auto& r : rows) out.push_back(ReadClaim(r));
    return out;
  });
}

Result<ClaimRecord> ClaimStore::Credit(const std::string& claim_id, std::int64_t key_id,
                                       ClaimCreditPath path, const std::string& signature_or_reason,
                                       const std::string& actor) {
  bool proof = path == ClaimCreditPath::kProof;
  if (!proof && signature_or_reason.empty())
    return MakeError(ErrorCode::kInvalidArgument, "a reason is required");
  if (!IsUuid(claim_id)) return NoSuchClaim();
  return pool_->With<ClaimRecord>([&](pqxx::connection& conn) -> Result<ClaimRecord> {
    pqxx::work tx(conn);
    // The deposit first (its id never changes), then the claim: the lock order of Create.
    auto found = tx.exec_params("SELECT deposit_id, key_id FROM deposit_claims WHERE id = $1::uuid",
                                claim_id);
    if (found.empty() || (proof && found[0][1].as<std::int64_t>() != key_id)) return NoSuchClaim();
    auto deposit =
        tx.exec_params("SELECT status, reason, amount FROM deposits WHERE id = $1 FOR UPDATE",
                       found[0][0].as<std::int64_t>());
    auto claim = LoadForUpdate(tx, claim_id);
    if (!claim) return claim.error();
    ClaimRecord c = *claim;
    auto lapsed =
        tx.exec_params1("SELECT $1 <= floor(extract(epoch FROM now()))::bigint", c.expires_at)[0]
            .as<bool>();
    if (c.status == "credited") {
      return MakeError(ErrorCode::kFailedPrecondition, "this claim was already credited");
    }
    if (c.status == "refused") {
      return MakeError(ErrorCode::kFailedPrecondition, "this claim was refused");
    }
    if (proof && c.status == "in_review") {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "this claim is in review by finance; it no longer takes a proof");
    }
    if (c.status == "expired" || (proof && lapsed)) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "the challenge of this claim expired; create a new claim");
    }
    std::optional<std::string> reason;
    if (!deposit[0][1].is_null()) reason = deposit[0][1].as<std::string>();
    if (auto why =
            NotClaimable(deposit[0][0].as<std::string>(), reason, deposit[0][2].as<std::int64_t>());
        !why.empty()) {
      return MakeError(ErrorCode::kFailedPrecondition, why);
    }
    // The ledger's idempotency key is the last guard: a deposit credited by another path
    // (watcher, assign) is refused here even if its row said otherwise.
    auto transaction_id = CreditDeposit(tx, c.network, c.deposit_id, c.tx_id, c.event_index,
                                        c.amount, c.key_id, "claim " + c.id);
    if (!transaction_id) return transaction_id.error();
    tx.exec_params(
        "UPDATE deposits SET status = 'claimed', key_id = $2, ledger_transaction_id = $3, "
        "credited_at = now() WHERE id = $1",
        c.deposit_id, c.key_id, *transaction_id);
    tx.exec_params(
        "UPDATE deposit_claims SET status = 'credited', decided_by = $2, decided_at = now(), "
        "ledger_transaction_id = $3, proof_signature = $4, decision_reason = $5 "
        "WHERE id = $1::uuid",
        c.id, actor, *transaction_id, proof ? signature_or_reason.c_str() : nullptr,
        proof ? nullptr : signature_or_reason.c_str());
    ClaimRecord credited = Reload(tx, c.id);
    WriteAudit(tx, actor, proof ? "claims.credited" : "claims.approved", "claim:" + c.id,
               AuditDetails(credited, proof ? "" : "reason", signature_or_reason));
    // Other keys' open claims on the deposit are settled now: it is no longer unmatched.
    for (const auto& other : tx.exec_params(
             "UPDATE deposit_claims SET status = 'refused', decided_by = $3, decided_at = now(), "
             "decision_reason = 'the deposit was credited through another claim' "
             "WHERE deposit_id = $1 AND id <> $2::uuid AND status IN ('awaiting_proof', "
             "'in_review') RETURNING id::text",
             c.deposit_id, c.id, actor)) {
      ClaimRecord refused = Reload(tx, other[0].as<std::string>());
      WriteAudit(tx, actor, "claims.refused", "claim:" + refused.id,
                 AuditDetails(refused, "reason", *refused.decision_reason));
    }
    tx.commit();
    return credited;
  });
}

Result<ClaimRecord> ClaimStore::RequestReview(const std::string& claim_id, std::int64_t key_id,
                                              const std::string& note, const std::string& actor) {
  if (!IsUuid(claim_id)) return NoSuchClaim();
  return pool_->With<ClaimRecord>([&](pqxx::connection& conn) -> Result<ClaimRecord> {
    pqxx::work tx(conn);
    auto claim = LoadForUpdate(tx, claim_id);
    if (!claim) return claim.error();
    if (claim->key_id != key_id) return NoSuchClaim();
    auto lapsed = tx.exec_params1("SELECT $1 <= floor(extract(epoch FROM now()))::bigint",
                                  claim->expires_at)[0]
                      .as<bool>();
    if (claim->status == "expired" || (claim->status == "awaiting_proof" && lapsed)) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "the challenge of this claim expired; create a new claim");
    }
    if (claim->status != "awaiting_proof") {
      return MakeError(ErrorCode::kFailedPrecondition, "this claim is already " + claim->status);
    }
    if (claim->deposit_status != "unmatched") {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "this deposit was already credited (" + claim->deposit_status + ")");
    }
    tx.exec_params(
        "UPDATE deposit_claims SET status = 'in_review', note = $2, review_requested_at = now() "
        "WHERE id = $1::uuid",
        claim_id, note);
    ClaimRecord c = Reload(tx, claim_id);
    WriteAudit(tx, actor, "claims.review_requested", "claim:" + c.id,
               AuditDetails(c, "note", note));
    tx.commit();
    return c;
  });
}

Result<ClaimRecord> ClaimStore::Refuse(const std::string& claim_id, const std::string& reason,
                                       const std::string& actor) {
  if (reason.empty()) return MakeError(ErrorCode::kInvalidArgument, "a reason is required");
  if (!IsUuid(claim_id)) return NoSuchClaim();
  return pool_->With<ClaimRecord>([&](pqxx::connection& conn) -> Result<ClaimRecord> {
    pqxx::work tx(conn);
    auto claim = LoadForUpdate(tx, claim_id);
    if (!claim) return claim.error();
    if (claim->status != "awaiting_proof" && claim->status != "in_review") {
      return MakeError(ErrorCode::kFailedPrecondition, "this claim is already " + claim->status);
    }
    tx.exec_params(
        "UPDATE deposit_claims SET status = 'refused', decided_by = $2, decision_reason = $3, "
        "decided_at = now() WHERE id = $1::uuid",
        claim_id, actor, reason);
    ClaimRecord c = Reload(tx, claim_id);
    WriteAudit(tx, actor, "claims.refused", "claim:" + c.id, AuditDetails(c, "reason", reason));
    tx.commit();
    return c;
  });
}

}  // namespace instamarket
