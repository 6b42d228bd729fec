#include "net/pg_pipeline.h"

#include <libpq-fe.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <deque>

#include "net/asio_bridge.h"

namespace instamarket {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using Rows = std::vector<TextRow>;

constexpr auto kReconnectInterval = std::chrono::seconds(1);
// Beyond this many reads in flight, callers take the blocking path instead of queueing more.
constexpr std::size_t kMaxInFlight = 512;

struct ConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnDeleter>;

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

Error Unavailable(std::string why) {
  return MakeError(ErrorCode::kUnavailable, "database unavailable: " + why);
}

std::string ConnError(PGconn* conn) {
  std::string message = conn ? PQerrorMessage(conn) : "out of memory";
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

// Blocking: connects, prepares the statements and switches to non-blocking pipeline mode.
Result<std::shared_ptr<PGconn>> Connect(const std::string& url,
                                        const std::vector<const PipelinedStatement*>& statements,
                                        const std::string& session_sql) {
  ConnPtr conn(PQconnectdb(url.c_str()));
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK) return Unavailable(ConnError(conn.get()));
  if (!session_sql.empty()) {
    ResultPtr set(PQexec(conn.get(), session_sql.c_str()));
    if (PQresultStatus(set.get()) != PGRES_COMMAND_OK) return Unavailable(ConnError(conn.get()));
  }
  for (const auto* statement : statements) {
    ResultPtr prepared(PQprepare(conn.get(), statement->name, statement->sql, 0, nullptr));
    if (PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
      return MakeError(ErrorCode::kInternal, std::string("cannot prepare ") + statement->name +
                                                 ": " + ConnError(conn.get()));
    }
  }
  if (PQsetnonblocking(conn.get(), 1) != 0 || PQenterPipelineMode(conn.get()) != 1) {
    return Unavailable(ConnError(conn.get()));
  }
  return std::shared_ptr<PGconn>(conn.release(), ConnDeleter());
}

bool SocketReady(int fd, short events) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, 0) > 0;
}

}  // namespace

struct PgPipeline::Impl {
  // A read waiting for its answer: the coroutine's completion handler, type-erased.
  struct Waiter {
    virtual ~Waiter() = default;
    virtual void Complete(Result<Rows> result) = 0;
    std::optional<Result<Rows>> answer;  // set when the read's result arrived; sent at its Sync
  };
  template <class Handler>
  struct HandlerWaiter : Waiter {
    explicit HandlerWaiter(Handler h) : handler(std::move(h)) {}
    void Complete(Result<Rows> result) override {
      // Posted, not called: the woken coroutine may issue its next read while we still walk
      // the answers.
      auto executor = asio::get_associated_executor(handler);
      asio::post(executor, [h = std::move(handler), r = std::move(result)]() mutable {
        std::move(h)(std::move(r));
      });
    }
    Handler handler;
  };

  Impl(asio::io_context& io_in, asio::thread_pool& blocking_in, std::string url_in,
       std::vector<const PipelinedStatement*> statements_in, std::string session_sql_in)
      : io(io_in),
        blocking(blocking_in),
        url(std::move(url_in)),
        statements(std::move(statements_in)),
        session_sql(std::move(session_sql_in)),
        socket(io_in) {}

  ~Impl() { Drop(); }

  bool Ready() {
    if (conn) return waiters.size() < kMaxInFlight;
    if (!connecting && Clock::now() - last_attempt >= kReconnectInterval) {
      connecting = true;
      last_attempt = Clock::now();
      asio::co_spawn(io, ConnectInBackground(), asio::detached);
    }
    return false;
  }

  asio::awaitable<void> ConnectInBackground() {
    auto connected =
        co_await RunBlocking(blocking, [this] { return Connect(url, statements, session_sql); });
    connecting = false;
    if (!connected) {
      spdlog::warn("pipelined database connection: {}", connected.error().message);
      co_return;
    }
    conn = std::move(*connected);
    boost::system::error_code ec;
    socket.assign(PQsocket(conn.get()), ec);
    if (ec) {
      spdlog::warn("pipelined database connection: {}", ec.message());
      Drop();
    }
  }

  void Submit(const PipelinedRead& read, std::unique_ptr<Waiter> waiter) {
    std::vector<const char*> values;
    values.reserve(read.params.size());
    for (const auto& p : read.params) values.push_back(p.c_str());
    if (!conn ||
        PQsendQueryPrepared(conn.get(), read.statement->name, static_cast<int>(values.size()),
                            values.data(), nullptr, nullptr, 0) != 1 ||
        PQpipelineSync(conn.get()) != 1) {
      Error error = Unavailable(conn ? ConnError(conn.get()) : "not connected");
      waiter->Complete(error);
      Fail(error);
      return;
    }
    waiters.push_back(std::move(waiter));
    if (!flushing && PQflush(conn.get()) == 1) {
      flushing = true;
      asio::co_spawn(io, FlushLoop(), asio::detached);
    }
    if (!reading) {
      reading = true;
      asio::co_spawn(io, ReadLoop(), asio::detached);
    }
  }

  // The socket is edge-triggered under Asio: look before waiting, so that data that arrived
  // while no wait was pending is not missed.
  asio::awaitable<boost::system::error_code> WaitFor(asio::posix::stream_descriptor::wait_type w,
                                                     short events) {
    boost::system::error_code ec;
    if (!SocketReady(socket.native_handle(), events)) {
      co_await socket.async_wait(w, asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return ec;
  }

  // Each loop belongs to one connection (its generation); after a reconnect an old loop that
  // wakes up leaves the new connection alone.
  asio::awaitable<void> FlushLoop() {
    const int gen = generation;
    while (gen == generation) {
      auto ec = co_await WaitFor(asio::posix::stream_descriptor::wait_write, POLLOUT);
      if (gen != generation) co_return;
      if (ec) {
        Fail(Unavailable(ec.message()));
        break;
      }
      int left = PQflush(conn.get());
      if (left == -1) {
        Fail(Unavailable(ConnError(conn.get())));
        break;
      }
      if (left == 0) break;
    }
    if (gen == generation) flushing = false;
  }

  asio::awaitable<void> ReadLoop() {
    const int gen = generation;
    while (gen == generation && !waiters.empty()) {
      auto ec = co_await WaitFor(asio::posix::stream_descriptor::wait_read, POLLIN);
      if (gen != generation) co_return;
      if (ec) {
        Fail(Unavailable(ec.message()));
        break;
      }
      if (PQconsumeInput(conn.get()) != 1) {
        Fail(Unavailable(ConnError(conn.get())));
        break;
      }
      DeliverAnswers();
    }
    if (gen == generation) reading = false;
  }

  // Takes every complete result libpq holds. Per read the pipeline yields: its result, a null
  // (end of that read's results), then the Sync's PGRES_PIPELINE_SYNC.
  void DeliverAnswers() {
    int nulls = 0;
    while (conn && !waiters.empty() && !PQisBusy(conn.get())) {
      ResultPtr result(PQgetResult(conn.get()));
      if (!result) {
        if (++nulls > 1) break;  // nothing more until more input arrives
        continue;
      }
      nulls = 0;
      Waiter& front = *waiters.front();
      switch (PQresultStatus(result.get())) {
        case PGRES_PIPELINE_SYNC: {
          auto done = std::move(waiters.front());
          waiters.pop_front();
          done->Complete(done->answer ? std::move(*done->answer)
                                      : Result<Rows>(Unavailable("no answer before Sync")));
          break;
        }
        case PGRES_TUPLES_OK:
        case PGRES_COMMAND_OK:
          front.answer = ReadRows(result.get());
          break;
        default: {
          const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
          std::string message = PQresultErrorMessage(result.get());
          // Class 08 is a connection exception, 57P0x an admin shutdown, 57014 and 55P03 a
          // statement or lock timeout: try again later.
          std::string_view code = state ? state : "";
          bool later = code.substr(0, 2) == "08" || code.substr(0, 3) == "57P" || code == "57014" ||
                       code == "55P03";
          front.answer = later ? Unavailable(message)
                               : MakeError(ErrorCode::kInternal, "database error: " + message);
          break;
        }
      }
    }
  }

  static Rows ReadRows(PGresult* result) {
    Rows rows;
    int n = PQntuples(result), columns = PQnfields(result);
    rows.reserve(static_cast<std::size_t>(n));
    for (int r = 0; r < n; ++r) {
      TextRow row;
      row.reserve(static_cast<std::size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(result, r, c)) {
          row.emplace_back(std::nullopt);
        } else {
          row.emplace_back(std::string(PQgetvalue(result, r, c),
                                       static_cast<std::size_t>(PQgetlength(result, r, c))));
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  // The connection is gone: every read in flight is answered "unavailable".
  void Fail(const Error& error) {
    spdlog::warn("pipelined database connection lost: {}", error.message);
    auto failed = std::move(waiters);
    waiters.clear();
    Drop();
    for (auto& w : failed) w->Complete(error);
  }

  void Drop() {
    if (socket.is_open()) {
      boost::system::error_code ignored;
      socket.cancel(ignored);
      socket.release();  // the descriptor belongs to libpq, which closes it
    }
    conn.reset();
    ++generation;
    reading = false;
    flushing = false;
    last_attempt = Clock::now();
  }

  asio::io_context& io;
  asio::thread_pool& blocking;
  std::string url;
  std::vector<const PipelinedStatement*> statements;
  std::string session_sql;
  asio::posix::stream_descriptor socket;
  std::shared_ptr<PGconn> conn;
  std::deque<std::unique_ptr<Waiter>> waiters;  // in the order the reads were sent
  bool connecting = false;
  bool reading = false;
  bool flushing = false;
  int generation = 0;  // counts connections; see FlushLoop
  Clock::time_point last_attempt{};
};

PgPipeline::PgPipeline(asio::io_context& io, asio::thread_pool& blocking, std::string url,
                       std::vector<const PipelinedStatement*> statements, std::string session_sql)
    : impl_(std::make_unique<Impl>(io, blocking, std::move(url), std::move(statements),
                                   std::move(session_sql))) {}

PgPipeline::~PgPipeline() = default;

bool PgPipeline::Ready() { return impl_->Ready(); }

asio::awaitable<Result<Rows>> PgPipeline::Read(const PipelinedRead& read) {
  Impl* impl = impl_.get();
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(Result<Rows>)>(
      [impl, &read](auto handler) {
        impl->Submit(read,
                     std::make_unique<Impl::HandlerWaiter<decltype(handler)>>(std::move(handler)));
      },
      asio::use_awaitable);
}

}  // namespace instamarket
