#pragma once

// For .cpp files that already use Asio (like net/asio_bridge.h): the interface is a coroutine.

// Boost 1.74's Asio coroutine headers use std::exchange without including <utility>.
#include <utility>

// Asio after <utility>, kept in its own block so include sorting cannot move it above.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "ledger/pipelined_read.h"

namespace instamarket {

// One libpq connection in pipeline mode, owned by one io_context thread: reads from many
// requests of that thread go out back to back on it and their answers come back in order, with
// no thread hop and no blocked thread. Each read is followed by its own Sync, so one failed
// read never aborts its neighbours. Not thread-safe: use it only on its io_context's thread.
//
// Connecting is blocking, so it happens on the blocking pool, started by Ready() and retried
// at most once a second; until the connection is up, callers take their usual blocking path
// (which also reports a database that is down).
class PgPipeline {
 public:
  // `session_sql` runs once on each new connection (the statement and lock timeouts).
  PgPipeline(boost::asio::io_context& io, boost::asio::thread_pool& blocking, std::string url,
             std::vector<const PipelinedStatement*> statements, std::string session_sql = "");
  ~PgPipeline();
  PgPipeline(const PgPipeline&) = delete;
  PgPipeline& operator=(const PgPipeline&) = delete;

  // True when Read can be used now; otherwise starts (re)connecting in the background.
  bool Ready();
  // kUnavailable when the connection breaks meanwhile or a timeout cut the read; kInternal
  // for an SQL error.
  boost::asio::awaitable<Result<std::vector<TextRow>>> Read(const PipelinedRead& read);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace instamarket
