#include "watcher/second_look.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <deque>
#include <set>

#include "metrics/metrics.h"
#include "net/asio_bridge.h"
#include "watcher/guarded_call.h"
#include "watcher/amount_matcher.h"
#include "watcher/transfer_input.h"

namespace instamarket {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// The second look's reads go to the next endpoint first, where there is one.
NetworkConfig RotatedEndpoints(NetworkConfig network) {
  if (network.rpc.size() > 1) {
    std::rotate(network.rpc.begin(), network.rpc.begin() + 1, network.rpc.end());
  }
  return network;
}

}  // namespace

struct SecondLook::Impl {
  struct Network {
    NetworkConfig config;
    std::unique_ptr<ChainAdapter> adapter;  // reads through the next endpoint first
    // The watcher's own endpoint order: a transfer the reads found must be in the block this
    // node has at that height (a node stuck on a fork, or lying, must not credit).
    std::unique_ptr<ChainAdapter> confirm;
    std::unique_ptr<asio::steady_timer> timer;  // on the network's strand
    // Where the watcher's cursor was, and when: the second look reads up to where it was a
    // delay ago. In memory: after a restart the delay starts again.
    std::deque<std::pair<Clock::time_point, std::int64_t>> cursor_history;
  };

  Impl(const Config& config_in, const AdapterRegistry& adapters_in, Database& db_in,
       Runtime& runtime)
      : config(config_in),
        adapters(adapters_in),
        db(db_in),
        io(RuntimeAccess::Io(runtime)),
        blocking(RuntimeAccess::Blocking(runtime)) {
    rules.tolerance = Money::FromMicros(config_in.topups.match_tolerance_micros);
    rules.clock_skew_seconds = config_in.topups.clock_skew_seconds;
  }

  // One pass on the blocking pool: reads what is due. False when the chain kind cannot.
  bool Pass(Network& n) {
    const std::string& id = n.config.id;
    auto cursor = db.deposits().LoadCursor(id);
    if (!cursor) {
      spdlog::warn("{}: second look: {}", id, cursor.error().message);
      return true;
    }
    if (!*cursor) return true;  // never scanned yet: later
    const auto now = Clock::now();
    n.cursor_history.emplace_back(now, (*cursor)->position);
    const auto due = now - std::chrono::seconds(n.config.second_look_delay_seconds);
    // The newest sample at least a delay old bounds the pass; older ones are of no more use.
    while (n.cursor_history.size() > 1 && n.cursor_history[1].first <= due) {
      n.cursor_history.pop_front();
    }
    auto stored = db.deposits().SecondLookPosition(id);
    // The first pass ever starts where the watcher is now.
    auto look = !stored   ? Result<std::int64_t>(stored.error())
                : *stored ? Result<std::int64_t>(**stored)
                          : db.deposits().InitSecondLook(id, n.cursor_history.front().second);
    if (!look) {
      spdlog::warn("{}: second look: {}", id, look.error().message);
      return true;
    }
    if (n.cursor_history.front().first > due) return true;
    // A cursor that went back (a reorg walked back past it) bounds it too.
    const std::int64_t limit = std::min(n.cursor_history.front().second, (*cursor)->position);
    std::int64_t from = *look;
    while (from < limit && !stopping) {
      const std::int64_t to =
          std::min(limit, from + std::max<std::int64_t>(1, n.config.max_block_range));
      auto done = Range(n, from, to);
      if (!done) {
        if (done.error().code == ErrorCode::kFailedPrecondition &&
            done.error().message.find("not supported") != std::string::npos) {
          spdlog::info("{}: no second look: {}", id, done.error().message);
          return false;
        }
        Metrics::Get().RecordSecondLookFailed(id);
        spdlog::warn("{}: second look at positions {}..{} failed: {}", id, from, to - 1,
                     done.error().message);
        return true;
      }
      from = to;
    }
    return true;
  }

  // Positions [from, to): read them, record what no scan did.
  Status Range(Network& n, std::int64_t from, std::int64_t to) {
    const std::string& id = n.config.id;
    auto transfers = Guarded<std::vector<Transfer>>([&] {
      return n.adapter->TransfersBetween(from, to - 1, TransferDirection::kIncoming);
    });
    if (!transfers) return transfers.error();
    auto recorded = db.reconciliation().RecordedIncoming(id, from, to);
    if (!recorded) return recorded.error();
    std::set<std::pair<std::string, std::int64_t>> known;
    std::set<std::string> known_tx;
    for (const auto& r : *recorded) {
      known.emplace(r.tx_id, r.event_index);
      known_tx.insert(r.tx_id);
    }
    std::vector<DepositInput> missed;
    for (const auto& t : *transfers) {
      DepositInput d = ToDepositInput(t);
      if (known.count({d.tx_id, d.event_index})) continue;
      if (known_tx.count(d.tx_id)) {
        // The transaction is recorded under another log index: two nodes numbering logs
        // differently would otherwise credit one payment twice. Finance looks at it.
        Metrics::Get().RecordSecondLookUnconfirmed(id);
        spdlog::warn("{}: the second look read transfer {} #{} but the transaction is recorded "
                     "under another index; not recorded",
                     id, d.tx_id, d.event_index);
        continue;
      }
      auto block = Guarded<BlockStamp>([&] { return n.confirm->PositionBlock(d.block_number); });
      if (!block) return block.error();
      if (block->hash != d.block_hash) {
        Metrics::Get().RecordSecondLookUnconfirmed(id);
        spdlog::warn("{}: the second look read transfer {} #{} in block {} {}, which the "
                     "watcher's node has as {}; not recorded",
                     id, d.tx_id, d.event_index, d.block_number, d.block_hash, block->hash);
        continue;
      }
      d.block_time = block->time;  // matching needs it; range reads leave it out
      missed.push_back(std::move(d));
    }
    auto outcome = db.deposits().RecordSecondLook(
        id, from, to, missed, rules.tolerance,
        [this](const std::vector<DepositInput>& deposits, const MatchCandidates& candidates) {
          return MatchDeposits(deposits, candidates, rules);
        });
    if (!outcome) return outcome.error();
    const int found = outcome->credited + outcome->unmatched;
    Metrics::Get().RecordSecondLook(id, to, found);
    if (found > 0) {
      for (const auto& d : missed) {
        spdlog::warn("{}: the second look found transfer {} #{} at position {} that the scan "
                     "missed; recorded now",
                     id, d.tx_id, d.event_index, d.block_number);
      }
    }
    return OkStatus();
  }

  asio::awaitable<void> Loop(Network& n) {
    // A tenth of the delay, between 1 and 30 s: the pass itself is cheap when nothing is due.
    const auto tick = std::clamp<std::chrono::seconds>(
        std::chrono::seconds(n.config.second_look_delay_seconds / 10), std::chrono::seconds(1),
        std::chrono::seconds(30));
    while (!stopping) {
      bool more = co_await RunBlocking(blocking, [&] { return Pass(n); });
      if (!more || stopping) break;
      n.timer->expires_after(tick);
      boost::system::error_code ec;
      co_await n.timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  const Config& config;
  const AdapterRegistry& adapters;
  Database& db;
  asio::io_context& io;
  asio::thread_pool& blocking;
  MatchRules rules;
  std::vector<std::unique_ptr<Network>> networks;
  std::atomic<bool> stopping{false};
};

SecondLook::SecondLook(const Config& config, const AdapterRegistry& adapters, Database& db,
                       Runtime& runtime)
    : impl_(std::make_unique<Impl>(config, adapters, db, runtime)) {
  runtime.OnStop([impl = impl_.get()] {
    impl->stopping = true;
    for (auto& n : impl->networks) {
      asio::post(n->timer->get_executor(), [timer = n->timer.get()] { timer->cancel(); });
    }
  });
}

SecondLook::~SecondLook() = default;

Status SecondLook::Start() {
  for (const auto& network : impl_->config.networks) {
    if (!network.enabled || network.second_look_delay_seconds == 0) continue;
    auto n = std::make_unique<Impl::Network>();
    n->config = RotatedEndpoints(network);
    auto adapter = impl_->adapters.Create(n->config);
    if (!adapter) return adapter.error();
    n->adapter = std::move(*adapter);
    auto confirm = impl_->adapters.Create(network);
    if (!confirm) return confirm.error();
    n->confirm = std::move(*confirm);
    n->timer = std::make_unique<asio::steady_timer>(asio::make_strand(impl_->io));
    impl_->networks.push_back(std::move(n));
  }
  for (auto& n : impl_->networks) {
    asio::co_spawn(n->timer->get_executor(), impl_->Loop(*n), asio::detached);
  }
  return OkStatus();
}

}  // namespace instamarket
