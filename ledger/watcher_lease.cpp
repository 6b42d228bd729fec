#include "ledger/watcher_lease.h"

#include <spdlog/spdlog.h>

#include <pqxx/pqxx>

namespace instamarket {

struct WatcherLease::Session {
  explicit Session(const std::string& url) : conn(url) {}
  pqxx::connection conn;
};

WatcherLease::WatcherLease(DatabaseConfig config) : config_(std::move(config)) {}

WatcherLease::~WatcherLease() = default;  // closing the session releases every lock

bool WatcherLease::Hold(const std::string& network) {
  std::lock_guard lock(mutex_);
  try {
    if (!session_) {
      session_ = std::make_unique<Session>(config_.url);
      held_.clear();
      // A leader whose host vanishes without closing its connection must lose the lock in
      // seconds, not after the kernel's default keepalive of hours: the server probes this
      // session's TCP connection itself (ignored over a Unix socket, where death is seen at once).
      pqxx::nontransaction setup(session_->conn);
      setup.exec(
          "SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; "
          "SET tcp_keepalives_count = 3; SET tcp_user_timeout = 10000");
    }
    pqxx::nontransaction tx(session_->conn);
    if (held_.count(network)) {
      tx.exec("SELECT 1");  // the session, and so the lock, is still there
      return true;
    }
    auto row = tx.exec_params1(
        "SELECT pg_try_advisory_lock(hashtextextended('instamarketd watcher ' || $1, 0))", network);
    if (!row[0].as<bool>()) return false;
    held_.insert(network);
    spdlog::info("{}: this instance now watches it (leader lease taken)", network);
    return true;
  } catch (const std::exception& e) {
    if (!held_.empty()) spdlog::warn("watcher lease session lost: {}", e.what());
    session_.reset();  // with it, any lock it held
    held_.clear();
    return false;
  }
}

}  // namespace instamarket
