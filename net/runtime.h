#pragma once

#include <functional>
#include <memory>

namespace instamarket {

// The process's asynchronous machinery: one Asio io_context run by the thread that calls Run
// (signals, timers, the watchers' coroutines), and a pool of `blocking_threads` for libpq and
// libcurl calls, which must never run on an I/O thread. The HTTP server brings its own I/O
// threads (one io_context each) and keeps Run waiting until they are done. Asio stays out of
// this header; modules that spawn work include net/asio_bridge.h.
class Runtime {
 public:
  explicit Runtime(int blocking_threads);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Called once, on an I/O thread, when the runtime stops (signal or Stop()). Components use it
  // to stop accepting work and cancel their timers; Run returns when all their work is done.
  void OnStop(std::function<void()> callback);

  // Runs until SIGTERM or SIGINT (or Stop()) and until everything spawned has finished.
  void Run();
  // Thread-safe; may be called before or during Run.
  void Stop();
  bool stopping() const;

 private:
  friend struct RuntimeAccess;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace instamarket
