#include "ledger/topup_events.h"

#include <spdlog/spdlog.h>

#include <ctime>

#include "core/json_writer.h"
#include "ledger/pg_array.h"
#include "ledger/pg_pool.h"
#include "ledger/topup_store.h"

namespace instamarket {
namespace {

// The sighting columns of topup_intents t with the network's head (chain_cursors c), from
// column `first` on; NULL tx id: no sighting.
constexpr char kConfirmingColumns[] = R"sql(
  t.confirming_tx_id, t.confirming_event_index, t.confirming_block_number, t.confirming_amount,
  coalesce(c.head, t.confirming_block_number), floor(extract(epoch FROM t.confirming_since))::bigint,
  coalesce(t.confirming_needed, 0), coalesce(t.confirming_finality, ''),
  t.confirming_expected_seconds)sql";

std::optional<TopupConfirming> ReadConfirming(const pqxx::row& r, int first) {
  if (r[first].is_null()) return std::nullopt;
  TopupConfirming c;
  c.tx_id = r[first].as<std::string>();
  c.event_index = r[first + 1].as<std::int64_t>();
  c.block_number = r[first + 2].as<std::int64_t>();
  c.amount = Money::FromMicros(r[first + 3].as<std::int64_t>());
  c.head = r[first + 4].as<std::int64_t>();
  c.since = r[first + 5].as<std::int64_t>();
  c.finality.confirmations_needed = r[first + 6].as<int>();
  c.finality.tag = r[first + 7].as<std::string>();
  if (!r[first + 8].is_null()) c.finality.expected_seconds = r[first + 8].as<int>();
  return c;
}

}  // namespace

const char kClearTopupConfirmingSql[] = R"sql(
  confirming_tx_id = NULL, confirming_event_index = NULL, confirming_block_number = NULL,
  confirming_block_hash = NULL, confirming_amount = NULL, confirming_since = NULL,
  confirming_needed = NULL, confirming_finality = NULL, confirming_expected_seconds = NULL)sql";

void EnqueueTopupEvent(pqxx::transaction_base& tx, const std::string& intent_id,
                       const std::string& event, const std::optional<TopupConfirming>& reorged) {
  auto rows = tx.exec_params(std::string(R"sql(
    SELECT t.webhook_url, t.key_id, t.status, t.network, t.amount, t.requested_amount,
           floor(extract(epoch FROM t.created_at))::bigint,
         floor(extract(epoch FROM t.expires_at))::bigint,
           t.expires_at < now(), d.tx_id, d.amount, floor(extract(epoch FROM t.credited_at))::bigint,
           )sql") + kConfirmingColumns +
                                 R"sql(
      FROM topup_intents t LEFT JOIN deposits d ON d.id = t.deposit_id
      LEFT JOIN chain_cursors c ON c.network = t.network
     WHERE t.id = $1::uuid)sql",
                             intent_id);
  if (rows.empty() || rows[0][0].is_null()) return;
  const pqxx::row& r = rows[0];
  std::string status = r[2].as<std::string>();
  std::string network = r[3].as<std::string>();
  std::optional<TopupConfirming> confirming = ReadConfirming(r, 12);
  if (status != "pending") confirming.reset();  // history once credited or expired
  JsonWriter json;
  json.BeginObject()
      .Field("event", event)
      .Field("topup_id", intent_id)
      .Field("status", TopupVisibleStatus(status, confirming.has_value(), r[8].as<bool>()))
      .Field("network", network)
      .Field("amount_usdt", Money::FromMicros(r[4].as<std::int64_t>()))
      .Field("requested_amount_usdt", Money::FromMicros(r[5].as<std::int64_t>()));
  json.Key("deposit");
  if (!r[9].is_null()) {
    json.BeginObject()
        .Field("network", network)
        .Field("tx_id", r[9].as<std::string>())
        .Field("amount_usdt", Money::FromMicros(r[10].as<std::int64_t>()));
    json.Key("credited_at");
    if (r[11].is_null())
      json.Null();
    else
      json.Int(r[11].as<std::int64_t>());
    json.EndObject();
  } else {
    json.Null();
  }
  json.Key("confirming");
  if (confirming)
    WriteTopupConfirmingJson(json, *confirming);
  else
    json.Null();
  if (reorged) {
    json.Key("reorged");
    WriteTopupConfirmingJson(json, *reorged);
  }
  json.Field("created_at", r[6].as<std::int64_t>())
      .Field("expires_at", r[7].as<std::int64_t>())
      .Field("timestamp", static_cast<std::int64_t>(std::time(nullptr)))
      .EndObject();
  tx.exec_params(
      "INSERT INTO webhook_deliveries (topup_id, key_id, url, event, body) "
      "VALUES ($1::uuid, $2, $3, $4, $5)",
      intent_id, r[1].as<std::int64_t>(), r[0].as<std::string>(), event, json.str());
}

void EnqueueTopupCreditEvent(pqxx::transaction_base& tx, const std::string& intent_id) {
  auto status = tx.exec_params("SELECT status FROM topup_intents WHERE id = $1::uuid", intent_id);
  bool short_paid = !status.empty() && status[0][0].as<std::string>() == "credited_short";
  EnqueueTopupEvent(tx, intent_id, short_paid ? "topup.credited_short" : "topup.credited");
}

int RecordTopupProgress(pqxx::transaction_base& tx, const std::string& network,
                        const ScanResult& scan, const NetworkFinality& finality,
                        const std::vector<ReorgedSighting>& reorged,
                        const std::vector<TopupSighting>& sighted) {
  // 1. Sightings a reorg removed: their intents are pending again, told with topup.reorged
  //    (the body's "reorged" is the sighting that is gone).
  if (!reorged.empty()) {
    PgArray tx_ids, indexes, hashes;
    for (const auto& s : reorged) {
      tx_ids.Add(s.tx_id);
      indexes.Add(s.event_index);
      hashes.Add(s.block_hash);
    }
    auto cleared = tx.exec_params(std::string(R"sql(
      WITH r AS (SELECT * FROM unnest($2::text[], $3::bigint[], $4::text[])
                          AS r(tx_id, event_index, block_hash)),
      old AS (
        SELECT t.id, )sql") + kConfirmingColumns +
                                      R"sql(
          FROM topup_intents t JOIN r ON t.confirming_tx_id = r.tx_id
           AND t.confirming_event_index = r.event_index AND t.confirming_block_hash = r.block_hash
          LEFT JOIN chain_cursors c ON c.network = t.network
         WHERE t.network = $1 AND t.status IN ('pending', 'expired')
         FOR UPDATE OF t)
      UPDATE topup_intents t SET )sql" +
                                      kClearTopupConfirmingSql + R"sql(
        FROM old WHERE t.id = old.id
      RETURNING old.*)sql",
                                  network, tx_ids.str(), indexes.str(), hashes.str());
    for (const auto& row : cleared) {
      std::string id = row[0].as<std::string>();
      std::optional<TopupConfirming> gone = ReadConfirming(row, 1);
      spdlog::info("{}: top-up {}: the transfer {} it was confirming was reorged away", network, id,
                   gone ? gone->tx_id : "");
      EnqueueTopupEvent(tx, id, "topup.reorged", gone);
    }
  }

  // 2. A sighting now final that did not credit its intent (the deposit went elsewhere): the
  //    intent is plainly pending again. Rare: sightings match like deposits do.
  for (const auto& row : tx.exec_params(std::string(R"sql(
      UPDATE topup_intents SET )sql") + kClearTopupConfirmingSql +
                                            R"sql(
       WHERE network = $1 AND status = 'pending' AND confirming_block_number < $2
      RETURNING id::text)sql",
                                        network, scan.new_cursor.position)) {
    spdlog::warn("{}: top-up {}: the transfer it was confirming is final but did not credit it",
                 network, row[0].as<std::string>());
  }

  // 3. New sightings: a pending intent without one that the matcher says the transfer pays
  //    (RecordScan asked it), the first such transfer of the scan.
  PgArray intent_ids, tx_ids, indexes, blocks, hashes, amounts;
  for (const auto& s : sighted) {
    intent_ids.Add(s.intent_id);
    tx_ids.Add(s.transfer.tx_id);
    indexes.Add(s.transfer.event_index);
    blocks.Add(s.transfer.block_number);
    hashes.Add(s.transfer.block_hash);
    amounts.Add(s.transfer.amount.micros());
  }
  if (sighted.empty()) return 0;
  std::optional<int> needed;
  if (finality.tag.empty()) needed = finality.confirmations_needed;
  auto matched = tx.exec_params(
      R"sql(
    WITH m AS (
      SELECT DISTINCT ON (s.id) s.* FROM
        unnest($2::uuid[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::bigint[])
          WITH ORDINALITY AS s(id, tx_id, event_index, block_number, block_hash, amount, ord)
       ORDER BY s.id, s.ord)
    UPDATE topup_intents t
       SET confirming_tx_id = m.tx_id, confirming_event_index = m.event_index,
           confirming_block_number = m.block_number, confirming_block_hash = m.block_hash,
           confirming_amount = m.amount, confirming_since = now(), confirming_needed = $8,
           confirming_finality = NULLIF($9, ''), confirming_expected_seconds = $10
      FROM m WHERE t.id = m.id AND t.network = $1 AND t.status = 'pending'
       AND t.confirming_tx_id IS NULL
    RETURNING t.id::text)sql",
      network, intent_ids.str(), tx_ids.str(), indexes.str(), blocks.str(), hashes.str(),
      amounts.str(), needed ? &*needed : nullptr, finality.tag,
      finality.expected_seconds ? &*finality.expected_seconds : nullptr);
  for (const auto& row : matched) {
    EnqueueTopupEvent(tx, row[0].as<std::string>(), "topup.confirming");
  }
  return static_cast<int>(matched.size());
}

std::vector<std::string> ExpireTopupIntents(pqxx::transaction_base& tx,
                                            const std::optional<std::string>& network,
                                            int grace_seconds, std::int64_t limit) {
  std::vector<std::string> ids;
  for (const auto& row :
       tx.exec_params(R"sql(
      UPDATE topup_intents SET status = 'expired'
       WHERE id IN (SELECT id FROM topup_intents
                     WHERE status = 'pending' AND ($1::text IS NULL OR network = $1)
                       AND expires_at < now() - make_interval(secs => $2)
                     ORDER BY expires_at LIMIT $3 FOR UPDATE SKIP LOCKED)
      RETURNING id::text)sql",
                      network ? network->c_str() : nullptr, grace_seconds, limit)) {
    ids.push_back(row[0].as<std::string>());
    EnqueueTopupEvent(tx, ids.back(), "topup.expired");
  }
  return ids;
}

std::optional<TopupConfirming> LoadTopupConfirming(pqxx::transaction_base& tx,
                                                   const std::string& intent_id) {
  auto rows = tx.exec_params(std::string("SELECT ") + kConfirmingColumns + R"sql(
      FROM topup_intents t LEFT JOIN chain_cursors c ON c.network = t.network
     WHERE t.id = $1::uuid)sql",
                             intent_id);
  if (rows.empty()) return std::nullopt;
  return ReadConfirming(rows[0], 0);
}

Result<int> TopupStore::ExpireOverdue(int grace_seconds, int limit) {
  return pool_->With<int>([&](pqxx::connection& conn) -> Result<int> {
    pqxx::work tx(conn);
    auto expired = ExpireTopupIntents(tx, std::nullopt, grace_seconds, limit);
    tx.commit();
    return static_cast<int>(expired.size());
  });
}

}  // namespace instamarket
