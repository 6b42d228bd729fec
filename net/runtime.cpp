#include "net/runtime.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/signal_set.hpp>
#include <mutex>
#include <vector>

#include "net/asio_bridge.h"

namespace instamarket {

struct Runtime::Impl {
  explicit Impl(int blocking_thread_count)
      : io(1),
        blocking(static_cast<std::size_t>(blocking_thread_count)),
        signals(io, SIGINT, SIGTERM) {}

  void StopOnce() {
    std::call_once(stop_once, [this] {
      stopping = true;
      boost::system::error_code ignored;
      signals.cancel(ignored);
      for (auto& callback : callbacks) callback();
    });
  }

  boost::asio::io_context io;
  boost::asio::thread_pool blocking;
  boost::asio::signal_set signals;
  std::vector<std::function<void()>> callbacks;
  std::once_flag stop_once;
  std::atomic<bool> stopping{false};
};

Runtime::Runtime(int blocking_threads) : impl_(std::make_unique<Impl>(blocking_threads)) {}

Runtime::~Runtime() = default;

void Runtime::OnStop(std::function<void()> callback) {
  impl_->callbacks.push_back(std::move(callback));
}

void Runtime::Run() {
  impl_->signals.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: stopping; finishing work in flight", signal);
    impl_->StopOnce();
  });
  impl_->io.run();
  impl_->blocking.join();
}

void Runtime::Stop() {
  boost::asio::post(impl_->io, [this] { impl_->StopOnce(); });
}

bool Runtime::stopping() const { return impl_->stopping.load(); }

boost::asio::io_context& RuntimeAccess::Io(Runtime& runtime) { return runtime.impl_->io; }

boost::asio::thread_pool& RuntimeAccess::Blocking(Runtime& runtime) {
  return runtime.impl_->blocking;
}

}  // namespace instamarket
