#include "watcher/reconciliation.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <utility>

#include "watcher/transfer_input.h"
#include "watcher/guarded_call.h"

namespace instamarket {
namespace {

// How far back a drift is explained at most, in scan ranges of the network: explaining scans
// the chain again, so a drift that stays unexplained must not make each run rescan history.
constexpr std::int64_t kMaxExplainRanges = 50;

using TransferKey = std::pair<std::string, std::int64_t>;

RecordedTransfer FromChain(const Transfer& t, TransferDirection direction) {
  DepositInput d = ToDepositInput(t);
  return {d.tx_id, d.event_index, direction == TransferDirection::kIncoming ? d.from : d.to,
          d.raw_amount, d.block_number};
}

std::string Negated(const std::string& raw) { return raw == "0" ? raw : "-" + raw; }

// The lines of one direction: what the chain has and the ledger lacks, and the other way round.
void Compare(const std::vector<RecordedTransfer>& on_chain,
             const std::vector<RecordedTransfer>& recorded, TransferDirection direction,
             std::vector<ReconciliationLine>& lines) {
  const bool incoming = direction == TransferDirection::kIncoming;
  std::map<TransferKey, const RecordedTransfer*> in_ledger;
  for (const auto& r : recorded) in_ledger[{r.tx_id, r.event_index}] = &r;
  std::map<TransferKey, const RecordedTransfer*> in_chain;
  for (const auto& c : on_chain) in_chain[{c.tx_id, c.event_index}] = &c;
  for (const auto& [key, c] : in_chain) {
    if (lines.size() >= Reconciler::kMaxLines) return;
    auto it = in_ledger.find(key);
    if (it != in_ledger.end() && it->second->raw_amount == c->raw_amount) continue;
    if (it != in_ledger.end()) {  // the same transfer with another amount: the ledger's is wrong
      lines.push_back({incoming ? "incoming_not_on_chain" : "outgoing_not_on_chain", *it->second,
                       incoming ? Negated(it->second->raw_amount) : it->second->raw_amount});
      if (lines.size() >= Reconciler::kMaxLines) return;
    }
    lines.push_back({incoming ? "unrecorded_incoming" : "unrecorded_outgoing", *c,
                     incoming ? c->raw_amount : Negated(c->raw_amount)});
  }
  for (const auto& [key, r] : in_ledger) {
    if (lines.size() >= Reconciler::kMaxLines) return;
    if (in_chain.count(key)) continue;
    lines.push_back({incoming ? "incoming_not_on_chain" : "outgoing_not_on_chain", *r,
                     incoming ? Negated(r->raw_amount) : r->raw_amount});
  }
}

}  // namespace

Reconciler::Reconciler(DepositStore& deposits, ReconciliationStore& store)
    : deposits_(deposits), store_(store) {}

Result<ReconciliationRun> Reconciler::Run(const NetworkConfig& network, ChainAdapter& adapter,
                                          const std::string& actor) {
  const std::string& id = network.id;
  auto cursor = deposits_.LoadCursor(id);
  if (!cursor) return cursor.error();
  if (!*cursor) {
    return MakeError(ErrorCode::kFailedPrecondition, id + " has not been scanned yet");
  }
  const std::int64_t position = (*cursor)->position;

  auto baseline = store_.Baseline(id);
  if (!baseline) return baseline.error();
  if (!*baseline) {
    // Where the watch began, when the config names the block and the node still has its state;
    // else here and now (the drift then counts from this run on).
    std::int64_t at = position;
    Result<ChainAmount> balance = MakeError(ErrorCode::kUnavailable, "not asked");
    std::int64_t start = 0;
    auto [end, ec] = std::from_chars(network.start.data(),
                                     network.start.data() + network.start.size(), start);
    if (ec == std::errc() && end == network.start.data() + network.start.size()) {
      if (start < position) {
        balance = Guarded<ChainAmount>([&] { return adapter.WalletBalanceBefore(start); });
        if (balance) at = start;
        if (!balance && balance.error().code == ErrorCode::kFailedPrecondition)
          return balance.error();
      }
    }
    if (!balance) {
      balance = Guarded<ChainAmount>([&] { return adapter.WalletBalanceBefore(position); });
      if (!balance) return balance.error();
    }
    auto set = store_.SetBaseline(id, {at, balance->raw, balance->decimals, 0});
    if (!set) return set.error();
    *baseline = *set;
  }
  const ReconciliationBaseline base = **baseline;

  // Outgoing transfers since the previous run (or the baseline), recorded from the chain.
  auto previous = store_.List(id, 1);
  if (!previous) return previous.error();
  std::int64_t outgoing_from = previous->empty() ? base.position : previous->front().position;
  if (outgoing_from < base.position) outgoing_from = base.position;
  if (outgoing_from < position) {
    auto out = Guarded<std::vector<Transfer>>([&] {
      return adapter.TransfersBetween(outgoing_from, position - 1, TransferDirection::kOutgoing);
    });
    if (!out) return out.error();
    std::vector<DepositInput> rows;
    for (const auto& t : *out) rows.push_back(ToDepositInput(t));
    auto recorded = store_.RecordOutgoing(id, rows);
    if (!recorded) return recorded.error();
  }

  auto chain = Guarded<ChainAmount>([&] { return adapter.WalletBalanceBefore(position); });
  if (!chain) return chain.error();
  auto totals = store_.TotalsBetween(id, base.position, position);
  if (!totals) return totals.error();
  auto drift = store_.Drift(chain->raw, base.raw_balance, *totals);
  if (!drift) return drift.error();

  ReconciliationRun run;
  run.network = id;
  run.position = position;
  run.baseline = base;
  run.chain_raw = chain->raw;
  run.incoming_raw = totals->incoming_raw;
  run.outgoing_raw = totals->outgoing_raw;
  run.drift_raw = *drift;
  run.decimals = chain->decimals;
  run.actor = actor;

  if (run.drift_raw != "0" && position > base.position) {
    auto clean = store_.LatestClean(id);
    if (!clean) return clean.error();
    std::int64_t from = *clean ? (*clean)->position : base.position;
    from = std::max({from, base.position,
                     position - kMaxExplainRanges *
                                    std::max<std::int64_t>(1, network.max_block_range)});
    for (auto direction : {TransferDirection::kIncoming, TransferDirection::kOutgoing}) {
      auto scanned = Guarded<std::vector<Transfer>>(
          [&] { return adapter.TransfersBetween(from, position - 1, direction); });
      if (!scanned) return scanned.error();
      std::vector<RecordedTransfer> on_chain;
      for (const auto& t : *scanned) on_chain.push_back(FromChain(t, direction));
      auto recorded = direction == TransferDirection::kIncoming
                          ? store_.RecordedIncoming(id, from, position)
                          : store_.RecordedOutgoing(id, from, position);
      if (!recorded) return recorded.error();
      Compare(on_chain, *recorded, direction, run.lines);
    }
  }
  return store_.Save(std::move(run));
}

}  // namespace instamarket
