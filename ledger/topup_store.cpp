#include "ledger/topup_store.h"

#include <algorithm>
#include <ctime>
#include <set>
#include <string_view>

#include "core/crypto.h"
#include "core/json_writer.h"
#include "core/payment_memo.h"
#include "core/utc_time_text.h"
#include "ledger/audit_write.h"
#include "ledger/pg_array.h"
#include "ledger/pg_pool.h"
#include "ledger/topup_events.h"
#include "ledger/uuid_text.h"

namespace instamarket {
namespace {

constexpr char kSelectIntent[] = R"sql(
  SELECT t.id::text, t.key_id, t.network, t.requested_amount, t.amount, t.status,
         floor(extract(epoch FROM t.created_at))::bigint,
         floor(extract(epoch FROM t.expires_at))::bigint,
         d.tx_id, d.amount, floor(extract(epoch FROM t.credited_at))::bigint,
         coalesce(t.payment_memo, '')
    FROM topup_intents t LEFT JOIN deposits d ON d.id = t.deposit_id)sql";

constexpr char kSelectReservation[] = R"sql(
  SELECT r.id, r.network, r.amount, r.label, r.actor, r.status,
         floor(extract(epoch FROM r.created_at))::bigint, floor(extract(epoch FROM r.expires_at))::bigint,
         r.deposit_id, d.tx_id
    FROM amount_reservations r LEFT JOIN deposits d ON d.id = r.deposit_id)sql";

// How many free amounts one request tries before it gives up: each failed try means another
// request took that amount since we looked, which a handful of tries rides out.
constexpr int kMaxAttempts = 16;

TopupIntent ReadIntent(const pqxx::row& row) {
  TopupIntent t;
  t.id = row[0].as<std::string>();
  t.key_id = row[1].as<std::int64_t>();
  t.network = row[2].as<std::string>();
  t.requested_amount = Money::FromMicros(row[3].as<std::int64_t>());
  t.amount = Money::FromMicros(row[4].as<std::int64_t>());
  t.status = row[5].as<std::string>();
  t.created_at = row[6].as<std::int64_t>();
  t.expires_at = row[7].as<std::int64_t>();
  if (!row[8].is_null()) t.deposit_tx_id = row[8].as<std::string>();
  if (!row[9].is_null()) t.deposit_amount = Money::FromMicros(row[9].as<std::int64_t>());
  if (!row[10].is_null()) t.credited_at = row[10].as<std::int64_t>();
  t.payment_memo = row[11].as<std::string>();
  return t;
}

Reservation ReadReservation(const pqxx::row& row) {
  Reservation r;
  r.id = row[0].as<std::int64_t>();
  r.network = row[1].as<std::string>();
  r.amount = Money::FromMicros(row[2].as<std::int64_t>());
  r.label = row[3].as<std::string>();
  r.actor = row[4].as<std::string>();
  r.status = row[5].as<std::string>();
  r.created_at = row[6].as<std::int64_t>();
  r.expires_at = row[7].as<std::int64_t>();
  if (!row[8].is_null()) r.deposit_id = row[8].as<std::int64_t>();
  if (!row[9].is_null()) r.deposit_tx_id = row[9].as<std::string>();
  return r;
}

// The fees an amount is held less of (0: the amount itself), leaving out any that would not
// leave a positive amount.
std::vector<std::int64_t> HeldFees(std::int64_t amount, const std::vector<std::int64_t>& fees) {
  std::vector<std::int64_t> held{0};
  for (std::int64_t fee : fees) {
    if (fee > 0 && fee < amount) held.push_back(fee);
  }
  // Ascending and once each: inserts of overlapping values then take them in one order.
  std::sort(held.begin(), held.end());
  held.erase(std::unique(held.begin(), held.end()), held.end());
  return held;
}

// The largest fee an amount is held less of: the band's held values start this far below it.
std::int64_t MaxFee(const std::vector<std::int64_t>& fees) {
  std::int64_t max_fee = 0;
  for (std::int64_t fee : fees) max_fee = std::max(max_fee, fee);
  return max_fee;
}

// The elements of a one-dimensional array of numbers or UUIDs in PostgreSQL's text form
// ({1,2,3}; such elements are never quoted). NULL or {}: none.
std::vector<std::string> ArrayElements(const pqxx::field& field) {
  std::vector<std::string> out;
  if (field.is_null()) return out;
  std::string_view text = field.c_str();
  if (text.size() < 2) return out;
  text = text.substr(1, text.size() - 2);
  while (!text.empty()) {
    std::size_t comma = text.find(',');
    out.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

// The amounts from `first` to `last` in 0.01 steps whose every held value (the amount less
// each fee) is free on the wallet, in a random order from the CSPRNG: nobody can tell which
// amount the next intent gets. Whole USDT amounts are left out but for `round_allowed`: a
// round sum is what a client sends by mistake instead of the amount he was told, and it must
// then credit nobody rather than whoever happens to hold it. `held`: the values held from
// `first` less the largest fee to `last` by holds that have not ended.
std::vector<std::int64_t> FreeAmounts(const std::set<std::int64_t>& held, std::int64_t first,
                                      std::int64_t last, const std::vector<std::int64_t>& fees,
                                      std::optional<std::int64_t> round_allowed) {
  std::vector<std::int64_t> free;
  for (std::int64_t amount = first; amount <= last; amount += TopupStore::kStepMicros) {
    if (amount % 1'000'000 == 0 && amount != round_allowed) continue;
    bool all_free = true;
    for (std::int64_t fee : HeldFees(amount, fees)) {
      // A value held less a fee may not be round either (fee 0.80 on 10.80 holds 10.00).
      std::int64_t value = amount - fee;
      all_free =
          all_free && !held.count(value) && (value % 1'000'000 != 0 || value == round_allowed);
    }
    if (all_free) free.push_back(amount);
  }
  for (std::size_t i = free.size(); i > 1; --i) {
    std::swap(free[i - 1], free[RandomBelow(i)]);
  }
  return free;
}

// Inserts the holds of `amount` for one holder in the caller's subtransaction. False when a
// concurrent request took one of the values since FreeAmounts looked: the unique index made
// our insert wait for it and skip that value.
bool InsertHolds(pqxx::subtransaction& sub, const std::string& network, std::int64_t amount,
                 const std::vector<std::int64_t>& fees, const char* intent_id,
                 std::optional<std::int64_t> reservation_id, int hold_seconds) {
  PgArray fee_array;
  std::vector<std::int64_t> held = HeldFees(amount, fees);
  for (std::int64_t fee : held) fee_array.Add(fee);
  // Ended holds of exactly these values give way (the sweeper deletes the others).
  sub.exec_params(
      "DELETE FROM amount_holds WHERE network = $1 AND NOT released AND held_until < now() AND "
      "amount IN (SELECT $2::bigint - f FROM unnest($3::bigint[]) f)",
      network, amount, fee_array.str());
  auto inserted =
      sub.exec_params(R"sql(
    INSERT INTO amount_holds (network, amount, intent_id, reservation_id, fee, held_until)
    SELECT $1, $2::bigint - f, $3::uuid, $4::bigint, f, now() + make_interval(secs => $5)
      FROM unnest($6::bigint[]) f
    ON CONFLICT (network, amount) WHERE NOT released DO NOTHING
    RETURNING 1)sql",
                      network, amount, intent_id, reservation_id ? &*reservation_id : nullptr,
                      hold_seconds, fee_array.str());
  return inserted.size() == held.size();
}

std::set<std::int64_t> HeldSet(const pqxx::field& field) {
  std::set<std::int64_t> held;
  for (const std::string& value : ArrayElements(field)) held.insert(std::stoll(value));
  return held;
}

// The values held on the network from `low` to `high` by holds that have not ended
// (amount_holds_live_in, migration 0011, no lock taken); an ended hold counts as free, and the
// insert removes it.
std::set<std::int64_t> HeldInBand(pqxx::work& tx, const std::string& network, std::int64_t low,
                                  std::int64_t high) {
  return HeldSet(tx.exec_params1("SELECT amount_holds_live_in($1, $2, $3)", network, low, high)[0]);
}

Error BandExhausted(const std::string& network, std::int64_t first, std::int64_t last) {
  return Error{ErrorCode::kResourceExhausted,
               "every amount from " + Money::FromMicros(first).ToJsonNumber() + " to " +
                   Money::FromMicros(last).ToJsonNumber() + " USDT is held on " + network +
                   " by other top-ups; try another amount, or wait for one of them to finish"};
}

}  // namespace

// Create in one statement (ledger/migrations/0011_topup_create.sql): the key's lock, the
// Idempotency-Key, the caps, the band's held values and the first free candidate's intent and
// holds. Columns: kSelectIntent's (for ReadIntent), then outcome, n, first_end, topup_id.
constexpr char kCreate[] = "topup_create";
constexpr char kCreateSql[] =
    "SELECT * FROM topup_create($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";

TopupStore::TopupStore(std::shared_ptr<PgPool> pool) : pool_(std::move(pool)) {
  pool_->Prepare(kCreate, kCreateSql);
}

Result<TopupIntent> TopupStore::Create(const NewTopup& request) {
  const std::int64_t steps = request.max_surcharge.micros() / kStepMicros;
  const std::int64_t requested = request.requested_amount.micros();
  const std::int64_t first = requested + (request.offer_requested_amount ? 0 : kStepMicros);
  const std::int64_t last = requested + steps * kStepMicros;
  const int hold_seconds =
      request.expiry_seconds + request.expiry_grace_seconds + request.amount_cooldown_seconds;
  const char* idempotency_key =
      request.idempotency_key ? request.idempotency_key->c_str() : nullptr;
  const char* request_hash = idempotency_key ? request.request_hash.c_str() : nullptr;
  // The amounts the rules allow, in the CSPRNG's order; the database takes the first free one.
  PgArray candidates;
  for (std::int64_t amount :
       FreeAmounts({}, first, last, request.withdrawal_fee_micros,
                   request.offer_requested_amount ? std::optional(requested) : std::nullopt)) {
    candidates.Add(amount);
  }
  PgArray fees;
  for (std::int64_t fee : request.withdrawal_fee_micros) fees.Add(fee);
  std::optional<std::string> memo;
  if (request.with_memo) memo = NewPaymentMemo();
  return pool_->With<TopupIntent>([&](pqxx::connection& conn) -> Result<TopupIntent> {
    // One statement in autocommit: one round trip, one transaction.
    pqxx::nontransaction tx(conn);
    auto row = tx.exec_prepared1(
        kCreate, request.key_id, request.network, idempotency_key, request_hash,
        request.max_pending_per_key, request.max_unpaid_held_per_key,
        request.expiry_grace_seconds + request.amount_cooldown_seconds, candidates.str(),
        fees.str(), kMaxAttempts, requested, request.expiry_seconds, memo ? memo->c_str() : nullptr,
        request.webhook_url ? request.webhook_url->c_str() : nullptr, hold_seconds);
    const std::string outcome = row[12].as<std::string>();
    if (outcome == "created") return ReadIntent(row);
    if (outcome == "replayed" || outcome == "idempotency_conflict") {
      std::string id = row[15].as<std::string>();
      if (outcome == "idempotency_conflict") {
        return MakeError(
            ErrorCode::kAlreadyExists,
            "was used for top-up " + id + " with another body; use a new key for a new top-up");
      }
      TopupIntent intent =
          ReadIntent(tx.exec_params1(std::string(kSelectIntent) + " WHERE t.id = $1::uuid", id));
      intent.replayed = true;
      return intent;
    }
    if (outcome == "pending_cap") {
      const int pending = row[13].as<int>();
      return MakeError(ErrorCode::kResourceExhausted,
                       "this key already has " + std::to_string(pending) + " pending top-ups on " +
                           request.network + " (at most " +
                           std::to_string(request.max_pending_per_key) +
                           "); pay or let one of them expire first");
    }
    if (outcome == "unpaid_cap") {
      const int unpaid = row[13].as<int>();
      const std::int64_t first_end = row[14].as<std::int64_t>();
      const std::int64_t wait = std::max<std::int64_t>(0, first_end - std::time(nullptr));
      return MakeError(ErrorCode::kResourceExhausted,
                       "this key has " + std::to_string(unpaid) + " top-ups on " + request.network +
                           " not paid in full whose amounts are still held (at most " +
                           std::to_string(request.max_unpaid_held_per_key) +
                           "); the first of those holds ends at " + UtcTimeText(first_end) +
                           " (in " + std::to_string(wait) +
                           " s): pay the top-ups you create in full");
    }
    return BandExhausted(request.network, first, last);
  });
}

Result<int> TopupStore::DeleteEndedHolds(int limit) {
  return pool_->With<int>([&](pqxx::connection& conn) -> Result<int> {
    pqxx::work tx(conn);
    auto deleted = tx.exec_params(R"sql(
      DELETE FROM amount_holds
       WHERE ctid = ANY (ARRAY(SELECT ctid FROM amount_holds WHERE held_until < now()
                                ORDER BY held_until LIMIT $1 FOR UPDATE SKIP LOCKED)))sql",
                                  limit);
    tx.commit();
    return static_cast<int>(deleted.affected_rows());
  });
}

Result<TopupIntent> TopupStore::Get(std::int64_t key_id, const std::string& topup_id) {
  if (!IsUuid(topup_id)) return MakeError(ErrorCode::kNotFound, "no such top-up");
  return pool_->With<TopupIntent>([&](pqxx::connection& conn) -> Result<TopupIntent> {
    pqxx::nontransaction tx(conn);
    auto rows = tx.exec_params(
        std::string(kSelectIntent) + " WHERE t.id = $1::uuid AND t.key_id = $2", topup_id, key_id);
    if (rows.empty()) return MakeError(ErrorCode::kNotFound, "no such top-up");
    TopupIntent intent = ReadIntent(rows[0]);
    intent.confirming = LoadTopupConfirming(tx, intent.id);
    return intent;
  });
}

Result<Reservation> TopupStore::Reserve(const NewReservation& request) {
  std::int64_t first = request.amount.micros(), last = first;
  if (request.requested_amount) {
    first = request.requested_amount->micros() + kStepMicros;
    last = request.requested_amount->micros() +
           request.max_surcharge.micros() / kStepMicros * kStepMicros;
  }
  return pool_->With<Reservation>([&](pqxx::connection& conn) -> Result<Reservation> {
    pqxx::work tx(conn);
    const int hold_seconds = request.expiry_seconds + request.amount_cooldown_seconds;
    const std::set<std::int64_t> held =
        HeldInBand(tx, request.network, first - MaxFee(request.withdrawal_fee_micros), last);
    int attempts = 0;
    for (std::int64_t amount :
         FreeAmounts(held, first, last, request.withdrawal_fee_micros,
                     request.requested_amount ? std::nullopt : std::optional(first))) {
      if (++attempts > kMaxAttempts) break;
      pqxx::subtransaction sub(tx, "hold");
      auto id =
          sub.exec_params1(
                 "INSERT INTO amount_reservations (network, amount, label, actor, "
                 "expires_at) VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) "
                 "RETURNING id",
                 request.network, amount, request.label, request.actor, request.expiry_seconds)[0]
              .as<std::int64_t>();
      if (!InsertHolds(sub, request.network, amount, request.withdrawal_fee_micros, nullptr, id,
                       hold_seconds)) {
        continue;
      }
      sub.commit();
      auto row = tx.exec_params1(std::string(kSelectReservation) + " WHERE r.id = $1", id);
      Reservation reservation = ReadReservation(row);
      JsonWriter details;
      details.BeginObject()
          .Field("reservation_id", id)
          .Field("network", request.network)
          .Field("amount_usdt", reservation.amount)
          .Field("label", request.label)
          .EndObject();
      WriteAudit(tx, request.actor, "reservations.create", "network:" + request.network,
                 details.str());
      tx.commit();
      return reservation;
    }
    if (!request.requested_amount) {
      return MakeError(ErrorCode::kResourceExhausted,
                       Money::FromMicros(first).ToJsonNumber() +
                           " USDT (or that amount less a "
                           "withdrawal fee) is held on " +
                           request.network + " by a pending top-up or another reservation");
    }
    return BandExhausted(request.network, first, last);
  });
}

Result<Reservation> TopupStore::GetReservation(std::int64_t id) {
  return pool_->With<Reservation>([&](pqxx::connection& conn) -> Result<Reservation> {
    pqxx::nontransaction tx(conn);
    auto rows = tx.exec_params(std::string(kSelectReservation) + " WHERE r.id = $1", id);
    if (rows.empty())
      return MakeError(ErrorCode::kNotFound, "no reservation with id " + std::to_string(id));
    return ReadReservation(rows[0]);
  });
}

Result<std::vector<Reservation>> TopupStore::ListReservations(
    const std::optional<std::string>& network, int limit) {
  using Rows = std::vector<Reservation>;
  return pool_->With<Rows>([&](pqxx::connection& conn) -> Result<Rows> {
    pqxx::nontransaction tx(conn);
    Rows rows;
    for (const auto& r : tx.exec_params(std::string(kSelectReservation) +
                                            " WHERE $1::text IS NULL OR r.network = $1 "
                                            "ORDER BY r.id DESC LIMIT $2",
                                        network ? network->c_str() : nullptr, limit)) {
      rows.push_back(ReadReservation(r));
    }
    return rows;
  });
}

Result<Reservation> TopupStore::ReleaseReservation(std::int64_t id, const std::string& actor) {
  return pool_->With<Reservation>([&](pqxx::connection& conn) -> Result<Reservation> {
    pqxx::work tx(conn);
    auto rows =
        tx.exec_params("SELECT status FROM amount_reservations WHERE id = $1 FOR UPDATE", id);
    if (rows.empty())
      return MakeError(ErrorCode::kNotFound, "no reservation with id " + std::to_string(id));
    if (rows[0][0].as<std::string>() != "active") {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "reservation " + std::to_string(id) + " is " + rows[0][0].as<std::string>());
    }
    tx.exec_params("UPDATE amount_reservations SET status = 'released' WHERE id = $1", id);
    // Released, its amounts stay held for the cooldown like an ended intent's: a payment
    // already under way still finds the reservation, not a client.
    tx.exec_params(
        "UPDATE amount_holds SET held_until = least(held_until, now() + (held_until - "
        "(SELECT expires_at FROM amount_reservations WHERE id = $1))) WHERE reservation_id = $1 "
        "AND NOT released",
        id);
    WriteAudit(tx, actor, "reservations.release", "reservation:" + std::to_string(id), "{}");
    auto row = tx.exec_params1(std::string(kSelectReservation) + " WHERE r.id = $1", id);
    tx.commit();
    return ReadReservation(row);
  });
}

}  // namespace instamarket
