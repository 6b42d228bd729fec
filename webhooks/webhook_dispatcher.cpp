#include "webhooks/webhook_dispatcher.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <ctime>

#include "metrics/metrics.h"
#include "net/asio_bridge.h"
#include "webhooks/webhook_sender.h"

namespace instamarket {
namespace {

namespace asio = boost::asio;
constexpr auto kTick = std::chrono::milliseconds(200);
constexpr auto kMaxErrorPause = std::chrono::seconds(5);  // while the database is down
constexpr int kSenders = 4;

}  // namespace

struct WebhookDispatcher::Impl {
  Impl(const WebhookConfig& config_in, WebhookStore& store_in, Runtime& runtime)
      : config(config_in),
        store(store_in),
        io(RuntimeAccess::Io(runtime)),
        blocking(RuntimeAccess::Blocking(runtime)),
        senders(kSenders),
        timer(io) {
    runtime.OnStop([this] {
      stopping = true;
      timer.cancel();
    });
  }

  ~Impl() {
    senders.stop();
    senders.join();
  }

  std::chrono::milliseconds Lease() const {
    return std::chrono::milliseconds(config.timeout_ms) + std::chrono::seconds(30);
  }

  asio::awaitable<void> Loop() {
    std::chrono::steady_clock::duration pause = kTick;
    while (!stopping) {
      int free = kSenders - in_flight;
      if (free > 0) {
        auto claimed =
            co_await RunBlocking(blocking, [this, free] { return store.ClaimDue(free, Lease()); });
        if (!claimed) {
          spdlog::warn("webhooks: {}", claimed.error().message);
          pause = std::min<std::chrono::steady_clock::duration>(pause * 2, kMaxErrorPause);
        } else {
          pause = kTick;
          for (auto& delivery : *claimed) {
            ++in_flight;
            asio::co_spawn(io, Deliver(std::move(delivery)), asio::detached);
          }
        }
      }
      if (stopping) break;
      timer.expires_after(pause);
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  asio::awaitable<void> Deliver(WebhookDelivery delivery) {
    auto result = co_await RunBlocking(senders, [this, &delivery] {
      return SendWebhook(delivery, config, static_cast<std::int64_t>(std::time(nullptr)));
    });
    int attempts = delivery.attempts + 1;
    std::optional<std::chrono::milliseconds> retry;
    if (!result.delivered && attempts <= config.max_retries) {
      retry = std::chrono::milliseconds(static_cast<std::int64_t>(config.backoff_base_ms)
                                        << std::min(attempts - 1, 20));
    }
    Metrics::Get().RecordWebhookAttempt(result.delivered ? "delivered"
                                        : retry          ? "retry"
                                                         : "failed");
    std::string subject = delivery.order_id ? "order " + std::to_string(*delivery.order_id)
                                            : "top-up " + delivery.topup_id.value_or("?");
    if (result.delivered) {
      spdlog::debug("webhook {} ({} {}) delivered", delivery.id, subject, delivery.event);
    } else {
      spdlog::warn("webhook {} ({} {}) attempt {} failed: {}{}", delivery.id, subject,
                   delivery.event, attempts, result.error,
                   retry ? "" : "; giving up (admin webhooks redeliver)");
    }
    auto recorded = co_await RunBlocking(
        blocking, [&] { return store.RecordAttempt(delivery.id, result, retry); });
    if (!recorded) {
      // The lease runs out and the delivery is sent again: at least once.
      spdlog::warn("webhook {}: cannot record the attempt: {}", delivery.id,
                   recorded.error().message);
    }
    --in_flight;
  }

  const WebhookConfig& config;
  WebhookStore& store;
  asio::io_context& io;
  asio::thread_pool& blocking;
  asio::thread_pool senders;
  asio::steady_timer timer;
  int in_flight = 0;  // main io thread only
  std::atomic<bool> stopping{false};
};

WebhookDispatcher::WebhookDispatcher(const WebhookConfig& config, WebhookStore& store,
                                     Runtime& runtime)
    : impl_(std::make_unique<Impl>(config, store, runtime)) {}

WebhookDispatcher::~WebhookDispatcher() = default;

void WebhookDispatcher::Start() { asio::co_spawn(impl_->io, impl_->Loop(), asio::detached); }

}  // namespace instamarket
