#include "ledger/pg_pool.h"

#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

namespace instamarket {

PgPool::PgPool(DatabaseConfig config) : config_(std::move(config)) {
  // libpq reads the connect timeout from the environment when the URL does not set one, so a
  // dead database answers "unavailable" quickly instead of hanging a worker.
  std::string seconds = std::to_string(std::max(1, config_.connect_timeout_ms / 1000));
  setenv("PGCONNECT_TIMEOUT", seconds.c_str(), 0);
}

std::string PgPool::SessionTimeoutsSql() const { return instamarket::SessionTimeoutsSql(config_); }

void PauseBeforeRetry(int attempt) {
  // 5-10 ms, then 10-20 ms: enough for the other transaction of a deadlock to commit.
  thread_local std::minstd_rand jitter{std::random_device{}()};
  int base = 5 << (attempt - 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(base + jitter() % (base + 1)));
}

bool IsRetryablePgError(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const pqxx::deadlock_detected&) {
    return true;
  } catch (const pqxx::serialization_failure&) {
    return true;
  } catch (const pqxx::sql_error& e) {
    return e.sqlstate() == "40001" || e.sqlstate() == "40P01";
  } catch (...) {
    return false;
  }
}

PgPool::~PgPool() = default;

void PgPool::Prepare(std::string name, std::string sql) {
  std::lock_guard lock(mutex_);
  statements_.emplace_back(std::move(name), std::move(sql));
}

std::unique_ptr<pqxx::connection> PgPool::Acquire() {
  std::unique_lock lock(mutex_);
  available_.wait(lock, [&] { return !idle_.empty() || open_count_ < config_.pool_size; });
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return conn;
  }
  ++open_count_;
  auto statements = statements_;
  lock.unlock();
  try {
    auto conn = std::make_unique<pqxx::connection>(config_.url);
    {
      pqxx::nontransaction session(*conn);
      session.exec(SessionTimeoutsSql());
    }
    for (const auto& [name, sql] : statements) conn->prepare(name, sql);
    return conn;
  } catch (...) {
    lock.lock();
    --open_count_;
    available_.notify_one();
    throw;
  }
}

void PgPool::Release(std::unique_ptr<pqxx::connection> conn, bool broken) {
  std::lock_guard lock(mutex_);
  if (broken || !conn->is_open()) {
    --open_count_;
  } else {
    idle_.push_back(std::move(conn));
  }
  available_.notify_one();
}

Error TranslatePgError(const std::exception_ptr& error, bool* connection_broken) {
  try {
    std::rethrow_exception(error);
  } catch (const pqxx::broken_connection& e) {
    *connection_broken = true;
    return MakeError(ErrorCode::kUnavailable, std::string("database unavailable: ") + e.what());
  } catch (const pqxx::in_doubt_error& e) {
    *connection_broken = true;
    return MakeError(ErrorCode::kUnavailable, std::string("database commit in doubt: ") + e.what());
  } catch (const pqxx::unique_violation& e) {
    return MakeError(ErrorCode::kAlreadyExists, e.what());
  } catch (const pqxx::check_violation& e) {
    return MakeError(ErrorCode::kFailedPrecondition, e.what());
  } catch (const pqxx::sql_error& e) {
    // Class 08 is a connection exception, 57P0x an admin shutdown: both mean "try later".
    std::string state = e.sqlstate();
    if (state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0) {
      *connection_broken = true;
      return MakeError(ErrorCode::kUnavailable, std::string("database unavailable: ") + e.what());
    }
    // 22003: a number out of range, e.g. price × quantity of a product priced before the
    // catalog capped prices. The request's numbers, not a server fault.
    // 57014: cancelled by statement_timeout; 55P03: lock_timeout. The database is slow or a
    // row is held: the request may succeed later, and the connection is fine.
    if (state == "57014" || state == "55P03") {
      return MakeError(ErrorCode::kUnavailable,
                       std::string("database too slow (timeout): ") + e.what());
    }
    if (state == "22003") {
      return MakeError(ErrorCode::kInvalidArgument, "a number in this request is out of range");
    }
    return MakeError(ErrorCode::kInternal, std::string("database error: ") + e.what());
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInternal, e.what());
  } catch (...) {
    return MakeError(ErrorCode::kInternal, "unknown error");
  }
}

}  // namespace instamarket
