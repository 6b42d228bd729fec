#include "api/http_server.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <functional>
#include <optional>
#include <thread>
#include <tuple>
#include <unordered_set>
#include <utility>

#include "api/admission_batcher.h"
#include "api/api_service.h"
#include "api/beast_request.h"
#include "api/connection_limits.h"
#include "api/problem.h"
#include "api/request_security.h"
#include "api/response_wire.h"
#include "api/transfer_encoding.h"
#include "core/log_context.h"
#include "metrics/metrics.h"
#include "net/asio_bridge.h"
#include "net/pg_pipeline.h"

namespace instamarket {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// A chunk-size line (with its extensions) or the trailer must fit in this many bytes: Beast
// parses each only once it is whole and keeps no limit of its own, so an endless one was
// buffered whole (431 MiB in 1.4 s on one connection).
constexpr std::size_t kChunkLineLimit = kRequestHeaderLimit;
constexpr std::size_t kReadChunk = 8 * 1024;
constexpr auto kWriteTimeout = std::chrono::seconds(30);
// Descriptors kept free beyond api.max_connections: the database pool, the pipelines, logs.
constexpr rlim_t kSpareDescriptors = 128;
// Deadlines are checked by one sweep per thread instead of a timer per read and write: a
// timer per operation costs more than the rest of a small request.
constexpr auto kSweepInterval = std::chrono::milliseconds(250);

// One connection's state that its thread's sweep and stop logic may touch.
struct Connection {
  Connection(tcp::socket s, bool admin) : socket(std::move(s)), admin_listener(admin) {}
  tcp::socket socket;
  const bool admin_listener;  // accepted on admin.listen
  Clock::time_point deadline = Clock::time_point::max();
  bool busy = false;  // a request is being served: a stop lets it finish, within the drain time
};

// Why a request is answered with an error and its connection closed (status 0: it is not).
struct Refusal {
  int status = 0;
  std::string detail;
};

// api.max_connections is only a promise if the process may open that many descriptors: raise
// the soft limit towards the hard one (systemd starts services at 1024), and say so when even
// that is short (accept then backs off when descriptors run out).
void RaiseDescriptorLimit(std::size_t max_connections) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = static_cast<rlim_t>(max_connections) + kSpareDescriptors;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
    spdlog::warn(
        "api.max_connections is {} but the process may open only {} file descriptors (hard "
        "limit {}); raise LimitNOFILE or lower api.max_connections",
        max_connections, static_cast<std::uint64_t>(limit.rlim_cur),
        static_cast<std::uint64_t>(limit.rlim_max));
  }
}

// The bytes sent to a connection over a cap, made once: 503 with a problem body, then close.
std::string RefusalWire(std::string_view detail) {
  HttpResponse response = Problem(503, detail);
  response.AddHeader("Retry-After", "1");
  std::string out;
  WriteResponse(response, 11, false, out);
  return out;
}

}  // namespace

// Each API thread runs its own io_context (concurrency hint 1) with its own connections, so a
// request never crosses threads or takes a strand; one acceptor hands sockets out in turn.
class HttpServer::Impl {
 public:
  struct Worker {
    asio::io_context io{1};
    // Held until the server stops and the last connection is gone: a request waiting on the
    // blocking pool has no operation pending here, and run() must not return under it.
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard{
        asio::make_work_guard(io)};
    std::unordered_set<Connection*> connections;
    // Set when the server stops: no connection's deadline may lie beyond it.
    Clock::time_point drain_deadline = Clock::time_point::max();
    asio::steady_timer sweep{io};
    std::unique_ptr<PgPipeline> pipeline;          // declared after io: destroyed before it
    std::unique_ptr<AdmissionBatcher> admissions;  // the shared rate limit; null: per process
    Clock::time_point last_rate_warning{};
    std::thread thread;
    std::size_t index = 0;
    std::uint64_t requests = 0;  // served by this thread, for request ids
  };

  Impl(ApiService& service, const Config& full_config, Runtime& runtime)
      : service_(service),
        config_(full_config.api),
        admin_(full_config.admin),
        main_io_(RuntimeAccess::Io(runtime)),
        blocking_(RuntimeAccess::Blocking(runtime)),
        limits_(static_cast<std::size_t>(config_.max_connections),
                static_cast<std::size_t>(config_.max_connections_per_address)),
        over_total_wire_(RefusalWire("the server has " + std::to_string(config_.max_connections) +
                                     " connections open (api.max_connections); retry later")),
        over_address_wire_(
            RefusalWire("this address has " + std::to_string(config_.max_connections_per_address) +
                        " connections open (api.max_connections_per_address); reuse one of them")) {
    RaiseDescriptorLimit(static_cast<std::size_t>(config_.max_connections));
    for (int i = 0; i < std::max(1, config_.threads); ++i) {
      auto worker = std::make_unique<Worker>();
      worker->index = workers_.size();
      worker->pipeline = std::make_unique<PgPipeline>(
          worker->io, blocking_, full_config.database.url, ApiService::PipelinedStatements(),
          SessionTimeoutsSql(full_config.database));
      if (service_.rate_limit_shared()) {
        Worker* w = worker.get();
        worker->admissions = std::make_unique<AdmissionBatcher>(
            service_.rate_limit(), std::chrono::seconds(60), service_.local_rate_limiter(),
            [this, w](const RateAsk& ask, AdmissionBatcher::Reply reply) {
              asio::co_spawn(w->io, AskRateWindow(*w, ask, std::move(reply)), asio::detached);
            });
      }
      workers_.push_back(std::move(worker));
    }
    acceptor_ = Listen(config_.listen_host, config_.listen_port);
    if (!admin_.listen_host.empty()) {
      admin_acceptor_ = Listen(admin_.listen_host, admin_.listen_port);
    }
    runtime.OnStop([this] { Stop(); });
  }

  ~Impl() {
    // Only reached without a clean stop (an exception during start-up): do not hang.
    for (auto& w : workers_) {
      w->io.stop();
      if (w->thread.joinable()) w->thread.join();
    }
  }

  unsigned short port() const { return acceptor_->local_endpoint().port(); }

  std::unique_ptr<tcp::acceptor> Listen(const std::string& host, std::uint16_t port) {
    auto acceptor = std::make_unique<tcp::acceptor>(workers_[0]->io);
    tcp::endpoint endpoint(asio::ip::make_address(host), port);
    acceptor->open(endpoint.protocol());
    acceptor->set_option(asio::socket_base::reuse_address(true));
    acceptor->bind(endpoint);
    acceptor->listen(asio::socket_base::max_listen_connections);
    return acceptor;
  }

  void Start() {
    // Runtime::Run returns when the main io_context runs out of work: keep it busy until the
    // API threads have finished their last requests.
    main_guard_.emplace(asio::make_work_guard(main_io_));
    running_ = static_cast<int>(workers_.size());
    for (auto& w : workers_) {
      Worker* worker = w.get();
      asio::co_spawn(worker->io, SweepLoop(*worker), asio::detached);
      worker->thread = std::thread([this, worker] {
        worker->io.run();
        if (--running_ == 0) asio::post(main_io_, [this] { main_guard_.reset(); });
      });
    }
    asio::co_spawn(workers_[0]->io, AcceptLoop(*acceptor_, false), asio::detached);
    if (admin_acceptor_) {
      asio::co_spawn(workers_[0]->io, AcceptLoop(*admin_acceptor_, true), asio::detached);
      spdlog::info("admin API on {}:{} only", admin_.listen_host,
                   admin_acceptor_->local_endpoint().port());
    }
    asio::co_spawn(main_io_,
                   Periodic(std::chrono::milliseconds(config_.usage_flush_interval_ms),
                            [this] { service_.FlushUsage(); }),
                   asio::detached);
    asio::co_spawn(main_io_,
                   Periodic(std::chrono::seconds(1), [this] { service_.ProbeDatabase(); }),
                   asio::detached);
    spdlog::info("listening on {}:{} with {} API threads", config_.listen_host, port(),
                 workers_.size());
  }

 private:
  // Runs on the main io_context. Idle connections are closed at once; requests in flight get
  // api.drain_timeout_ms to finish, enforced by the sweep, which goes on until the last
  // connection is gone (it once stopped here, and a connection that had sent one byte kept the
  // daemon running with its listener closed).
  void Stop() {
    service_.BeginShutdown();
    stopping_ = true;
    for (auto* timer : timers_) timer->cancel();
    asio::post(workers_[0]->io, [this] {
      beast::error_code ignored;
      acceptor_->close(ignored);
      if (admin_acceptor_) admin_acceptor_->close(ignored);
    });
    const auto drain_deadline = Clock::now() + std::chrono::milliseconds(config_.drain_timeout_ms);
    for (auto& w : workers_) {
      asio::post(w->io, [this, worker = w.get(), drain_deadline] {
        worker->drain_deadline = drain_deadline;
        for (Connection* c : worker->connections) {
          if (!c->busy) c->socket.cancel();
          c->deadline = std::min(c->deadline, drain_deadline);
        }
        ReleaseIfDone(*worker);
      });
    }
  }

  void ReleaseIfDone(Worker& worker) {
    if (stopping_ && worker.connections.empty()) {
      worker.guard.reset();
      worker.sweep.cancel();
    }
  }

  // Deadlines are set through here, so none outlives a stop's drain deadline.
  static void SetDeadline(const Worker& worker, Connection& connection, Clock::duration timeout) {
    connection.deadline = std::min(Clock::now() + timeout, worker.drain_deadline);
  }

  // Over a cap: one write that never waits (the new socket's send buffer is empty), then close,
  // so a refused connection holds no descriptor and no coroutine. A client that had already
  // sent its request may see a reset instead of the 503; either way it is refused at once.
  void Refuse(tcp::socket& socket, ConnectionLimits::Admission why) {
    const bool total = why == ConnectionLimits::Admission::kOverTotal;
    Metrics::Get().RecordConnectionRefused(total ? "max_connections"
                                                 : "max_connections_per_address");
    beast::error_code ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(asio::buffer(total ? over_total_wire_ : over_address_wire_), ignored);
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  asio::awaitable<void> AcceptLoop(tcp::acceptor& acceptor, bool admin_listener) {
    std::size_t next = 0;
    // When accept fails (out of file descriptors, most often) it fails again at once: without a
    // pause the loop spun a core and wrote millions of log lines in seconds. Back off from 10 ms
    // to 1 s while it keeps failing, and log once a second with the count.
    constexpr auto kFirstPause = std::chrono::milliseconds(10);
    constexpr auto kLongestPause = std::chrono::seconds(1);
    Clock::duration pause = kFirstPause;
    std::size_t failures = 0;
    Clock::time_point last_warning{};
    asio::steady_timer backoff(workers_[0]->io);
    while (!stopping_) {
      Worker& target = *workers_[next];
      next = (next + 1) % workers_.size();
      beast::error_code ec;
      tcp::socket socket =
          co_await acceptor.async_accept(target.io, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (stopping_ || ec == asio::error::operation_aborted) break;
        ++failures;
        if (Clock::now() - last_warning >= std::chrono::seconds(1)) {
          spdlog::warn(
              "accept failed: {} ({} times since the last warning; pausing up to {} ms)",
              ec.message(), failures,
              std::chrono::duration_cast<std::chrono::milliseconds>(kLongestPause).count());
          failures = 0;
          last_warning = Clock::now();
        }
        backoff.expires_after(pause);
        co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        pause = std::min<Clock::duration>(pause * 2, kLongestPause);
        continue;
      }
      pause = kFirstPause;
      // The TCP peer, never X-Forwarded-For: the cap is on what this process holds open.
      auto remote = socket.remote_endpoint(ec);
      std::string peer_ip = ec ? "" : remote.address().to_string();
      std::string key = ClientAddressKey(peer_ip);
      const bool proxy =
          !config_.trusted_proxies.empty() && IpAllowed(peer_ip, config_.trusted_proxies);
      auto admission = limits_.TryAdmit(key, proxy);
      if (admission != ConnectionLimits::Admission::kAdmitted) {
        Refuse(socket, admission);
        continue;
      }
      asio::co_spawn(
          target.io,
          Session(target, std::move(socket), std::move(peer_ip), std::move(key), admin_listener),
          asio::detached);
    }
  }

  asio::awaitable<void> SweepLoop(Worker& worker) {
    for (;;) {
      worker.sweep.expires_after(kSweepInterval);
      beast::error_code ec;
      co_await worker.sweep.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (stopping_ && worker.connections.empty()) co_return;
      auto now = Clock::now();
      for (Connection* c : worker.connections) {
        if (c->deadline <= now) c->socket.cancel();
      }
      if (worker.admissions) worker.admissions->Sweep();
    }
  }

  // One ask of the shared rate limit: on the worker's pipelined connection when it is up (no
  // thread held), else blocking on the pool.
  asio::awaitable<void> AskRateWindow(Worker& worker, RateAsk ask, AdmissionBatcher::Reply reply) {
    co_await asio::post(worker.io, asio::use_awaitable);  // the batcher wants no reply in Send
    Result<RateGrant> grant = MakeError(ErrorCode::kUnavailable, "not asked");
    if (worker.pipeline->Ready()) {
      PipelinedRead read = RateWindowStore::AdmitRead(ask);
      auto rows = co_await worker.pipeline->Read(read);
      grant = rows ? RateWindowStore::FromRows(*rows) : Result<RateGrant>(rows.error());
    } else {
      grant = co_await RunBlocking(blocking_, [this, ask] { return service_.AskRateWindow(ask); });
    }
    if (!grant && Clock::now() - worker.last_rate_warning >= std::chrono::seconds(10)) {
      worker.last_rate_warning = Clock::now();
      spdlog::warn("shared rate limit unavailable, each process counts alone meanwhile: {}",
                   grant.error().message);
    }
    reply(std::move(grant));
  }

  // Waits for the batcher's decision on the call's key.
  asio::awaitable<void> AdmitShared(Worker& worker, ApiService::Call& call) {
    if (!worker.admissions) {  // not reached: the service asks only when the limit is shared
      service_.SetRateDecision(call,
                               service_.local_rate_limiter().Admit(call.key->id, Clock::now()));
      co_return;
    }
    std::optional<RateDecision> decision;
    asio::steady_timer wake(worker.io, asio::steady_timer::time_point::max());
    worker.admissions->Admit(call.key->id, [&decision, &wake](const RateDecision& d) {
      decision = d;
      wake.cancel();
    });
    while (!decision) {
      beast::error_code ec;
      co_await wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    service_.SetRateDecision(call, *decision);
  }

  asio::awaitable<void> Periodic(std::chrono::steady_clock::duration interval,
                                 std::function<void()> job) {
    asio::steady_timer timer(main_io_);
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

  // `key`: what the connection counts under in limits_, released when it ends.
  asio::awaitable<void> Session(Worker& worker, tcp::socket socket, std::string peer_ip,
                                std::string key, bool admin_listener) {
    Metrics::Get().AddOpenConnections(1);
    Connection connection(std::move(socket), admin_listener);
    worker.connections.insert(&connection);
    if (!stopping_) {
      try {
        co_await Serve(worker, connection, peer_ip);
      } catch (const std::exception& e) {
        spdlog::error("connection failed: {}", e.what());
      }
    }
    // Released before the close, so a client that sees the close may connect again at once.
    limits_.Release(key);
    Metrics::Get().AddOpenConnections(-1);
    beast::error_code ignored;
    connection.socket.shutdown(tcp::socket::shutdown_send, ignored);
    connection.socket.close(ignored);
    worker.connections.erase(&connection);
    ReleaseIfDone(worker);
  }

  // Reads one request into `parser`; the error is set when there is none to serve (the peer
  // closed, a timeout, a stop, or a malformed request). A refusal (status set) is a request
  // whose framing this server will not read: an unsupported Transfer-Encoding (checked as soon
  // as the header is in, before any body is read), or a chunk line over kChunkLineLimit.
  asio::awaitable<Refusal> ReadRequest(Connection& connection, beast::flat_buffer& buffer,
                                       BeastRequestParser& parser, beast::error_code& ec) {
    bool framing_checked = false;
    // Beast checks header_limit within one put() only, and put() consumes the whole fields it
    // parsed: fed a read at a time, many small fields passed whatever their total. So the
    // header is fed at most what is left of the limit and counted across puts.
    std::size_t header_bytes = 0;
    for (;;) {
      if (buffer.size() > 0) {
        const bool in_header = !parser.is_header_done();
        std::size_t used =
            parser.put(in_header ? asio::buffer(buffer.data(), kRequestHeaderLimit - header_bytes)
                                 : buffer.data(),
                       ec);
        buffer.consume(used);
        if (in_header && ec == http::error::need_more) {
          header_bytes += used;
          // Not complete within the limit (what is still buffered is header too).
          if (header_bytes + buffer.size() >= kRequestHeaderLimit) {
            ec = http::error::header_limit;
            co_return Refusal{};
          }
        }
        if (parser.is_header_done() && !framing_checked) {
          framing_checked = true;
          const auto& req = parser.get();
          std::string codings;
          bool present = false;
          for (auto [it, end] = req.equal_range(http::field::transfer_encoding); it != end; ++it) {
            if (present) codings += ", ";
            codings.append(it->value().data(), it->value().size());
            present = true;
          }
          auto verdict = CheckTransferEncoding(present, codings, req.version(),
                                               req.count(http::field::content_length) > 0);
          if (verdict.status != 0) co_return Refusal{verdict.status, std::move(verdict.detail)};
        }
        if (ec == http::error::need_more) {
          ec = {};
          // Beast keeps a header under its header limit; what it keeps whole after the header
          // is a chunk-size line or the trailer, bounded here.
          if (parser.is_header_done() && buffer.size() >= kChunkLineLimit) {
            co_return Refusal{400, "a chunk-size line, chunk extension or trailer is longer than " +
                                       std::to_string(kChunkLineLimit) + " bytes"};
          }
        } else if (ec || parser.is_done()) {
          co_return Refusal{};
        } else if (used > 0) {
          continue;  // more may already be in the buffer
        }
      }
      std::size_t n = co_await connection.socket.async_read_some(
          buffer.prepare(kReadChunk), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return Refusal{};
      buffer.commit(n);
    }
  }

  asio::awaitable<void> Serve(Worker& worker, Connection& connection, const std::string& peer_ip) {
    beast::error_code ec;
    beast::flat_buffer buffer;
    std::string out;
    for (;;) {
      // Checked on the connection's thread, where Stop's cancel also runs: no lost wake-up.
      if (stopping_) co_return;
      connection.busy = false;
      SetDeadline(worker, connection, std::chrono::milliseconds(config_.idle_timeout_ms));
      if (buffer.size() == 0) {
        // Wait for the first byte while idle: from then on the request counts as in flight,
        // and a stop lets it finish instead of cutting it off.
        std::size_t n = co_await connection.socket.async_read_some(
            buffer.prepare(kReadChunk), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
        buffer.commit(n);
      }
      // One deadline for the whole request, set once and never moved by the bytes that
      // arrive: a client sending a byte a second is cut when it passes.
      connection.busy = true;
      SetDeadline(worker, connection, std::chrono::milliseconds(config_.request_timeout_ms));
      BeastRequestParser parser;
      ConfigureRequestParser(parser, config_.max_body_bytes);
      Refusal refusal = co_await ReadRequest(connection, buffer, parser, ec);
      const auto started = Clock::now();
      if (refusal.status != 0 || ec) {
        int status = refusal.status;
        std::string detail = std::move(refusal.detail);
        if (status == 0) std::tie(status, detail) = DescribeReadError(ec);
        if (status != 0) {
          WriteResponse(Problem(status, detail), 11, false, out);
          co_await Send(worker, connection, out, ec);
          Metrics::Get().RecordRequest(
              service_.MalformedMetricsRoute(), status,
              std::chrono::duration<double>(Clock::now() - started).count());
        }
        co_return;
      }
      auto& req = parser.get();
      HttpRequest request = ToApiRequest(req, peer_ip);
      SetRequestId(request, worker.index, ++worker.requests);
      ApiService::Call call(request);
      std::optional<HttpResponse> response = WrongListener(connection, request);
      if (!response) response = service_.HandleInline(call);
      // Each turn makes progress: the rate is decided once, and the blocking step answers
      // unless the rate is still to be decided.
      while (!response) {
        if (call.wants_admission) {
          co_await AdmitShared(worker, call);
          response = service_.HandleInline(call);
          continue;
        }
        auto read = service_.PlanRead(call);
        if (read && worker.pipeline->Ready()) {
          auto rows = co_await worker.pipeline->Read(*read);
          response = service_.FinishRead(call, std::move(rows));
        } else {
          response = co_await RunBlocking(blocking_,
                                          [this, &call] { return service_.HandleBlocking(call); });
        }
      }
      bool keep_alive = req.keep_alive() && !stopping_;
      if (request.client_request_id) response->AddHeader("X-Request-Id", request.request_id);
      WriteResponse(*response, req.version(), keep_alive, out, request.method == "HEAD");
      co_await Send(worker, connection, out, ec);
      const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
      Metrics::Get().RecordRequest(service_.MetricsRoute(call), response->status, seconds);
      if (spdlog::should_log(spdlog::level::debug)) {  // the access log, at debug level
        ScopedRequestId log_scope(request.request_id);
        spdlog::debug("{} {} {} {:.3f} ms {}", request.method, request.Path(), response->status,
                      seconds * 1000, peer_ip);
      }
      if (ec || !keep_alive) co_return;
    }
  }

  // With admin.listen set, the admin API lives there alone: on api.listen it does not exist,
  // and the admin listener serves nothing else (the probes included: they have their own).
  std::optional<HttpResponse> WrongListener(const Connection& connection,
                                            const HttpRequest& request) const {
    if (!admin_acceptor_) return std::nullopt;
    bool admin_path = request.Path().rfind("/api/admin/", 0) == 0;
    if (admin_path == connection.admin_listener) return std::nullopt;
    return Problem(404, "no such endpoint");
  }

  // The answer to a request that could not be read; status 0: close without one (the peer
  // went away, or the server is stopping and the drain deadline passed).
  std::pair<int, std::string> DescribeReadError(const beast::error_code& ec) const {
    if (ec == http::error::body_limit) {
      return {413, "the request body is larger than " + std::to_string(config_.max_body_bytes) +
                       " bytes"};
    }
    if (ec == http::error::header_limit) return {431, "the request headers are too large"};
    if (ec == asio::error::operation_aborted) {
      if (stopping_) return {0, ""};
      return {408, "the request was not complete within " +
                       std::to_string(config_.request_timeout_ms) + " ms"};
    }
    if (ec == asio::error::eof || ec == asio::error::connection_reset) return {0, ""};
    return {400, "malformed HTTP request: " + ec.message()};
  }

  asio::awaitable<void> Send(const Worker& worker, Connection& connection, const std::string& bytes,
                             beast::error_code& ec) {
    SetDeadline(worker, connection, kWriteTimeout);
    co_await asio::async_write(connection.socket, asio::buffer(bytes),
                               asio::redirect_error(asio::use_awaitable, ec));
  }

  ApiService& service_;
  const ApiConfig& config_;
  const AdminConfig& admin_;
  asio::io_context& main_io_;
  asio::thread_pool& blocking_;
  ConnectionLimits limits_;
  const std::string over_total_wire_;    // the 503 for a connection over api.max_connections
  const std::string over_address_wire_;  // ... and over api.max_connections_per_address
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<tcp::acceptor> acceptor_;        // on workers_[0]
  std::unique_ptr<tcp::acceptor> admin_acceptor_;  // admin.listen, when set
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> main_guard_;
  std::atomic<int> running_{0};
  std::vector<asio::steady_timer*> timers_;  // main io_context only
  std::atomic<bool> stopping_{false};
};

HttpServer::HttpServer(ApiService& service, const Config& config, Runtime& runtime)
    : impl_(std::make_unique<Impl>(service, config, runtime)) {}

HttpServer::~HttpServer() = default;

void HttpServer::Start() { impl_->Start(); }

unsigned short HttpServer::port() const { return impl_->port(); }

}  // namespace instamarket
