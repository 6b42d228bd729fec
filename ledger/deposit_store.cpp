#include "ledger/deposit_store.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>
#include <type_traits>

#include "core/json_writer.h"
#include "core/payment_memo.h"
#include "ledger/audit_write.h"
#include "ledger/deposit_credit.h"
#include "ledger/ledger_entry.h"
#include "ledger/pg_array.h"
#include "ledger/pg_pool.h"
#include "ledger/topup_events.h"

namespace instamarket {
namespace {

// How far from a pending intent's amount a deposit that pays nothing held is a near miss
// ("amount_mismatch"), in percent; the matcher's MatchRules::mismatch_percent.
constexpr int kNearMissPercent = 10;

// The intents and reservations a batch of deposits may be for, locked so that a concurrent
// manual credit, claim or second instance cannot take them too: what holds each deposit's
// amount (within the tolerance), the intents its memo names, and for a deposit that finds
// neither the nearest pending intent's amount (to tell a near miss).
MatchCandidates LoadCandidates(pqxx::work& tx, const std::string& network,
                               const std::vector<DepositInput>& fresh, Money tolerance) {
  PgArray amounts, memos;
  for (const auto& d : fresh) {
    amounts.Add(d.amount.micros());
    if (!d.memo.empty()) memos.Add(NormalizedMemo(d.memo));
  }
  MatchCandidates candidates;
  std::vector<std::string> hold_intent_ids;
  PgArray intent_ids, reservation_ids;
  for (const auto& row : tx.exec_params(R"sql(
      SELECT DISTINCT h.amount, h.fee, h.intent_id::text, h.reservation_id
        FROM amount_holds h
        JOIN unnest($2::bigint[]) w(a) ON h.amount BETWEEN w.a - $3 AND w.a + $3
       WHERE h.network = $1 AND NOT h.released
       ORDER BY h.amount)sql",
                                        network, amounts.str(), tolerance.micros())) {
    HeldAmount hold;
    hold.amount = row[0].as<std::int64_t>();
    hold.fee = row[1].as<std::int64_t>();
    if (!row[2].is_null()) {
      hold_intent_ids.push_back(row[2].as<std::string>());
      intent_ids.Add(hold_intent_ids.back());
    } else {
      hold.reservation_id = row[3].as<std::int64_t>();
      reservation_ids.Add(hold.reservation_id);
    }
    candidates.holds.push_back(hold);
  }
  std::map<std::string, int> index_of;
  for (const auto& row : tx.exec_params(R"sql(
      SELECT id::text, key_id, amount, requested_amount,
             floor(extract(epoch FROM created_at))::bigint,
             floor(extract(epoch FROM expires_at))::bigint, status, coalesce(payment_memo, '')
        FROM topup_intents
       WHERE id = ANY($2::uuid[]) OR (network = $1 AND payment_memo = ANY($3::text[]))
       ORDER BY id FOR UPDATE)sql",
                                        network, intent_ids.str(), memos.str())) {
    index_of[row[0].as<std::string>()] = static_cast<int>(candidates.intents.size());
    candidates.intents.push_back(IntentCandidate{
        row[0].as<std::string>(), row[1].as<std::int64_t>(),
        Money::FromMicros(row[2].as<std::int64_t>()), Money::FromMicros(row[3].as<std::int64_t>()),
        row[4].as<std::int64_t>(), row[5].as<std::int64_t>(), row[6].as<std::string>(),
        row[7].as<std::string>()});
  }
  std::set<std::int64_t> active_reservations;
  for (const auto& row : tx.exec_params(
           "SELECT id FROM amount_reservations WHERE id = ANY($1::bigint[]) AND status = 'active' "
           "ORDER BY id FOR UPDATE",
           reservation_ids.str())) {
    active_reservations.insert(row[0].as<std::int64_t>());
  }
  std::size_t next_intent = 0;
  for (HeldAmount& hold : candidates.holds) {
    if (hold.reservation_id != 0) {
      hold.reservation_active = active_reservations.count(hold.reservation_id) > 0;
    } else {
      hold.intent = index_of.at(hold_intent_ids.at(next_intent++));
    }
  }
  for (const auto& row : tx.exec_params(R"sql(
      SELECT DISTINCT n.amount
        FROM unnest($2::bigint[]) w(a)
        CROSS JOIN LATERAL (
          SELECT t.amount FROM topup_intents t
           WHERE t.network = $1 AND t.status = 'pending'
             AND t.amount BETWEEN w.a - w.a / 100 * $3 AND w.a + w.a / 100 * $3
           ORDER BY abs(t.amount - w.a) LIMIT 1) n
       ORDER BY n.amount)sql",
                                        network, amounts.str(), kNearMissPercent)) {
    candidates.pending_amounts.push_back(row[0].as<std::int64_t>());
  }
  return candidates;
}

// Writes a scan's new deposits in a few statements whatever their number: the ledger entries
// of the credited ones, all deposit rows, then the intents' and reservations' status with
// their audit rows. Returns (credited, not credited).
Result<std::pair<int, int>> RecordDeposits(pqxx::work& tx, const std::string& network,
                                           const std::vector<DepositInput>& fresh,
                                           const std::vector<DepositDecision>& decisions,
                                           const MatchCandidates& candidates) {
  std::vector<const IntentCandidate*> intent_of(fresh.size(), nullptr);
  std::vector<DepositDecision> decision_of(fresh.size());
  std::vector<LedgerEntry> entries;
  for (std::size_t i = 0; i < fresh.size(); ++i) {
    DepositDecision decision = decisions.at(i);
    if (!fresh[i].amount_in_range) decision = {DepositOutcome::kOutOfRange};
    decision_of[i] = decision;
    if (decision.outcome != DepositOutcome::kCredit) continue;
    const IntentCandidate* intent = &candidates.intents.at(decision.intent);
    intent_of[i] = intent;
    const DepositInput& d = fresh[i];
    entries.push_back(
        LedgerEntry{DepositIdempotencyKey(network, d.tx_id, d.event_index),
                    "topup",
                    "top-up " + intent->id,
                    {{KeyAccountCode(intent->key_id), d.amount},
                     {NetworkAccountCode(network), Money::FromMicros(-d.amount.micros())}}});
  }
  auto posted = PostEntries(tx, entries);
  if (!posted) return posted.error();

  PgArray tx_ids, indexes, froms, tos, raws, decimals, amounts, blocks, hashes, times, memos,
      statuses, reasons, intent_ids, key_ids, ledger_ids, matched_bys, reservation_ids;
  std::size_t next_entry = 0;
  std::vector<std::int64_t> ledger_id_of(fresh.size(), 0);
  for (std::size_t i = 0; i < fresh.size(); ++i) {
    const DepositInput& d = fresh[i];
    const IntentCandidate* intent = intent_of[i];
    tx_ids.Add(d.tx_id);
    indexes.Add(d.event_index);
    froms.Add(d.from);
    tos.Add(d.to);
    raws.Add(d.raw_amount);
    decimals.Add(static_cast<std::int64_t>(d.decimals));
    amounts.Add(d.amount.micros());
    blocks.Add(d.block_number);
    hashes.Add(d.block_hash);
    times.Add(d.block_time);
    if (d.memo.empty())
      memos.AddNull();
    else
      memos.Add(d.memo);
    const DepositDecision& decision = decision_of[i];
    bool external = decision.outcome == DepositOutcome::kExternal;
    statuses.Add(intent ? "credited" : external ? "external" : "unmatched");
    if (intent)
      matched_bys.Add(MatchedByName(decision.matched_by));
    else
      matched_bys.AddNull();
    if (external)
      reservation_ids.Add(decision.reservation_id);
    else
      reservation_ids.AddNull();
    std::string_view reason = DepositReason(decision.outcome);
    if (reason.empty())
      reasons.AddNull();
    else
      reasons.Add(reason);
    if (!intent) {
      // A deposit late for an intent keeps which one (a claim of that key credits it too).
      if (decision.outcome == DepositOutcome::kExpired && decision.intent >= 0)
        intent_ids.Add(candidates.intents.at(static_cast<std::size_t>(decision.intent)).id);
      else
        intent_ids.AddNull();
      key_ids.AddNull();
      ledger_ids.AddNull();
      continue;
    }
    const PostedEntry& entry = posted->at(next_entry++);
    if (entry.replayed) {
      return MakeError(
          ErrorCode::kFailedPrecondition,
          "deposit " + d.tx_id + "#" + std::to_string(d.event_index) + " was credited before");
    }
    ledger_id_of[i] = entry.transaction_id;
    intent_ids.Add(intent->id);
    key_ids.Add(intent->key_id);
    ledger_ids.Add(entry.transaction_id);
  }
  auto inserted =
      tx.exec_params(R"sql(
    INSERT INTO deposits (network, tx_id, event_index, from_address, to_address, raw_amount,
                          decimals, amount, block_number, block_hash, block_time, memo, status,
                          reason, intent_id, key_id, ledger_transaction_id, credited_at,
                          matched_by, reservation_id)
    SELECT $1, v.tx_id, v.event_index, v.from_address, v.to_address, v.raw_amount::numeric,
           v.decimals, v.amount, v.block_number, v.block_hash, to_timestamp(v.block_time),
           v.memo, v.status, v.reason, v.intent_id::uuid, v.key_id, v.ledger_id,
           CASE WHEN v.ledger_id IS NOT NULL THEN now() END, v.matched_by, v.reservation_id
      FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::int[],
                  $8::bigint[], $9::bigint[], $10::text[], $11::bigint[], $12::text[],
                  $13::text[], $14::text[], $15::text[], $16::bigint[], $17::bigint[],
                  $18::text[], $19::bigint[])
           WITH ORDINALITY
           AS v(tx_id, event_index, from_address, to_address, raw_amount, decimals, amount,
                block_number, block_hash, block_time, memo, status, reason, intent_id, key_id,
                ledger_id, matched_by, reservation_id, ord)
     ORDER BY v.ord
    RETURNING id, tx_id, event_index)sql",
                     network, tx_ids.str(), indexes.str(), froms.str(), tos.str(), raws.str(),
                     decimals.str(), amounts.str(), blocks.str(), hashes.str(), times.str(),
                     memos.str(), statuses.str(), reasons.str(), intent_ids.str(), key_ids.str(),
                     ledger_ids.str(), matched_bys.str(), reservation_ids.str());
  std::map<std::pair<std::string, std::int64_t>, std::int64_t> deposit_id_of;
  for (const auto& row : inserted) {
    deposit_id_of[{row[1].as<std::string>(), row[2].as<std::int64_t>()}] =
        row[0].as<std::int64_t>();
  }

  PgArray credited_intents, credited_deposits, targets, details, intent_statuses;
  PgArray paid_reservations, paying_deposits;
  int credited = 0, unmatched = 0;
  for (std::size_t i = 0; i < fresh.size(); ++i) {
    const IntentCandidate* intent = intent_of[i];
    if (!intent) {
      ++unmatched;
      if (decision_of[i].outcome == DepositOutcome::kExternal) {
        paid_reservations.Add(decision_of[i].reservation_id);
        paying_deposits.Add(deposit_id_of.at({fresh[i].tx_id, fresh[i].event_index}));
      }
      continue;
    }
    const bool short_paid = decision_of[i].short_paid;
    const DepositInput& d = fresh[i];
    std::int64_t deposit_id = deposit_id_of.at({d.tx_id, d.event_index});
    JsonWriter json;
    json.BeginObject()
        .Field("topup_id", intent->id)
        .Field("deposit_id", deposit_id)
        .Field("network", network)
        .Field("tx_id", d.tx_id)
        .Field("amount_usdt", d.amount)
        .Field("intent_amount_usdt", intent->amount)
        .Field("matched_by", MatchedByName(decision_of[i].matched_by))
        .Field("ledger_transaction_id", ledger_id_of[i])
        .EndObject();
    credited_intents.Add(intent->id);
    intent_statuses.Add(short_paid ? "credited_short" : "credited_auto");
    credited_deposits.Add(deposit_id);
    targets.Add(KeyAccountCode(intent->key_id));
    details.Add(json.str());
    ++credited;
  }
  if (credited > 0) {
    auto updated = tx.exec_params1(R"sql(
      WITH v AS (
        SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[], $6::text[])
                 AS v(intent_id, deposit_id, target, details, status)),
      i AS (
        UPDATE topup_intents t SET status = v.status, deposit_id = v.deposit_id,
               credited_at = now()
          FROM v WHERE t.id = v.intent_id
        RETURNING 1),
      a AS (
        INSERT INTO api_audit_log (actor, action, target, details)
        SELECT $5, CASE v.status WHEN 'credited_short' THEN 'topup.credited_short'
                                 ELSE 'topup.credited' END,
               v.target, v.details::jsonb FROM v
        RETURNING 1)
      SELECT (SELECT count(*) FROM i), (SELECT count(*) FROM a))sql",
                                   credited_intents.str(), credited_deposits.str(), targets.str(),
                                   details.str(), "watcher:" + network, intent_statuses.str());
    if (updated[0].as<int>() != credited) {
      // Throwing aborts the transaction: no deposit is credited without its intent.
      throw std::logic_error("a credited intent was not updated");
    }
    for (const IntentCandidate* intent : intent_of)
      if (intent) EnqueueTopupCreditEvent(tx, intent->id);
  }
  if (!paid_reservations.empty()) {
    tx.exec_params(R"sql(
      UPDATE amount_reservations r SET status = 'paid', deposit_id = v.deposit_id, paid_at = now()
        FROM unnest($1::bigint[], $2::bigint[]) AS v(reservation_id, deposit_id)
       WHERE r.id = v.reservation_id)sql",
                   paid_reservations.str(), paying_deposits.str());
  }
  return std::pair{credited, unmatched};
}

ReorgedDeposit ReadReorged(const pqxx::row& r) {
  return ReorgedDeposit{r[0].as<std::int64_t>(), r[1].as<std::string>(),
                        r[2].as<std::int64_t>(), r[3].as<std::int64_t>(),
                        r[4].as<std::string>(),  Money::FromMicros(r[5].as<std::int64_t>())};
}

void AuditReorged(pqxx::work& tx, const std::string& network, const char* action,
                  const ReorgedDeposit& d, const std::string& block_hash) {
  JsonWriter json;
  json.BeginObject()
      .Field("deposit_id", d.id)
      .Field("network", network)
      .Field("tx_id", d.tx_id)
      .Field("event_index", d.event_index)
      .Field("block_number", d.block_number)
      .Field("block_hash", block_hash)
      .Field("status", d.status)
      .Field("amount_usdt", d.amount)
      .EndObject();
  WriteAudit(tx, "watcher:" + network, action, "deposit:" + std::to_string(d.id), json.str());
}

// Recorded transfers found again in another block (a deep reorg re-mined them, or brought back
// one flagged vanished): the deposit follows its block and is flagged remined, credited once.
std::vector<ReorgedDeposit> RecordRemined(pqxx::work& tx, const std::string& network,
                                          const std::vector<const DepositInput*>& moved) {
  PgArray tx_ids, indexes, blocks, hashes, times;
  for (const DepositInput* d : moved) {
    tx_ids.Add(d->tx_id);
    indexes.Add(d->event_index);
    blocks.Add(d->block_number);
    hashes.Add(d->block_hash);
    times.Add(d->block_time);
  }
  std::vector<ReorgedDeposit> out;
  for (const auto& r : tx.exec_params(R"sql(
      UPDATE deposits d SET block_number = v.block_number, block_hash = v.block_hash,
             block_time = to_timestamp(v.block_time), reorg_status = 'remined',
             reorged_at = now()
        FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::bigint[])
             AS v(tx_id, event_index, block_number, block_hash, block_time)
       WHERE d.network = $1 AND d.tx_id = v.tx_id AND d.event_index = v.event_index
      RETURNING d.id, d.tx_id, d.event_index, d.block_number, d.status, d.amount,
                d.block_hash)sql",
                                      network, tx_ids.str(), indexes.str(), blocks.str(),
                                      hashes.str(), times.str())) {
    out.push_back(ReadReorged(r));
    AuditReorged(tx, network, "deposits.remined", out.back(), r[6].as<std::string>());
  }
  return out;
}

// A re-scan of [from, to) after a deep reorg: deposits recorded there that the chain no longer
// holds are flagged vanished (a credited one stays credited for finance to decide; the database
// refuses to credit an unmatched one from now on) and audited.
std::vector<ReorgedDeposit> RecordVanished(pqxx::work& tx, const std::string& network,
                                           std::int64_t from, std::int64_t to,
                                           const std::vector<DepositInput>& still_there) {
  PgArray tx_ids, indexes;
  for (const auto& d : still_there) {
    tx_ids.Add(d.tx_id);
    indexes.Add(d.event_index);
  }
  std::vector<ReorgedDeposit> out;
  for (const auto& r : tx.exec_params(R"sql(
      UPDATE deposits d SET reorg_status = 'vanished', reorged_at = now()
       WHERE d.network = $1 AND d.block_number >= $2 AND d.block_number < $3
         AND d.reorg_status IS DISTINCT FROM 'vanished'
         AND NOT EXISTS (SELECT 1 FROM unnest($4::text[], $5::bigint[]) AS v(tx_id, event_index)
                          WHERE v.tx_id = d.tx_id AND v.event_index = d.event_index)
      RETURNING d.id, d.tx_id, d.event_index, d.block_number, d.status, d.amount,
                d.block_hash)sql",
                                      network, from, to, tx_ids.str(), indexes.str())) {
    out.push_back(ReadReorged(r));
    AuditReorged(tx, network, "deposits.vanished", out.back(), r[6].as<std::string>());
  }
  return out;
}

DepositRow ReadDeposit(const pqxx::row& r) {
  DepositRow d;
  d.id = r[0].as<std::int64_t>();
  d.network = r[1].as<std::string>();
  d.tx_id = r[2].as<std::string>();
  d.event_index = r[3].as<std::int64_t>();
  d.from = r[4].as<std::string>();
  d.to = r[5].as<std::string>();
  d.raw_amount = r[6].as<std::string>();
  d.amount = Money::FromMicros(r[7].as<std::int64_t>());
  d.block_number = r[8].as<std::int64_t>();
  d.block_time = r[9].as<std::int64_t>();
  d.status = r[10].as<std::string>();
  if (!r[11].is_null()) d.reason = r[11].as<std::string>();
  if (!r[12].is_null()) d.key_id = r[12].as<std::int64_t>();
  if (!r[13].is_null()) d.intent_id = r[13].as<std::string>();
  d.detected_at = r[14].as<std::int64_t>();
  d.memo = r[15].as<std::string>();
  if (!r[16].is_null()) d.matched_by = r[16].as<std::string>();
  d.short_paid = r[17].as<bool>();
  if (!r[18].is_null()) d.reorg_status = r[18].as<std::string>();
  return d;
}

constexpr char kSelectDeposit[] = R"sql(
  SELECT id, network, tx_id, event_index, from_address, to_address, raw_amount::text, amount,
         block_number, floor(extract(epoch FROM block_time))::bigint, status, reason, key_id,
         intent_id::text, floor(extract(epoch FROM detected_at))::bigint, coalesce(memo, ''),
         matched_by,
         -- An unmatched deposit may name the intent it came late for, which another deposit
         -- then credited short: that short payment is not this deposit's.
         deposits.status <> 'unmatched'
           AND coalesce((SELECT t.status = 'credited_short' FROM topup_intents t
                          WHERE t.id = deposits.intent_id), false),
         reorg_status
    FROM deposits)sql";

// Whether the ledger holds `d`'s transaction under another log index (`known`: the recorded
// (tx id, index) pairs of the batch's transactions).
template <typename Known>
bool RecordedUnderAnotherIndex(const Known& known, const DepositInput& d) {
  auto it = known.lower_bound({d.tx_id, std::numeric_limits<std::int64_t>::min()});
  if (it == known.end()) return false;
  if constexpr (std::is_same_v<typename Known::key_type, typename Known::value_type>) {
    return it->first == d.tx_id;  // a set of (tx id, index)
  } else {
    return it->first.first == d.tx_id;  // a map keyed by (tx id, index)
  }
}

// An audit row by the network's watcher naming one transfer (`action`: deposits.second_look,
// deposits.index_conflict).
void AuditTransfer(pqxx::work& tx, const std::string& network, const DepositInput& d,
                   const char* action) {
  JsonWriter details;
  details.BeginObject()
      .Field("network", network)
      .Field("tx_id", d.tx_id)
      .Field("index", d.event_index)
      .Field("block", d.block_number)
      .Field("raw_amount", d.raw_amount)
      .EndObject();
  WriteAudit(tx, "watcher:" + network, action, d.tx_id, details.Take());
}

// Matches transfers not recorded yet against the intents and records them (credits, intents,
// audit): the part RecordScan and RecordSecondLook share.
Status RecordFresh(pqxx::work& tx, const std::string& network,
                   const std::vector<DepositInput>& fresh, Money tolerance,
                   const MatchFunction& match, BatchOutcome& outcome) {
  if (fresh.empty()) return OkStatus();
  auto candidates = LoadCandidates(tx, network, fresh, tolerance);
  std::vector<DepositDecision> decisions = match(fresh, candidates);
  auto recorded = RecordDeposits(tx, network, fresh, decisions, candidates);
  if (!recorded) return recorded.error();
  outcome.credited = recorded->first;
  outcome.unmatched = recorded->second;
  return OkStatus();
}

}  // namespace

const char* DepositReason(DepositOutcome outcome) {
  switch (outcome) {
    case DepositOutcome::kCredit:
      return "";
    case DepositOutcome::kNoIntent:
      return "no_intent";
    case DepositOutcome::kExpired:
      return "expired";
    case DepositOutcome::kAmbiguous:
      return "ambiguous";
    case DepositOutcome::kAmountMismatch:
      return "amount_mismatch";
    case DepositOutcome::kExternal:
      return "";
    case DepositOutcome::kBeforeIntent:
      return "before_intent";
    case DepositOutcome::kAlreadyCredited:
      return "already_credited";
    case DepositOutcome::kOutOfRange:
      return "amount_out_of_range";
  }
  return "no_intent";
}

const char* MatchedByName(MatchedBy by) {
  switch (by) {
    case MatchedBy::kAmount:
      return "amount";
    case MatchedBy::kFee:
      return "fee";
    case MatchedBy::kMemo:
      return "memo";
  }
  return "amount";
}

DepositStore::DepositStore(std::shared_ptr<PgPool> pool) : pool_(std::move(pool)) {}

void DepositStore::SetFinality(const std::string& network, const NetworkFinality& finality) {
  std::lock_guard lock(finality_mutex_);
  finality_[network] = finality;
}

NetworkFinality DepositStore::FinalityFor(const std::string& network,
                                          const ScanResult& scan) const {
  {
    std::lock_guard lock(finality_mutex_);
    if (auto it = finality_.find(network); it != finality_.end()) return it->second;
  }
  NetworkFinality depth;
  depth.confirmations_needed =
      static_cast<int>(std::max<std::int64_t>(0, scan.head - scan.final_height));
  return depth;
}

Result<std::optional<ChainCursor>> DepositStore::LoadCursor(const std::string& network) {
  using Cursor = std::optional<ChainCursor>;
  return pool_->With<Cursor>([&](pqxx::connection& conn) -> Result<Cursor> {
    pqxx::nontransaction tx(conn);
    auto rows = tx.exec_params(
        "SELECT position, position_state FROM chain_cursors WHERE network = $1", network);
    if (rows.empty()) return Cursor{};
    return Cursor{ChainCursor{rows[0][0].as<std::int64_t>(), rows[0][1].as<std::string>()}};
  });
}

Result<ChainCursor> DepositStore::InitCursor(const std::string& network,
                                             const ChainCursor& cursor) {
  return pool_->With<ChainCursor>([&](pqxx::connection& conn) -> Result<ChainCursor> {
    pqxx::work tx(conn);
    tx.exec_params("INSERT INTO ledger_accounts (code) VALUES ($1) ON CONFLICT DO NOTHING",
                   NetworkAccountCode(network));
    tx.exec_params(
        "INSERT INTO chain_cursors (network, position, position_state) VALUES ($1, $2, $3) "
        "ON CONFLICT DO NOTHING",
        network, cursor.position, cursor.state);
    auto row = tx.exec_params1(
        "SELECT position, position_state FROM chain_cursors WHERE network = $1", network);
    tx.commit();
    return ChainCursor{row[0].as<std::int64_t>(), row[1].as<std::string>()};
  });
}

Result<BatchOutcome> DepositStore::RecordScan(const std::string& network,
                                              const ChainCursor& expected_cursor,
                                              const ScanResult& scan, Money tolerance,
                                              const MatchFunction& match) {
  return pool_->With<BatchOutcome>([&](pqxx::connection& conn) -> Result<BatchOutcome> {
    pqxx::work tx(conn);
    auto cursor = tx.exec_params(
        "SELECT position, position_state FROM chain_cursors WHERE network = $1 FOR UPDATE",
        network);
    if (cursor.empty() || cursor[0][0].as<std::int64_t>() != expected_cursor.position ||
        cursor[0][1].as<std::string>() != expected_cursor.state) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "the cursor of " + network + " moved; reloading it");
    }
    BatchOutcome outcome;

    // Transfers already recorded (the same range scanned again after a crash) change nothing,
    // unless a deep reorg moved them to another block (remined: still counted once).
    std::vector<DepositInput> fresh;
    std::vector<const DepositInput*> moved;
    if (!scan.final_transfers.empty()) {
      // (tx id, index) -> where it was recorded, and whether a reorg took it away since.
      std::map<std::pair<std::string, std::int64_t>, std::pair<std::string, bool>> known;
      std::set<std::pair<std::string, std::int64_t>> in_batch;
      PgArray scanned_tx_ids;
      for (const auto& d : scan.final_transfers) scanned_tx_ids.Add(d.tx_id);
      for (const auto& row : tx.exec_params(
               "SELECT tx_id, event_index, block_hash, reorg_status IS NOT DISTINCT FROM "
               "'vanished' FROM deposits WHERE network = $1 AND tx_id = ANY($2::text[])",
               network, scanned_tx_ids.str())) {
        known[{row[0].as<std::string>(), row[1].as<std::int64_t>()}] = {row[2].as<std::string>(),
                                                                        row[3].as<bool>()};
      }
      for (const auto& d : scan.final_transfers) {
        // A transfer that a node listed twice in one answer counts once.
        if (!in_batch.insert({d.tx_id, d.event_index}).second) {
          ++outcome.already_recorded;
          continue;
        }
        auto it = known.find({d.tx_id, d.event_index});
        if (it == known.end()) {
          if (RecordedUnderAnotherIndex(known, d)) {
            // A transaction re-mined in another block gets other log indexes: crediting it
            // again would pay one transfer twice. Recorded once; finance sees the audit row.
            ++outcome.already_recorded;
            AuditTransfer(tx, network, d, "deposits.index_conflict");
            continue;
          }
          fresh.push_back(d);
          continue;
        }
        ++outcome.already_recorded;
        if (it->second.first != d.block_hash || it->second.second) moved.push_back(&d);
      }
    }
    if (!moved.empty()) outcome.remined = RecordRemined(tx, network, moved);
    if (scan.rescanning_below > expected_cursor.position) {
      outcome.vanished = RecordVanished(tx, network, expected_cursor.position,
                                        std::min(scan.new_cursor.position, scan.rescanning_below),
                                        scan.final_transfers);
    }

    if (auto recorded = RecordFresh(tx, network, fresh, tolerance, match, outcome); !recorded)
      return recorded.error();

    // Sightings above the final height: remember them with their block hash; once final, a
    // sighting whose block is not the one the deposit was recorded in was reorged away.
    for (const auto& u : scan.unconfirmed) {
      tx.exec_params(
          "INSERT INTO unconfirmed_transfers (network, tx_id, event_index, block_number, "
          "block_hash, amount) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
          network, u.tx_id, u.event_index, u.block_number, u.block_hash, u.amount.micros());
    }
    auto reorged = tx.exec_params(R"sql(
      UPDATE unconfirmed_transfers u SET status = 'reorged'
       WHERE u.network = $1 AND u.status = 'seen' AND u.block_number < $2
         AND NOT EXISTS (SELECT 1 FROM deposits d WHERE d.network = u.network
                           AND d.tx_id = u.tx_id AND d.event_index = u.event_index
                           AND d.block_hash = u.block_hash)
      RETURNING u.tx_id, u.event_index, u.block_hash)sql",
                                  network, scan.new_cursor.position);
    outcome.reorged = static_cast<int>(reorged.size());
    std::vector<ReorgedSighting> reorged_sightings;
    for (const auto& r : reorged) {
      reorged_sightings.push_back(
          {r[0].as<std::string>(), r[1].as<std::int64_t>(), r[2].as<std::string>()});
    }
    tx.exec_params(
        "DELETE FROM unconfirmed_transfers WHERE network = $1 AND status = 'seen' AND "
        "block_number < $2",
        network, scan.new_cursor.position);

    tx.exec_params(
        "UPDATE chain_cursors SET position = $2, position_state = $3, head = $4, final_height = "
        "$5, updated_at = now() WHERE network = $1",
        network, scan.new_cursor.position, scan.new_cursor.state, scan.head, scan.final_height);
    // The transfers above the final height that would credit an intent if they were final now,
    // decided by the same matcher as the deposits (after this scan's deposits took theirs).
    std::vector<TopupSighting> sighted;
    {
      std::vector<DepositInput> seen;
      for (const auto& u : scan.unconfirmed)
        if (u.amount_in_range) seen.push_back(u);
      if (!seen.empty()) {
        auto candidates = LoadCandidates(tx, network, seen, tolerance);
        std::vector<DepositDecision> decisions = match(seen, candidates);
        for (std::size_t i = 0; i < seen.size() && i < decisions.size(); ++i) {
          if (decisions[i].outcome != DepositOutcome::kCredit) continue;
          sighted.push_back(TopupSighting{
              candidates.intents.at(static_cast<std::size_t>(decisions[i].intent)).id, seen[i]});
        }
      }
    }
    // After the cursor: the confirming events show this scan's head.
    RecordTopupProgress(tx, network, scan, FinalityFor(network, scan), reorged_sightings, sighted);
    tx.commit();
    return outcome;
  });
}

Result<std::optional<std::int64_t>> DepositStore::SecondLookPosition(const std::string& network) {
  using Out = std::optional<std::int64_t>;
  return pool_->With<Out>([&](pqxx::connection& conn) -> Result<Out> {
    pqxx::nontransaction tx(conn);
    auto rows =
        tx.exec_params("SELECT position FROM second_look_positions WHERE network = $1", network);
    if (rows.empty()) return Out{};
    return Out{rows[0][0].as<std::int64_t>()};
  });
}

Result<std::int64_t> DepositStore::InitSecondLook(const std::string& network,
                                                  std::int64_t position) {
  return pool_->With<std::int64_t>([&](pqxx::connection& conn) -> Result<std::int64_t> {
    pqxx::work tx(conn);
    tx.exec_params(
        "INSERT INTO second_look_positions (network, position) VALUES ($1, $2) "
        "ON CONFLICT (network) DO NOTHING",
        network, position);
    auto row =
        tx.exec_params1("SELECT position FROM second_look_positions WHERE network = $1", network);
    tx.commit();
    return row[0].as<std::int64_t>();
  });
}

Result<BatchOutcome> DepositStore::RecordSecondLook(const std::string& network, std::int64_t from,
                                                    std::int64_t to,
                                                    const std::vector<DepositInput>& found,
                                                    Money tolerance, const MatchFunction& match) {
  return pool_->With<BatchOutcome>([&](pqxx::connection& conn) -> Result<BatchOutcome> {
    pqxx::work tx(conn);
    // The watcher's row lock: a scan recording the same transfers waits, or we wait for it.
    auto cursor =
        tx.exec_params("SELECT position FROM chain_cursors WHERE network = $1 FOR UPDATE", network);
    auto look = tx.exec_params(
        "SELECT position FROM second_look_positions WHERE network = $1 FOR UPDATE", network);
    if (cursor.empty() || look.empty() || look[0][0].as<std::int64_t>() != from) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "the second look of " + network + " moved; reloading it");
    }
    if (to > cursor[0][0].as<std::int64_t>()) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "the second look of " + network + " cannot pass the watcher's cursor");
    }
    std::vector<DepositInput> in_range;
    for (const auto& d : found) {
      if (d.block_number < from || d.block_number >= to) {
        return MakeError(ErrorCode::kInvalidArgument, "a transfer outside the second look's range");
      }
      in_range.push_back(d);
    }
    // What a scan recorded meanwhile (under this lock's wait) is not recorded twice.
    BatchOutcome outcome;
    std::vector<DepositInput> fresh;
    if (!in_range.empty()) {
      std::set<std::pair<std::string, std::int64_t>> known;
      PgArray tx_ids;
      for (const auto& d : in_range) tx_ids.Add(d.tx_id);
      for (const auto& row :
           tx.exec_params("SELECT tx_id, event_index FROM deposits WHERE network = $1 AND tx_id = "
                          "ANY($2::text[])",
                          network, tx_ids.str())) {
        known.emplace(row[0].as<std::string>(), row[1].as<std::int64_t>());
      }
      std::set<std::pair<std::string, std::int64_t>> in_batch;
      for (const auto& d : in_range) {
        if (known.count({d.tx_id, d.event_index}) ||
            !in_batch.insert({d.tx_id, d.event_index}).second) {
          ++outcome.already_recorded;
        } else if (RecordedUnderAnotherIndex(known, d)) {
          ++outcome.already_recorded;
          AuditTransfer(tx, network, d, "deposits.index_conflict");
        } else {
          fresh.push_back(d);
        }
      }
    }
    if (auto recorded = RecordFresh(tx, network, fresh, tolerance, match, outcome); !recorded)
      return recorded.error();
    for (const auto& d : fresh) AuditTransfer(tx, network, d, "deposits.second_look");
    tx.exec_params(
        "UPDATE second_look_positions SET position = $2, updated_at = now() WHERE network = $1",
        network, to);
    tx.commit();
    return outcome;
  });
}

bool DepositStore::IsListFilter(const std::string& filter) {
  return filter == "all" || filter == "unmatched" || filter == "credited_short" ||
         filter == "external" || filter == "reorged";
}

Result<std::vector<DepositRow>> DepositStore::List(const std::string& filter, int limit) {
  if (!IsListFilter(filter)) return MakeError(ErrorCode::kInvalidArgument, "unknown filter");
  using Rows = std::vector<DepositRow>;
  return pool_->With<Rows>([&](pqxx::connection& conn) -> Result<Rows> {
    pqxx::nontransaction tx(conn);
    Rows rows;
    std::string sql = std::string(kSelectDeposit) +
                      (filter == "unmatched"        ? " WHERE status = 'unmatched'"
                       : filter == "external"       ? " WHERE status = 'external'"
                       : filter == "reorged"        ? " WHERE reorg_status IS NOT NULL"
                       : filter == "credited_short" ? " WHERE status <> 'unmatched' AND "
                                                      "intent_id IN (SELECT id FROM "
                                                      "topup_intents WHERE status = "
                                                      "'credited_short')"
                                                    : "") +
                      " ORDER BY id DESC LIMIT $1";
    for (const auto& r : tx.exec_params(sql, limit)) rows.push_back(ReadDeposit(r));
    return rows;
  });
}

Result<AssignResult> DepositStore::Assign(std::int64_t deposit_id, std::int64_t key_id,
                                          const std::string& reason, const std::string& actor) {
  if (reason.empty()) return MakeError(ErrorCode::kInvalidArgument, "a reason is required");
  return pool_->With<AssignResult>([&](pqxx::connection& conn) -> Result<AssignResult> {
    pqxx::work tx(conn);
    auto rows =
        tx.exec_params(std::string(kSelectDeposit) + " WHERE id = $1 FOR UPDATE", deposit_id);
    if (rows.empty()) {
      return MakeError(ErrorCode::kNotFound, "no deposit with id " + std::to_string(deposit_id));
    }
    DepositRow d = ReadDeposit(rows[0]);
    if (d.status != "unmatched") {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "deposit " + std::to_string(deposit_id) + " is already " + d.status);
    }
    if (d.reorg_status == "vanished") {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "deposit " + std::to_string(deposit_id) +
                           " vanished in a chain reorg: it is not on the chain any more");
    }
    if (d.amount.micros() <= 0 || d.reason == "amount_out_of_range") {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "deposit " + std::to_string(deposit_id) + " has no creditable amount");
    }
    auto key = tx.exec_params("SELECT 1 FROM api_keys WHERE id = $1", key_id);
    if (key.empty())
      return MakeError(ErrorCode::kNotFound, "no API key with id " + std::to_string(key_id));
    auto transaction_id = CreditDeposit(tx, d.network, deposit_id, d.tx_id, d.event_index, d.amount,
                                        key_id, "assigned: " + reason);
    if (!transaction_id) return transaction_id.error();
    // The key's intent this deposit was for is marked credited_manual, so its status tells the
    // client what happened: the intent the deposit names (it came late for it) when that is the
    // key's and not yet credited; else the key's closest by amount on the network, not yet
    // credited.
    auto intent = tx.exec_params(std::string(R"sql(
      UPDATE topup_intents SET status = 'credited_manual', deposit_id = $1, credited_at = now(),
      )sql") + kClearTopupConfirmingSql +
                                     R"sql(
       WHERE id = coalesce(
               (SELECT id FROM topup_intents WHERE id = $5::uuid AND key_id = $2
                  AND network = $3 AND status IN ('pending', 'expired')),
               (SELECT id FROM topup_intents WHERE key_id = $2 AND network = $3
                  AND status IN ('pending', 'expired') AND abs(amount - $4) <= $4 / 10
                ORDER BY abs(amount - $4), created_at DESC LIMIT 1))
         -- Checked again on the row itself: the watcher may credit that intent between the
         -- subquery's snapshot and this update, and its deposit must stay the intent's.
         AND status IN ('pending', 'expired')
      RETURNING id::text)sql",
                                 deposit_id, key_id, d.network, d.amount.micros(),
                                 d.intent_id ? d.intent_id->c_str() : nullptr);
    std::optional<std::string> intent_id;
    if (!intent.empty()) intent_id = intent[0][0].as<std::string>();
    tx.exec_params(
        "UPDATE deposits SET status = 'assigned', key_id = $2, intent_id = $3::uuid, "
        "ledger_transaction_id = $4, credited_at = now() WHERE id = $1",
        deposit_id, key_id, intent_id ? intent_id->c_str() : nullptr, *transaction_id);
    // Claims still open on the deposit are settled: it is no longer unmatched.
    int refused = RefuseOpenClaims(tx, deposit_id, "", "the deposit was assigned by finance",
                                   "assign to key " + std::to_string(key_id), actor);
    JsonWriter details;
    details.BeginObject()
        .Field("deposit_id", deposit_id)
        .Field("amount_usdt", d.amount)
        .Field("reason", reason)
        .Field("transaction_id", *transaction_id)
        .Field("claims_refused", refused)
        .EndObject();
    WriteAudit(tx, actor, "deposits.assign", KeyAccountCode(key_id), details.str());
    if (intent_id) EnqueueTopupCreditEvent(tx, *intent_id);
    tx.commit();
    return AssignResult{deposit_id, key_id, d.amount, *transaction_id, intent_id};
  });
}

}  // namespace instamarket
