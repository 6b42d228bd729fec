#include "watcher/deposit_watcher.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <mutex>

#include "ledger/watcher_lease.h"
#include "metrics/chain_alerts.h"
#include "metrics/metrics.h"
#include "net/asio_bridge.h"
#include "watcher/guarded_call.h"
#include "watcher/amount_matcher.h"
#include "watcher/transfer_input.h"

namespace instamarket {
namespace {

namespace asio = boost::asio;

constexpr auto kFirstBackoff = std::chrono::milliseconds(250);
// Short on purpose: the RPC client already retries each call, so a failed poll means a node is
// really down for now, and a credit must not wait long once it is back.
constexpr auto kMaxBackoff = std::chrono::seconds(5);

ScanResult ToScanResult(const ChainBatch& batch) {
  ScanResult scan;
  scan.new_cursor = batch.next;
  scan.head = batch.head;
  scan.final_height = batch.final_height;
  scan.rescanning_below = batch.rescanning_below;
  for (const auto& t : batch.final_transfers) scan.final_transfers.push_back(ToDepositInput(t));
  for (const auto& t : batch.unconfirmed) scan.unconfirmed.push_back(ToDepositInput(t));
  return scan;
}

// A reorg deeper than the finality: the one error log that names the heights and hashes, the
// metrics, and /readyz's detail. Recording the batch then moves the cursor back.
void AlertDeepReorg(const std::string& network, const ChainCursor& from, const ChainReorg& r) {
  spdlog::error(
      "{}: DEEP REORG: block {} was scanned as final with hash {}, the node now has {}; {}; "
      "re-scanning from block {} (was {}). Deposits of replaced blocks that are gone will be "
      "flagged vanished (admin deposits list --status reorged)",
      network, r.replaced_height, r.kept_hash, r.node_hash,
      r.ancestor_found ? "common ancestor at block " + std::to_string(r.ancestor_height) + " (" +
                             r.ancestor_hash + ")"
                       : "no kept block is still on the chain: blocks below " +
                             std::to_string(r.ancestor_height + 1) + " are not re-checked",
      r.ancestor_height + 1, from.position);
  Metrics::Get().RecordDeepReorg(network, r.replaced_height - r.ancestor_height);
  ChainAlerts::Get().RecordDeepReorg(
      network, {r.replaced_height, r.kept_hash, r.node_hash, r.ancestor_height, r.ancestor_found});
}

void LogReorgedDeposits(const std::string& network, const BatchOutcome& outcome) {
  for (const auto& d : outcome.vanished) {
    spdlog::error(
        "{}: deposit {} ({}#{}, {} USDT, {}) was in block {}, which a deep reorg replaced: "
        "flagged vanished for finance",
        network, d.id, d.tx_id, d.event_index, d.amount.ToJsonNumber(), d.status, d.block_number);
  }
  for (const auto& d : outcome.remined) {
    spdlog::warn("{}: deposit {} ({}#{}, {}) is now in block {} after a reorg: flagged remined",
                 network, d.id, d.tx_id, d.event_index, d.status, d.block_number);
  }
  if (!outcome.vanished.empty() || !outcome.remined.empty()) {
    Metrics::Get().RecordReorgedDeposits(network, static_cast<int>(outcome.vanished.size()),
                                         static_cast<int>(outcome.remined.size()));
    ChainAlerts::Get().AddVanishedDeposits(network, static_cast<int>(outcome.vanished.size()));
  }
}

}  // namespace

struct DepositWatcher::Impl {
  struct Network {
    NetworkConfig config;
    std::unique_ptr<ChainAdapter> adapter;
    std::unique_ptr<asio::steady_timer> timer;  // used on the network's strand only
  };

  Impl(const Config& config_in, const AdapterRegistry& adapters_in, DepositStore& store_in,
       Runtime& runtime_in)
      : config(config_in),
        adapters(adapters_in),
        store(store_in),
        runtime(runtime_in),
        lease(config_in.database),
        io(RuntimeAccess::Io(runtime_in)),
        blocking(RuntimeAccess::Blocking(runtime_in)) {
    rules.tolerance = Money::FromMicros(config_in.topups.match_tolerance_micros);
    rules.clock_skew_seconds = config_in.topups.clock_skew_seconds;
  }

  asio::awaitable<void> Watch(Network& n) {
    const std::string& id = n.config.id;
    auto backoff = std::chrono::steady_clock::duration(kFirstBackoff);
    std::optional<ChainCursor> cursor;
    while (!stopping) {
      // One instance watches each network (several may share the database); the others wait.
      bool leader = co_await RunBlocking(blocking, [&] { return lease.Hold(id); });
      Metrics::Get().RecordWatcherLeader(id, leader);
      if (!leader) {
        cursor.reset();  // reloaded when this instance takes over: the leader moved it
        co_await Sleep(n, std::chrono::milliseconds(n.config.poll_interval_ms));
        continue;
      }
      if (!cursor) {
        auto loaded = co_await RunBlocking(blocking, [&] { return LoadOrInitCursor(n); });
        if (loaded) {
          cursor = *loaded;
          // An EVM cursor's state holds block hashes (kilobytes): only short states are shown.
          spdlog::info("{}: watching from position {}{}", id, cursor->position,
                       cursor->state.empty()        ? ""
                       : cursor->state.size() > 200 ? " (" + std::to_string(cursor->state.size()) +
                                                          " bytes of state)"
                                                    : " (" + cursor->state + ")");
        } else {
          spdlog::warn("{}: cannot load the cursor: {}", id, loaded.error().message);
          co_await Sleep(n, backoff);
          backoff = std::min<std::chrono::steady_clock::duration>(backoff * 2, kMaxBackoff);
          continue;
        }
      }
      ChainCursor from = *cursor;
      auto batch = co_await RunBlocking(
          blocking, [&] { return Guarded<ChainBatch>([&] { return n.adapter->Poll(from); }); });
      if (!batch) {
        spdlog::warn("{}: poll failed (retrying in {} ms): {}", id,
                     std::chrono::duration_cast<std::chrono::milliseconds>(backoff).count(),
                     batch.error().message);
        co_await Sleep(n, backoff);
        backoff = std::min<std::chrono::steady_clock::duration>(backoff * 2, kMaxBackoff);
        continue;
      }
      if (batch->deep_reorg) AlertDeepReorg(id, *cursor, *batch->deep_reorg);
      ScanResult scan = ToScanResult(*batch);
      const ChainCursor& expected = *cursor;
      auto recorded = co_await RunBlocking(blocking, [&] {
        return store.RecordScan(
            id, expected, scan, rules.tolerance,
            [this](const std::vector<DepositInput>& deposits, const MatchCandidates& candidates) {
              return MatchDeposits(deposits, candidates, rules);
            });
      });
      if (!recorded) {
        spdlog::warn("{}: recording positions {}..{} failed: {}", id, expected.position,
                     scan.new_cursor.position, recorded.error().message);
        cursor.reset();  // reload: another instance may have moved it
        co_await Sleep(n, backoff);
        backoff = std::min<std::chrono::steady_clock::duration>(backoff * 2, kMaxBackoff);
        continue;
      }
      backoff = kFirstBackoff;
      LogReorgedDeposits(id, *recorded);
      if (recorded->credited || recorded->unmatched) {
        const double now =
            std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        for (const auto& d : scan.final_transfers) {
          if (d.block_time > 0) Metrics::Get().RecordDepositLatency(id, now - d.block_time);
        }
      }
      Metrics::Get().RecordScan(id, scan.head, scan.final_height, scan.new_cursor.position,
                                recorded->credited, recorded->unmatched, recorded->reorged);
      if (recorded->credited || recorded->unmatched || recorded->reorged) {
        spdlog::info("{}: positions {}..{}: {} credited, {} unmatched, {} reorged sightings", id,
                     expected.position, scan.new_cursor.position, recorded->credited,
                     recorded->unmatched, recorded->reorged);
      }
      cursor = scan.new_cursor;
      if (batch->reached_final_head) {
        co_await Sleep(n, std::chrono::milliseconds(n.config.poll_interval_ms));
      }
    }
  }

  Result<ChainCursor> LoadOrInitCursor(Network& n) {
    auto stored = store.LoadCursor(n.config.id);
    if (!stored) return stored.error();
    if (*stored) return **stored;
    auto initial = Guarded<ChainCursor>([&] { return n.adapter->InitialCursor(); });
    if (!initial) return initial.error();
    return store.InitCursor(n.config.id, *initial);
  }

  asio::awaitable<void> Sleep(Network& n, std::chrono::steady_clock::duration d) {
    if (stopping) co_return;
    n.timer->expires_after(d);
    boost::system::error_code ec;
    co_await n.timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }

  const Config& config;
  const AdapterRegistry& adapters;
  DepositStore& store;
  Runtime& runtime;
  WatcherLease lease;
  asio::io_context& io;
  asio::thread_pool& blocking;
  MatchRules rules;
  std::vector<std::unique_ptr<Network>> networks;
  std::atomic<bool> stopping{false};
};

DepositWatcher::DepositWatcher(const Config& config, const AdapterRegistry& adapters,
                               DepositStore& store, Runtime& runtime)
    : impl_(std::make_unique<Impl>(config, adapters, store, runtime)) {}

DepositWatcher::~DepositWatcher() = default;

Status DepositWatcher::Start() {
  for (const auto& network : impl_->config.networks) {
    if (!network.enabled) continue;
    auto adapter = impl_->adapters.Create(network);
    if (!adapter) return adapter.error();
    // Hook for the EVM identity checks (chain id, token decimals): a proven mismatch stops serve.
    if (auto verified = (*adapter)->VerifyAtStart(); !verified) return verified.error();
    auto n = std::make_unique<Impl::Network>();
    n->config = network;
    n->adapter = std::move(*adapter);
    impl_->store.SetFinality(network.id, FinalityOf(network));
    n->timer = std::make_unique<asio::steady_timer>(asio::make_strand(impl_->io));
    impl_->networks.push_back(std::move(n));
  }
  impl_->runtime.OnStop([impl = impl_.get()] {
    impl->stopping = true;
    for (auto& n : impl->networks) {
      asio::post(n->timer->get_executor(), [timer = n->timer.get()] { timer->cancel(); });
    }
  });
  for (auto& n : impl_->networks) {
    asio::co_spawn(n->timer->get_executor(), impl_->Watch(*n), asio::detached);
  }
  return OkStatus();
}

}  // namespace instamarket
