#include "watcher/reconciliation_job.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <cstdlib>

#include "metrics/metrics.h"
#include "net/asio_bridge.h"
#include "watcher/reconciliation.h"

namespace instamarket {
namespace {

namespace asio = boost::asio;

double Usdt(const std::string& raw, int decimals) {
  return std::strtod(RawToDecimalText(raw, decimals).c_str(), nullptr);
}

}  // namespace

struct ReconciliationJob::Impl {
  struct Network {
    const NetworkConfig* config = nullptr;
    std::unique_ptr<ChainAdapter> adapter;
    bool supported = true;
  };

  Impl(const Config& config_in, const AdapterRegistry& adapters_in, Database& db_in,
       Runtime& runtime)
      : config(config_in),
        adapters(adapters_in),
        db(db_in),
        reconciler(db_in.deposits(), db_in.reconciliation()),
        io(RuntimeAccess::Io(runtime)),
        blocking(RuntimeAccess::Blocking(runtime)),
        timer(asio::make_strand(io)) {
    runtime.OnStop([this] {
      stopping = true;
      asio::post(timer.get_executor(), [this] { timer.cancel(); });
    });
  }

  // One network, on the blocking pool.
  void Reconcile(Network& n) {
    const std::string& id = n.config->id;
    auto since = db.reconciliation().SecondsSinceLatest(id);
    if (since && *since && **since * 2 < config.reconciliation.interval_seconds) return;
    auto run = reconciler.Run(*n.config, *n.adapter, "reconciler");
    if (!run) {
      const std::string& why = run.error().message;
      if (run.error().code == ErrorCode::kFailedPrecondition &&
          why.find("not supported") != std::string::npos) {
        spdlog::info("{}: not reconciled: {}", id, why);
        n.supported = false;
        return;
      }
      if (run.error().code == ErrorCode::kFailedPrecondition &&
          why.find("not been scanned") != std::string::npos) {
        return;  // next time
      }
      Metrics::Get().RecordReconciliationFailed(id);
      spdlog::warn("{}: reconciliation failed: {}", id, run.error().message);
      return;
    }
    const bool clean = run->drift_raw == "0";
    Metrics::Get().RecordReconciliation(id, clean, Usdt(run->drift_raw, run->decimals),
                                        Usdt(run->unexplained_raw, run->decimals));
    if (!clean) {
      spdlog::error(
          "{}: the wallet holds {} USDT more than the ledger below position {} ({} unexplained, "
          "{} lines; run {}: admin reconcile, GET /api/admin/reconciliation)",
          id, RawToDecimalText(run->drift_raw, run->decimals), run->position,
          RawToDecimalText(run->unexplained_raw, run->decimals), run->lines.size(), run->id);
    }
  }

  asio::awaitable<void> Loop() {
    const auto interval = std::chrono::seconds(config.reconciliation.interval_seconds);
    while (!stopping) {
      timer.expires_after(interval);
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      for (auto& n : networks) {
        if (stopping) break;
        if (!n->supported) continue;
        co_await RunBlocking(blocking, [&] {
          Reconcile(*n);
          return true;
        });
      }
    }
  }

  const Config& config;
  const AdapterRegistry& adapters;
  Database& db;
  Reconciler reconciler;
  asio::io_context& io;
  asio::thread_pool& blocking;
  asio::steady_timer timer;
  std::vector<std::unique_ptr<Network>> networks;
  std::atomic<bool> stopping{false};
};

ReconciliationJob::ReconciliationJob(const Config& config, const AdapterRegistry& adapters,
                                     Database& db, Runtime& runtime)
    : impl_(std::make_unique<Impl>(config, adapters, db, runtime)) {}

ReconciliationJob::~ReconciliationJob() = default;

Status ReconciliationJob::Start() {
  if (impl_->config.reconciliation.interval_seconds == 0) return OkStatus();
  for (const auto& network : impl_->config.networks) {
    if (!network.enabled) continue;
    auto adapter = impl_->adapters.Create(network);
    if (!adapter) return adapter.error();
    auto n = std::make_unique<Impl::Network>();
    n->config = &network;
    n->adapter = std::move(*adapter);
    impl_->networks.push_back(std::move(n));
  }
  asio::co_spawn(impl_->timer.get_executor(), impl_->Loop(), asio::detached);
  return OkStatus();
}

}  // namespace instamarket
