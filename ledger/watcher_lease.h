#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "config/config.h"
#include "core/result.h"

namespace instamarket {

// Which daemon instance watches a network, when several share one database: a PostgreSQL
// session-level advisory lock per network, held on a connection of its own. Whoever holds it
// watches; the others ask again each poll. A leader that dies (kill -9, a crash, a lost
// network) loses its connection and with it the lock at once, so another instance takes over
// at its next poll. Two instances watching at once for a moment would still not count a
// deposit twice (the cursor guard in DepositStore::RecordScan), only waste requests.
// Thread-safe; blocking.
class WatcherLease {
 public:
  explicit WatcherLease(DatabaseConfig config);
  ~WatcherLease();
  WatcherLease(const WatcherLease&) = delete;
  WatcherLease& operator=(const WatcherLease&) = delete;

  // True when this instance holds (or just took) `network`'s lock; false when another does, or
  // the database cannot be reached (then nobody here watches until it can).
  bool Hold(const std::string& network);

 private:
  struct Session;
  DatabaseConfig config_;
  std::mutex mutex_;
  std::unique_ptr<Session> session_;
  std::set<std::string> held_;  // networks whose lock session_ holds
};

}  // namespace instamarket
