#include "ledger/reconciliation_store.h"

#include <map>
#include <pqxx/pqxx>

#include "ledger/pg_array.h"
#include "ledger/pg_pool.h"

namespace instamarket {
namespace {

constexpr char kRunColumns[] = R"sql(
  id, network, position, baseline_position, baseline_raw::text, chain_raw::text,
  incoming_raw::text, outgoing_raw::text, drift_raw::text, unexplained_raw::text, decimals,
  actor, floor(extract(epoch FROM run_at))::bigint)sql";

ReconciliationRun ReadRun(const pqxx::row& r) {
  ReconciliationRun run;
  run.id = r[0].as<std::int64_t>();
  run.network = r[1].as<std::string>();
  run.position = r[2].as<std::int64_t>();
  run.baseline.position = r[3].as<std::int64_t>();
  run.baseline.raw_balance = r[4].as<std::string>();
  run.chain_raw = r[5].as<std::string>();
  run.incoming_raw = r[6].as<std::string>();
  run.outgoing_raw = r[7].as<std::string>();
  run.drift_raw = r[8].as<std::string>();
  run.unexplained_raw = r[9].as<std::string>();
  run.decimals = r[10].as<int>();
  run.baseline.decimals = run.decimals;
  run.actor = r[11].as<std::string>();
  run.run_at = r[12].as<std::int64_t>();
  return run;
}

// Fills each run's lines, in one query.
void LoadLines(pqxx::transaction_base& tx, std::vector<ReconciliationRun>& runs) {
  if (runs.empty()) return;
  PgArray ids;
  std::map<std::int64_t, ReconciliationRun*> by_id;
  for (auto& run : runs) {
    ids.Add(run.id);
    by_id[run.id] = &run;
  }
  for (const auto& r : tx.exec_params(R"sql(
      SELECT run_id, kind, tx_id, event_index, counterparty, raw_amount::text, effect_raw::text,
             block_number
        FROM reconciliation_lines WHERE run_id = ANY($1::bigint[])
       ORDER BY run_id, block_number, tx_id, event_index)sql",
                                      ids.str())) {
    ReconciliationLine line;
    line.kind = r[1].as<std::string>();
    line.transfer = {r[2].as<std::string>(), r[3].as<std::int64_t>(), r[4].as<std::string>(),
                     r[5].as<std::string>(), r[7].as<std::int64_t>()};
    line.effect_raw = r[6].as<std::string>();
    by_id[r[0].as<std::int64_t>()]->lines.push_back(std::move(line));
  }
}

std::vector<RecordedTransfer> ReadTransfers(const pqxx::result& rows) {
  std::vector<RecordedTransfer> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    out.push_back({r[0].as<std::string>(), r[1].as<std::int64_t>(), r[2].as<std::string>(),
                   r[3].as<std::string>(), r[4].as<std::int64_t>()});
  }
  return out;
}

}  // namespace

ReconciliationStore::ReconciliationStore(std::shared_ptr<PgPool> pool) : pool_(std::move(pool)) {}

Result<std::optional<ReconciliationBaseline>> ReconciliationStore::Baseline(
    const std::string& network) {
  using Out = std::optional<ReconciliationBaseline>;
  return pool_->With<Out>([&](pqxx::connection& conn) -> Result<Out> {
    pqxx::nontransaction tx(conn);
    auto rows = tx.exec_params(
        "SELECT position, raw_balance::text, decimals, floor(extract(epoch FROM taken_at))::bigint "
        "FROM reconciliation_baselines WHERE network = $1",
        network);
    if (rows.empty()) return Out{};
    return Out{ReconciliationBaseline{rows[0][0].as<std::int64_t>(), rows[0][1].as<std::string>(),
                                      rows[0][2].as<int>(), rows[0][3].as<std::int64_t>()}};
  });
}

Result<ReconciliationBaseline> ReconciliationStore::SetBaseline(
    const std::string& network, const ReconciliationBaseline& baseline) {
  auto stored = pool_->With<bool>([&](pqxx::connection& conn) -> Result<bool> {
    pqxx::nontransaction tx(conn);
    tx.exec_params(
        "INSERT INTO reconciliation_baselines (network, position, raw_balance, decimals) "
        "VALUES ($1, $2, $3::numeric, $4) ON CONFLICT (network) DO NOTHING",
        network, baseline.position, baseline.raw_balance, baseline.decimals);
    return true;
  });
  if (!stored) return stored.error();
  auto in_force = Baseline(network);
  if (!in_force) return in_force.error();
  if (!*in_force) return MakeError(ErrorCode::kInternal, "the baseline vanished");
  return **in_force;
}

Result<int> ReconciliationStore::RecordOutgoing(const std::string& network,
                                                const std::vector<DepositInput>& transfers) {
  if (transfers.empty()) return 0;
  return pool_->With<int>([&](pqxx::connection& conn) -> Result<int> {
    PgArray tx_ids, indexes, froms, tos, amounts, decimals, blocks, hashes;
    for (const auto& t : transfers) {
      tx_ids.Add(t.tx_id);
      indexes.Add(t.event_index);
      froms.Add(t.from);
      tos.Add(t.to);
      amounts.Add(t.raw_amount);
      decimals.Add(static_cast<std::int64_t>(t.decimals));
      blocks.Add(t.block_number);
      hashes.Add(t.block_hash);
    }
    pqxx::work tx(conn);
    auto inserted = tx.exec_params(R"sql(
      INSERT INTO outgoing_transfers (network, tx_id, event_index, from_address, to_address,
                                      raw_amount, decimals, block_number, block_hash)
      SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[],
                               $6::numeric[], $7::int[], $8::bigint[], $9::text[])
      ON CONFLICT (network, tx_id, event_index) DO NOTHING)sql",
                                   network, tx_ids.str(), indexes.str(), froms.str(), tos.str(),
                                   amounts.str(), decimals.str(), blocks.str(), hashes.str());
    tx.commit();
    return static_cast<int>(inserted.affected_rows());
  });
}

Result<std::vector<RecordedTransfer>> ReconciliationStore::RecordedIncoming(
    const std::string& network, std::int64_t from, std::int64_t to) {
  using Out = std::vector<RecordedTransfer>;
  return pool_->With<Out>([&](pqxx::connection& conn) -> Result<Out> {
    pqxx::nontransaction tx(conn);
    return ReadTransfers(tx.exec_params(
        "SELECT tx_id, event_index, from_address, raw_amount::text, block_number FROM deposits "
        "WHERE network = $1 AND block_number >= $2 AND block_number < $3 "
        "AND reorg_status IS DISTINCT FROM 'vanished'",
        network, from, to));
  });
}

Result<std::vector<RecordedTransfer>> ReconciliationStore::RecordedOutgoing(
    const std::string& network, std::int64_t from, std::int64_t to) {
  using Out = std::vector<RecordedTransfer>;
  return pool_->With<Out>([&](pqxx::connection& conn) -> Result<Out> {
    pqxx::nontransaction tx(conn);
    return ReadTransfers(tx.exec_params(
        "SELECT tx_id, event_index, to_address, raw_amount::text, block_number "
        "FROM outgoing_transfers WHERE network = $1 AND block_number >= $2 AND block_number < $3",
        network, from, to));
  });
}

Result<ReconciliationStore::Totals> ReconciliationStore::TotalsBetween(const std::string& network,
                                                                       std::int64_t from,
                                                                       std::int64_t to) {
  return pool_->With<Totals>([&](pqxx::connection& conn) -> Result<Totals> {
    pqxx::nontransaction tx(conn);
    auto row = tx.exec_params1(R"sql(
      SELECT (SELECT coalesce(sum(raw_amount), 0) FROM deposits
               WHERE network = $1 AND block_number >= $2 AND block_number < $3
                 AND reorg_status IS DISTINCT FROM 'vanished')::text,
             (SELECT coalesce(sum(raw_amount), 0) FROM outgoing_transfers
               WHERE network = $1 AND block_number >= $2 AND block_number < $3)::text)sql",
                               network, from, to);
    return Totals{row[0].as<std::string>(), row[1].as<std::string>()};
  });
}

Result<std::string> ReconciliationStore::Drift(const std::string& chain_raw,
                                               const std::string& baseline_raw,
                                               const Totals& totals) {
  return pool_->With<std::string>([&](pqxx::connection& conn) -> Result<std::string> {
    pqxx::nontransaction tx(conn);
    return tx
        .exec_params1("SELECT ($1::numeric - ($2::numeric + $3::numeric - $4::numeric))::text",
                      chain_raw, baseline_raw, totals.incoming_raw, totals.outgoing_raw)[0]
        .as<std::string>();
  });
}

Result<ReconciliationRun> ReconciliationStore::Save(ReconciliationRun run) {
  return pool_->With<ReconciliationRun>([&](pqxx::connection& conn) -> Result<ReconciliationRun> {
    PgArray kinds, tx_ids, indexes, parties, amounts, effects, blocks;
    for (const auto& line : run.lines) {
      kinds.Add(line.kind);
      tx_ids.Add(line.transfer.tx_id);
      indexes.Add(line.transfer.event_index);
      parties.Add(line.transfer.counterparty);
      amounts.Add(line.transfer.raw_amount);
      effects.Add(line.effect_raw);
      blocks.Add(line.transfer.block_number);
    }
    pqxx::work tx(conn);
    auto row = tx.exec_params1(
        R"sql(
      INSERT INTO reconciliation_runs (network, position, baseline_position, baseline_raw,
                                       chain_raw, incoming_raw, outgoing_raw, drift_raw,
                                       unexplained_raw, decimals, actor)
      VALUES ($1, $2, $3, $4::numeric, $5::numeric, $6::numeric, $7::numeric, $8::numeric,
              $8::numeric - (SELECT coalesce(sum(e), 0) FROM unnest($9::numeric[]) e), $10, $11)
      RETURNING id, unexplained_raw::text, floor(extract(epoch FROM run_at))::bigint)sql",
        run.network, run.position, run.baseline.position, run.baseline.raw_balance, run.chain_raw,
        run.incoming_raw, run.outgoing_raw, run.drift_raw, effects.str(), run.decimals, run.actor);
    run.id = row[0].as<std::int64_t>();
    run.unexplained_raw = row[1].as<std::string>();
    run.run_at = row[2].as<std::int64_t>();
    if (!run.lines.empty()) {
      tx.exec_params(R"sql(
        INSERT INTO reconciliation_lines (run_id, kind, tx_id, event_index, counterparty,
                                          raw_amount, effect_raw, block_number)
        SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[],
                                 $6::numeric[], $7::numeric[], $8::bigint[]))sql",
                     run.id, kinds.str(), tx_ids.str(), indexes.str(), parties.str(), amounts.str(),
                     effects.str(), blocks.str());
    }
    tx.commit();
    return run;
  });
}

Result<std::optional<ReconciliationRun>> ReconciliationStore::LatestClean(
    const std::string& network) {
  using Out = std::optional<ReconciliationRun>;
  return pool_->With<Out>([&](pqxx::connection& conn) -> Result<Out> {
    pqxx::nontransaction tx(conn);
    auto rows = tx.exec_params(std::string("SELECT ") + kRunColumns +
                                   " FROM reconciliation_runs WHERE network = $1 AND "
                                   "drift_raw = 0 ORDER BY id DESC LIMIT 1",
                               network);
    if (rows.empty()) return Out{};
    return Out{ReadRun(rows[0])};
  });
}

Result<std::vector<ReconciliationRun>> ReconciliationStore::List(
    const std::optional<std::string>& network, int limit) {
  using Out = std::vector<ReconciliationRun>;
  return pool_->With<Out>([&](pqxx::connection& conn) -> Result<Out> {
    pqxx::nontransaction tx(conn);
    pqxx::result rows =
        network ? tx.exec_params(std::string("SELECT ") + kRunColumns +
                                     " FROM reconciliation_runs WHERE network = $1 "
                                     "ORDER BY id DESC LIMIT $2",
                                 *network, limit)
                : tx.exec_params(std::string("SELECT * FROM (SELECT DISTINCT ON (network) ") +
                                     kRunColumns +
                                     " FROM reconciliation_runs ORDER BY network, id DESC) r "
                                     "ORDER BY id DESC LIMIT $1",
                                 limit);
    Out runs;
    for (const auto& r : rows) runs.push_back(ReadRun(r));
    LoadLines(tx, runs);
    return runs;
  });
}

Result<std::optional<std::int64_t>> ReconciliationStore::SecondsSinceLatest(
    const std::string& network) {
  using Out = std::optional<std::int64_t>;
  return pool_->With<Out>([&](pqxx::connection& conn) -> Result<Out> {
    pqxx::nontransaction tx(conn);
    auto row = tx.exec_params1(
        "SELECT extract(epoch FROM now() - max(run_at))::bigint FROM reconciliation_runs "
        "WHERE network = $1",
        network);
    if (row[0].is_null()) return Out{};
    return Out{row[0].as<std::int64_t>()};
  });
}

}  // namespace instamarket
