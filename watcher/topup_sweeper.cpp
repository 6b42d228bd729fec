#include "watcher/topup_sweeper.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/asio_bridge.h"

namespace instamarket {
namespace {

namespace asio = boost::asio;
constexpr int kBatch = 100;
constexpr int kHoldBatch = 1000;  // ended amount holds deleted per statement
constexpr auto kInterval = std::chrono::seconds(1);
constexpr auto kErrorPause = std::chrono::seconds(5);  // while the database is down

}  // namespace

struct TopupSweeper::Impl {
  Impl(const Config& config_in, TopupStore& store_in, Runtime& runtime)
      : config(config_in),
        store(store_in),
        io(RuntimeAccess::Io(runtime)),
        blocking(RuntimeAccess::Blocking(runtime)),
        timer(io) {
    runtime.OnStop([this] {
      stopping = true;
      timer.cancel();
    });
  }

  asio::awaitable<void> Loop() {
    while (!stopping) {
      const int grace = config.topups.expiry_grace_seconds;
      auto expired = co_await RunBlocking(
          blocking, [this, grace] { return store.ExpireOverdue(grace, kBatch); });
      std::chrono::steady_clock::duration pause = kInterval;
      bool more = false;
      if (!expired) {
        spdlog::warn("top-up expiry: {}", expired.error().message);
        pause = kErrorPause;
      } else {
        if (*expired > 0) spdlog::info("top-up expiry: {} intents expired", *expired);
        more = *expired == kBatch;  // there may be more
        // Amount holds whose time is up are deleted, so the registry stays as small as what
        // is really held. Create does not depend on it: it ignores ended holds.
        auto deleted =
            co_await RunBlocking(blocking, [this] { return store.DeleteEndedHolds(kHoldBatch); });
        if (!deleted) {
          spdlog::warn("top-up hold sweep: {}", deleted.error().message);
          pause = kErrorPause;
          more = false;
        } else {
          if (*deleted > 0) spdlog::debug("top-up hold sweep: {} ended holds deleted", *deleted);
          more = more || *deleted == kHoldBatch;
        }
      }
      if (more) continue;
      if (stopping) break;
      timer.expires_after(pause);
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  const Config& config;
  TopupStore& store;
  asio::io_context& io;
  asio::thread_pool& blocking;
  asio::steady_timer timer;
  std::atomic<bool> stopping{false};
};

TopupSweeper::TopupSweeper(const Config& config, TopupStore& store, Runtime& runtime)
    : impl_(std::make_unique<Impl>(config, store, runtime)) {}

TopupSweeper::~TopupSweeper() = default;

void TopupSweeper::Start() { asio::co_spawn(impl_->io, impl_->Loop(), asio::detached); }

}  // namespace instamarket
