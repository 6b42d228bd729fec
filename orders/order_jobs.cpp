#include "orders/order_jobs.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>

#include "metrics/metrics.h"
#include "net/asio_bridge.h"

namespace instamarket {
namespace {

namespace asio = boost::asio;
constexpr int kBatch = 50;
constexpr auto kErrorPause = std::chrono::seconds(1);

}  // namespace

struct OrderJobs::Impl {
  Impl(const Config& config_in, OrderStore& store_in, Runtime& runtime)
      : config(config_in),
        store(store_in),
        io(RuntimeAccess::Io(runtime)),
        blocking(RuntimeAccess::Blocking(runtime)),
        worker_timer(io),
        refund_timer(io) {
    runtime.OnStop([this] {
      stopping = true;
      worker_timer.cancel();
      refund_timer.cancel();
    });
  }

  // Runs `pass` until it finds nothing to do, then sleeps `interval` on `timer`.
  asio::awaitable<void> Loop(const char* name, asio::steady_timer& timer,
                             std::chrono::steady_clock::duration interval,
                             std::function<Result<JobOutcome>()> pass) {
    while (!stopping) {
      auto done = co_await RunBlocking(blocking, pass);
      auto pause = interval;
      if (!done) {
        spdlog::warn("{}: {}", name, done.error().message);
        pause = std::max<std::chrono::steady_clock::duration>(interval, kErrorPause);
      } else {
        int total = done->completed + done->partial + done->failed + done->expired + done->refunded;
        if (total > 0) {
          auto& metrics = Metrics::Get();
          metrics.RecordOrders("completed", done->completed);
          metrics.RecordOrders("partial", done->partial);
          metrics.RecordOrders("failed", done->failed);
          metrics.RecordOrders("expired", done->expired);
          metrics.RecordOrders("refunded", done->refunded);
          spdlog::info("{}: {} completed, {} partial, {} failed, {} expired, {} refunded", name,
                       done->completed, done->partial, done->failed, done->expired, done->refunded);
          continue;  // there may be more
        }
      }
      if (stopping) break;
      timer.expires_after(pause);
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  const Config& config;
  OrderStore& store;
  asio::io_context& io;
  asio::thread_pool& blocking;
  asio::steady_timer worker_timer;
  asio::steady_timer refund_timer;
  std::atomic<bool> stopping{false};
};

OrderJobs::OrderJobs(const Config& config, OrderStore& store, Runtime& runtime)
    : impl_(std::make_unique<Impl>(config, store, runtime)) {}

OrderJobs::~OrderJobs() = default;

void OrderJobs::Start() {
  Impl* impl = impl_.get();
  if (impl->config.orders.fulfil) {
    asio::co_spawn(impl->io,
                   impl->Loop("fulfilment", impl->worker_timer,
                              std::chrono::milliseconds(impl->config.orders.worker_interval_ms),
                              [impl] { return impl->store.Fulfil(kBatch); }),
                   asio::detached);
  }
  asio::co_spawn(impl->io,
                 impl->Loop("refunds", impl->refund_timer,
                            std::chrono::seconds(impl->config.orders.refund_interval_seconds),
                            [impl]() -> Result<JobOutcome> {
                              auto expired = impl->store.ExpireOverdue(kBatch);
                              if (!expired) return expired.error();
                              auto refunded = impl->store.RefundDue(kBatch);
                              if (!refunded) return refunded.error();
                              refunded->expired = expired->expired;
                              return refunded;
                            }),
                 asio::detached);
}

void OrderJobs::Wake() {
  Impl* impl = impl_.get();
  asio::post(impl->io, [impl] { impl->worker_timer.cancel(); });
}

}  // namespace instamarket
