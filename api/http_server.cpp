#include "api/http_server.h"

#include "net/asio_bridge.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <type_traits>
#include <unordered_set>

#include "api/api_service.h"
#include "api/problem.h"

namespace instamarket {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr auto kWriteTimeout = std::chrono::seconds(30);
constexpr auto kRequestTimeout = std::chrono::seconds(30);  // from first byte to whole request

HttpRequest ToApiRequest(const http::request<http::string_body>& req, std::string peer_ip) {
  HttpRequest out;
  out.method = std::string(req.method_string());
  out.target = std::string(req.target());
  out.headers.reserve(8);
  for (const auto& field : req) {
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  out.body = req.body();
  out.peer_ip = std::move(peer_ip);
  return out;
}

http::response<http::string_body> ToBeastResponse(HttpResponse&& r, unsigned version,
                                                  bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "instamarketd");
  res.set(http::field::content_type, r.content_type);
  for (auto& [name, value] : r.headers) res.insert(name, value);
  res.keep_alive(keep_alive);
  res.body() = std::move(r.body);
  res.prepare_payload();
  return res;
}

// One connection's state that the stop logic may touch (always on the connection's strand).
struct Connection {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  bool busy = false;  // a request is being served: let it finish
};

}  // namespace

class HttpServer::Impl {
 public:
  Impl(ApiService& service, const ApiConfig& config, Runtime& runtime)
      : service_(service),
        config_(config),
        ioc_(RuntimeAccess::Io(runtime)),
        blocking_(RuntimeAccess::Blocking(runtime)),
        acceptor_strand_(asio::make_strand(ioc_)),
        acceptor_(acceptor_strand_),
        timer_strand_(asio::make_strand(ioc_)) {
    tcp::endpoint endpoint(asio::ip::make_address(config.listen_host), config.listen_port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    runtime.OnStop([this] { Stop(); });
  }

  unsigned short port() const { return acceptor_.local_endpoint().port(); }

  void Start() {
    asio::co_spawn(acceptor_strand_, AcceptLoop(), asio::detached);
    asio::co_spawn(timer_strand_,
                   Periodic(std::chrono::milliseconds(config_.usage_flush_interval_ms),
                            [this] { service_.FlushUsage(); }),
                   asio::detached);
    asio::co_spawn(timer_strand_,
                   Periodic(std::chrono::seconds(1), [this] { service_.ProbeDatabase(); }),
                   asio::detached);
    spdlog::info("listening on {}:{}", config_.listen_host, port());
  }

 private:
  void Stop() {
    stopping_ = true;
    asio::post(acceptor_strand_, [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
    });
    asio::post(timer_strand_, [this] {
      for (auto* timer : timers_) timer->cancel();
    });
    std::lock_guard lock(connections_mutex_);
    for (const auto& connection : connections_) {
      asio::post(connection->stream.get_executor(), [connection] {
        if (!connection->busy) connection->stream.socket().cancel();
      });
    }
  }

  asio::awaitable<void> AcceptLoop() {
    while (!stopping_) {
      beast::error_code ec;
      tcp::socket socket = co_await acceptor_.async_accept(
          asio::make_strand(ioc_), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (stopping_ || ec == asio::error::operation_aborted) break;
        spdlog::warn("accept failed: {}", ec.message());
        continue;
      }
      auto executor = socket.get_executor();
      asio::co_spawn(executor, Session(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> Periodic(std::chrono::steady_clock::duration interval,
                                 std::function<void()> job) {
    asio::steady_timer timer(timer_strand_);
    timers_.push_back(&timer);
    while (!stopping_) {
      timer.expires_after(interval);
      beast::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      co_await RunBlocking(blocking_, [&job] {
        job();  // also once after a stop, so the last usage counts are written
        return 0;
      });
    }
    timers_.erase(std::find(timers_.begin(), timers_.end(), &timer));
  }

  asio::awaitable<void> Session(tcp::socket socket) {
    auto connection = std::make_shared<Connection>(std::move(socket));
    {
      std::lock_guard lock(connections_mutex_);
      connections_.insert(connection);
    }
    try {
      co_await Serve(*connection);
    } catch (const std::exception& e) {
      spdlog::error("connection failed: {}", e.what());
    }
    beast::error_code ignored;
    connection->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    std::lock_guard lock(connections_mutex_);
    connections_.erase(connection);
  }

  asio::awaitable<void> Serve(Connection& connection) {
    beast::error_code ec;
    auto remote = connection.stream.socket().remote_endpoint(ec);
    std::string peer_ip = ec ? "" : remote.address().to_string();
    beast::flat_buffer buffer;
    for (;;) {
      // Checked on the connection's strand, where Stop's cancel also runs: no lost wake-up.
      if (stopping_) co_return;
      connection.busy = false;
      connection.stream.expires_after(std::chrono::milliseconds(config_.idle_timeout_ms));
      if (buffer.size() == 0) {
        // Wait for the first byte while idle: from then on the request counts as in flight,
        // and a stop lets it finish instead of cutting it off.
        std::size_t n = co_await connection.stream.async_read_some(
            buffer.prepare(4096), asio::redirect_error(asio::use_awaitable, ec));
        buffer.commit(n);
      }
      connection.busy = true;
      http::request_parser<http::string_body> parser;
      parser.header_limit(kHeaderLimit);
      parser.body_limit(config_.max_body_bytes);
      if (!ec) {
        connection.stream.expires_after(kRequestTimeout);
        co_await http::async_read(connection.stream, buffer, parser,
                                  asio::redirect_error(asio::use_awaitable, ec));
      }
      if (ec) {
        int status = ec == http::error::body_limit     ? 413
                     : ec == http::error::header_limit ? 431
                     : ec == http::error::end_of_stream || ec == beast::error::timeout ||
                             ec == asio::error::operation_aborted ||
                             ec == asio::error::connection_reset || ec == asio::error::eof
                         ? 0
                         : 400;
        if (status != 0) {
          std::string detail = status == 413 ? "the request body is larger than " +
                                                   std::to_string(config_.max_body_bytes) +
                                                   " bytes"
                               : status == 431 ? "the request headers are too large"
                                               : "malformed HTTP request: " + ec.message();
          auto res = ToBeastResponse(Problem(status, detail), 11, false);
          connection.stream.expires_after(kWriteTimeout);
          co_await http::async_write(connection.stream, res,
                                     asio::redirect_error(asio::use_awaitable, ec));
        }
        co_return;
      }
      auto& req = parser.get();
      HttpRequest request = ToApiRequest(req, peer_ip);
      ApiService::Call call(request);
      std::optional<HttpResponse> response = service_.HandleInline(call);
      if (!response) {
        response = co_await RunBlocking(blocking_,
                                        [this, &call] { return service_.HandleBlocking(call); });
      }
      bool keep_alive = req.keep_alive() && !stopping_;
      auto res = ToBeastResponse(std::move(*response), req.version(), keep_alive);
      connection.stream.expires_after(kWriteTimeout);
      co_await http::async_write(connection.stream, res,
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !keep_alive) co_return;
    }
  }

  ApiService& service_;
  const ApiConfig& config_;
  asio::io_context& ioc_;
  asio::thread_pool& blocking_;
  asio::strand<asio::io_context::executor_type> acceptor_strand_;
  tcp::acceptor acceptor_;
  asio::strand<asio::io_context::executor_type> timer_strand_;
  std::vector<asio::steady_timer*> timers_;  // touched only on timer_strand_
  std::atomic<bool> stopping_{false};
  std::mutex connections_mutex_;
  std::unordered_set<std::shared_ptr<Connection>> connections_;
};

HttpServer::HttpServer(ApiService& service, const ApiConfig& config, Runtime& runtime)
    : impl_(std::make_unique<Impl>(service, config, runtime)) {}

HttpServer::~HttpServer() = default;

void HttpServer::Start() { impl_->Start(); }

unsigned short HttpServer::port() const { return impl_->port(); }

}  // namespace instamarket
