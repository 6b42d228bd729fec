#pragma once

// Internal to ledger/: the connection pool and the translation of libpqxx errors. Other modules
// see only the stores' plain types.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/result.h"

namespace instamarket {

// A fixed-size pool of PostgreSQL connections, opened lazily and reopened after a failure.
// Thread-safe. Every connection has every registered statement prepared.
class PgPool {
 public:
  explicit PgPool(DatabaseConfig config);
  ~PgPool();
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  // Registers a named statement; call before the first query (stores do it in constructors).
  void Prepare(std::string name, std::string sql);

  // Runs `body` with a connection. libpqxx exceptions become errors: a broken connection or a
  // failed connect is kUnavailable (and the connection is dropped), a statement or lock wait
  // cut by the timeouts kUnavailable (the database is slow: 503), a unique violation
  // kAlreadyExists, a check violation kFailedPrecondition, anything else kInternal.
  // A deadlock or serialization failure rolled the whole transaction back, so `body` runs
  // again, up to kMaxAttempts times in all (then kUnavailable): bodies are one transaction,
  // or reads, never a mix of committed steps.
  template <class T>
  Result<T> With(const std::function<Result<T>(pqxx::connection&)>& body);

  static constexpr int kMaxAttempts = 3;

  // The SQL that puts a connection's timeouts back to the configured ones (the migrator
  // lifts them for its own statements).
  std::string SessionTimeoutsSql() const;

  // Whether the last attempt to use the database succeeded.
  bool healthy() const { return healthy_.load(std::memory_order_relaxed); }

 private:
  std::unique_ptr<pqxx::connection> Acquire();
  void Release(std::unique_ptr<pqxx::connection> conn, bool broken);

  DatabaseConfig config_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  int open_count_ = 0;
  std::vector<std::pair<std::string, std::string>> statements_;
  std::atomic<bool> healthy_{true};
};

// Thrown by Acquire when no connection can be opened.
struct PgConnectFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

Error TranslatePgError(const std::exception_ptr& error, bool* connection_broken);
// Whether the error is a deadlock or serialization failure: the transaction may be retried.
bool IsRetryablePgError(const std::exception_ptr& error);
// Waits a little before attempt `attempt` (1-based) of a retried transaction, with jitter.
void PauseBeforeRetry(int attempt);

template <class T>
Result<T> PgPool::With(const std::function<Result<T>(pqxx::connection&)>& body) {
  std::unique_ptr<pqxx::connection> conn;
  try {
    conn = Acquire();
  } catch (...) {
    healthy_.store(false, std::memory_order_relaxed);
    bool broken = true;
    return TranslatePgError(std::current_exception(), &broken);
  }
  for (int attempt = 1;; ++attempt) {
    try {
      Result<T> result = body(*conn);
      Release(std::move(conn), false);
      healthy_.store(true, std::memory_order_relaxed);
      return result;
    } catch (...) {
      bool broken = false;
      Error error = TranslatePgError(std::current_exception(), &broken);
      broken = broken || !conn->is_open();
      if (!broken && IsRetryablePgError(std::current_exception())) {
        if (attempt < kMaxAttempts) {
          PauseBeforeRetry(attempt);
          continue;
        }
        error = MakeError(ErrorCode::kUnavailable,
                          "database busy: " + std::to_string(kMaxAttempts) +
                              " attempts ended in a deadlock or serialization failure; " +
                              error.message);
      }
      if (broken) healthy_.store(false, std::memory_order_relaxed);
      Release(std::move(conn), broken);
      return error;
    }
  }
}

}  // namespace instamarket
