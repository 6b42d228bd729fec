#include "ledger/claim_store.h"

#include <spdlog/spdlog.h>

#include <cctype>
#include <ctime>
#include <functional>
#include <map>
#include <tuple>
#include <utility>
#include <vector>

#include "core/crypto.h"
#include "core/json_writer.h"
#include "core/utc_time_text.h"
#include "ledger/audit_write.h"
#include "ledger/deposit_credit.h"
#include "ledger/ledger_entry.h"
#include "ledger/pg_array.h"
#include "ledger/pg_pool.h"
#include "ledger/topup_events.h"
#include "ledger/uuid_text.h"

namespace instamarket {
namespace {

constexpr char kSelectClaim[] = R"sql(
  SELECT c.id::text, c.key_id, c.status, c.signature_scheme, c.challenge,
         floor(extract(epoch FROM c.created_at))::bigint, floor(extract(epoch FROM c.expires_at))::bigint,
         c.note, c.decided_by, c.decision_reason, floor(extract(epoch FROM c.decided_at))::bigint,
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

// Why a deposit cannot be claimed (empty when it can). `reason` is the unmatched reason.
std::string NotClaimable(const std::string& status, const std::optional<std::string>& reason,
                         std::int64_t amount) {
  if (status == "external") return "this deposit paid a reservation and cannot be claimed";
  if (status != "unmatched") return "this deposit was already credited (" + status + ")";
  if (amount <= 0 || reason == "amount_out_of_range")
    return "this deposit has no creditable amount (out of range)";
  return "";
}

// A claim's audit details; `extra` writes its own fields (a note, a reason) after them.
std::string AuditDetails(const ClaimRecord& c,
                         const std::function<void(JsonWriter&)>& extra = nullptr) {
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
  if (extra) extra(json);
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

// Whether a sender address names nobody (the chain did not tell who sent the deposit): its
// "deposits" have nothing in common, so they are not counted together.
bool UnknownSender(const std::string& from) { return from.empty() || from == "unknown"; }

// The review facts of each claim (ClaimReview), in three queries whatever their number: the
// intent each deposit came late for; the sender counts, once per distinct sender (network,
// address) and, for those about other keys, per distinct (sender, claimant key), each stopping
// at ClaimReview::kCountCap rows; other keys' claims on each deposit, the newest
// kMaxOtherClaims of them read with their count. Read-only.
void FillReviews(pqxx::transaction_base& tx, std::vector<ClaimRecord>& claims) {
  if (claims.empty()) return;
  std::map<std::string, ClaimReview> by_id;
  PgArray ids;
  for (const auto& c : claims) ids.Add(c.id);
  for (const auto& r : tx.exec_params(R"sql(
      SELECT c.id::text, t.key_id
        FROM deposit_claims c JOIN deposits d ON d.id = c.deposit_id
        JOIN topup_intents t ON t.id = d.intent_id
       WHERE c.id = ANY($1::uuid[]) AND d.reason = 'expired' AND t.key_id <> c.key_id)sql",
                                      ids.str())) {
    by_id[r[0].as<std::string>()].late_for_key_id = r[1].as<std::int64_t>();
  }

  // The distinct (network, sender, claimant key) of the claims, unknown senders left out.
  using SenderKey = std::tuple<std::string, std::string, std::int64_t>;
  std::map<SenderKey, std::tuple<std::int64_t, std::int64_t, std::int64_t>> counts;
  PgArray networks, senders, keys;
  for (const auto& c : claims) {
    if (UnknownSender(c.from)) continue;
    if (!counts.emplace(SenderKey{c.network, c.from, c.key_id}, std::tuple{1, 0, 0}).second)
      continue;
    networks.Add(c.network);
    senders.Add(c.from);
    keys.Add(c.key_id);
  }
  if (!counts.empty()) {
    for (const auto& r :
         tx.exec_params(R"sql(
        WITH wanted AS (
          SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) AS w(network, sender, key_id)),
        senders AS (
          SELECT s.network, s.sender,
                 (SELECT count(*) FROM (SELECT 1 FROM deposits o
                                         WHERE o.network = s.network AND o.from_address = s.sender
                                         LIMIT $4) capped) AS deposits
            FROM (SELECT DISTINCT network, sender FROM wanted) s)
        SELECT w.network, w.sender, w.key_id, s.deposits, other.credited, other.keys
          FROM wanted w JOIN senders s USING (network, sender)
          CROSS JOIN LATERAL (
            SELECT count(*) AS credited, count(DISTINCT capped.key_id) AS keys
              FROM (SELECT o.key_id FROM deposits o
                     WHERE o.network = w.network AND o.from_address = w.sender
                       AND o.key_id <> w.key_id
                       AND o.status IN ('credited', 'assigned', 'claimed')
                     LIMIT $4) capped) other)sql",
                        networks.str(), senders.str(), keys.str(), ClaimReview::kCountCap)) {
      counts[SenderKey{r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::int64_t>()}] = {
          r[3].as<std::int64_t>(), r[4].as<std::int64_t>(), r[5].as<std::int64_t>()};
    }
  }

  // Other keys' claims on each claim's deposit: the newest kMaxOtherClaims, their count, and
  // whether any of them (not only the newest) is open or credited.
  for (const auto& r : tx.exec_params(R"sql(
      SELECT claim_id, other_id, other_key, other_status, total, contested FROM (
        SELECT c.id::text AS claim_id, o.id::text AS other_id, o.key_id AS other_key,
               CASE WHEN o.status = 'awaiting_proof' AND o.expires_at <= now() THEN 'expired'
                    ELSE o.status END AS other_status,
               row_number() OVER w AS n,
               count(*) OVER (PARTITION BY c.id) AS total,
               bool_or(o.status = 'in_review' OR o.status = 'credited'
                       OR (o.status = 'awaiting_proof' AND o.expires_at > now()))
                 OVER (PARTITION BY c.id) AS contested
          FROM deposit_claims c
          JOIN deposit_claims o ON o.deposit_id = c.deposit_id AND o.key_id <> c.key_id
         WHERE c.id = ANY($1::uuid[])
        WINDOW w AS (PARTITION BY c.id ORDER BY o.created_at DESC, o.id)) numbered
       WHERE n <= $2
       ORDER BY claim_id, n)sql",
                                      ids.str(), static_cast<int>(ClaimReview::kMaxOtherClaims))) {
    ClaimReview& review = by_id[r[0].as<std::string>()];
    review.other_claims.push_back(
        {r[1].as<std::string>(), r[2].as<std::int64_t>(), r[3].as<std::string>()});
    review.other_claims_total = r[4].as<std::int64_t>();
    review.contested = r[5].as<bool>();
  }

  for (auto& c : claims) {
    ClaimReview review = std::move(by_id[c.id]);
    if (UnknownSender(c.from)) {
      review.sender_deposits = 1;  // this one: an unknown sender is nobody in particular
    } else {
      const auto& [deposits, credited, other_keys] = counts[SenderKey{c.network, c.from, c.key_id}];
      review.sender_deposits = deposits;
      review.sender_credited_to_other_keys = credited;
      review.sender_other_keys = other_keys;
      if (credited > 0) review.warnings.push_back("shared_sender");
    }
    if (review.contested) review.warnings.push_back("contested");
    if (review.late_for_key_id) review.warnings.push_back("late_for_another_keys_topup");
    if (UnknownSender(c.from)) review.warnings.push_back("unknown_sender");
    c.review = std::move(review);
  }
}

ClaimRecord WithReview(pqxx::transaction_base& tx, ClaimRecord claim) {
  std::vector<ClaimRecord> one{std::move(claim)};
  FillReviews(tx, one);
  return std::move(one[0]);
}

// `claim` with its review, read after finance's decision was committed and apart from it, so
// that a slow review (a statement timeout) never undoes the decision: on any error the claim
// is returned without its review (`review` null) and the error is logged.
ClaimRecord WithReviewAfterCommit(PgPool& pool, ClaimRecord claim) {
  try {
    auto reviewed = pool.With<ClaimRecord>([&](pqxx::connection& conn) -> Result<ClaimRecord> {
      pqxx::read_transaction tx(conn);
      return WithReview(tx, claim);
    });
    if (reviewed) return std::move(*reviewed);
    spdlog::warn("claim {}: the decision is committed; its review could not be read: {}", claim.id,
                 reviewed.error().message);
  } catch (const std::exception& e) {
    spdlog::warn("claim {}: the decision is committed; its review could not be read: {}", claim.id,
                 e.what());
  } catch (...) {
    spdlog::warn("claim {}: the decision is committed; its review could not be read", claim.id);
  }
  return claim;
}

// The claim refusals of RefuseOpenClaims, in the caller's transaction.
int RefuseOpen(pqxx::work& tx, std::int64_t deposit_id, const std::string& except_claim_id,
               const std::string& reason, const std::string& settled_by, const std::string& actor) {
  int refused_count = 0;
  for (const auto& other : tx.exec_params(
           "UPDATE deposit_claims SET status = 'refused', decided_by = $3, decided_at = now(), "
           "decision_reason = $4 "
           "WHERE deposit_id = $1 AND id::text <> $2 "
           "AND status IN ('awaiting_proof', 'in_review') RETURNING id::text",
           deposit_id, except_claim_id, actor, reason)) {
    ClaimRecord refused = Reload(tx, other[0].as<std::string>());
    WriteAudit(tx, actor, "claims.refused", "claim:" + refused.id,
               AuditDetails(refused, [&](JsonWriter& j) {
                 j.Field("reason", reason).Field("settled_by", settled_by);
               }));
    ++refused_count;
  }
  return refused_count;
}

}  // namespace

int RefuseOpenClaims(pqxx::work& tx, std::int64_t deposit_id, const std::string& except_claim_id,
                     const std::string& reason, const std::string& settled_by,
                     const std::string& actor) {
  return RefuseOpen(tx, deposit_id, except_claim_id, reason, settled_by, actor);
}

std::string ClaimChallengeText(const ClaimChallengeFacts& f) {
  return "instamarket deposit claim\nclaim: " + f.claim_id + "\nkey: " + std::to_string(f.key_id) +
         "\nnetwork: " + f.network + "\ntx: " + f.tx_id +
         "\nindex: " + std::to_string(f.event_index) + "\namount: " + f.amount.ToJsonNumber() +
         " USDT\nfrom: " + f.from + "\nexpires: " + UtcTimeText(f.expires_at) +
         "\nnonce: " + f.nonce;
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
    return WithReview(tx, ReadClaim(rows[0]));
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
    FillReviews(tx, out);
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
  auto approved = pool_->With<ClaimRecord>([&](pqxx::connection& conn) -> Result<ClaimRecord> {
    pqxx::work tx(conn);
    // The deposit first (its id never changes), then the claim: the lock order of Create.
    auto found = tx.exec_params("SELECT deposit_id, key_id FROM deposit_claims WHERE id = $1::uuid",
                                claim_id);
    if (found.empty() || (proof && found[0][1].as<std::int64_t>() != key_id)) return NoSuchClaim();
    auto deposit = tx.exec_params(
        "SELECT status, reason, amount, intent_id::text FROM deposits WHERE id = $1 FOR UPDATE",
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
    // An intent of the claimant this deposit came late for is credited with it, as the
    // watcher would have in its window; another key's is left alone, and no longer linked.
    std::optional<std::string> late_for;
    if (reason == "expired" && !deposit[0][3].is_null()) late_for = deposit[0][3].as<std::string>();
    std::optional<std::string> intent_credited;
    if (late_for) {
      // Its sighting (if the transfer was seen before finality) is over: cleared.
      auto intent = tx.exec_params(std::string(R"sql(
        UPDATE topup_intents t
           SET status = CASE WHEN $3 < t.requested_amount THEN 'credited_short'
                             ELSE 'credited_manual' END,
               deposit_id = $4, credited_at = now(), )sql") +
                                       kClearTopupConfirmingSql + R"sql(
         WHERE t.id = $1::uuid AND t.key_id = $2 AND t.status IN ('pending', 'expired')
        RETURNING t.status, t.amount)sql",
                                   *late_for, c.key_id, c.amount.micros(), c.deposit_id);
      if (!intent.empty()) {
        intent_credited = late_for;
        std::string status = intent[0][0].as<std::string>();
        JsonWriter json;
        json.BeginObject()
            .Field("topup_id", *late_for)
            .Field("deposit_id", c.deposit_id)
            .Field("network", c.network)
            .Field("tx_id", c.tx_id)
            .Field("amount_usdt", c.amount)
            .Field("intent_amount_usdt", Money::FromMicros(intent[0][1].as<std::int64_t>()))
            .Field("matched_by", "claim")
            .Field("claim_id", c.id)
            .Field("ledger_transaction_id", *transaction_id)
            .EndObject();
        WriteAudit(tx, actor,
                   status == "credited_short" ? "topup.credited_short" : "topup.credited",
                   KeyAccountCode(c.key_id), json.Take());
      }
    }
    tx.exec_params(
        "UPDATE deposits SET status = 'claimed', key_id = $2, ledger_transaction_id = $3, "
        "credited_at = now(), intent_id = $4::uuid WHERE id = $1",
        c.deposit_id, c.key_id, *transaction_id,
        intent_credited ? intent_credited->c_str() : nullptr);
    tx.exec_params(
        "UPDATE deposit_claims SET status = 'credited', decided_by = $2, decided_at = now(), "
        "ledger_transaction_id = $3, proof_signature = $4, decision_reason = $5 "
        "WHERE id = $1::uuid",
        c.id, actor, *transaction_id, proof ? signature_or_reason.c_str() : nullptr,
        proof ? nullptr : signature_or_reason.c_str());
    // Other keys' open claims on the deposit are settled now: it is no longer unmatched.
    int refused =
        RefuseOpen(tx, c.deposit_id, c.id, "the deposit was credited through another claim",
                   std::string(proof ? "proof" : "approval") + " of claim " + c.id, actor);
    ClaimRecord credited = Reload(tx, c.id);
    WriteAudit(tx, actor, proof ? "claims.credited" : "claims.approved", "claim:" + c.id,
               AuditDetails(credited, [&](JsonWriter& j) {
                 j.Field("other_claims_refused", refused);
                 if (!proof) j.Field("reason", signature_or_reason);
                 if (late_for) j.Field("late_for_topup_id", *late_for);
                 if (intent_credited) j.Field("topup_credited", *intent_credited);
               }));
    if (intent_credited) EnqueueTopupCreditEvent(tx, *intent_credited);
    tx.commit();
    return credited;
  });
  if (approved && !proof) *approved = WithReviewAfterCommit(*pool_, std::move(*approved));
  return approved;
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
               AuditDetails(c, [&](JsonWriter& j) { j.Field("note", note); }));
    tx.commit();
    return c;
  });
}

Result<ClaimRecord> ClaimStore::Refuse(const std::string& claim_id, const std::string& reason,
                                       const std::string& actor) {
  if (reason.empty()) return MakeError(ErrorCode::kInvalidArgument, "a reason is required");
  if (!IsUuid(claim_id)) return NoSuchClaim();
  auto refused = pool_->With<ClaimRecord>([&](pqxx::connection& conn) -> Result<ClaimRecord> {
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
    WriteAudit(tx, actor, "claims.refused", "claim:" + c.id,
               AuditDetails(c, [&](JsonWriter& j) { j.Field("reason", reason); }));
    tx.commit();
    return c;
  });
  if (refused) *refused = WithReviewAfterCommit(*pool_, std::move(*refused));
  return refused;
}

}  // namespace instamarket
