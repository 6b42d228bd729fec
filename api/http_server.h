#pragma once

#include <memory>
#include <string>

#include "config/config.h"

namespace instamarket {

class ApiService;

// The HTTP/1.1 front end (Boost.Beast): keep-alive, body and header limits, idle timeouts,
// problem+json for malformed requests, and a graceful stop. Requests are handed to the
// ApiService; its blocking step runs on a separate thread pool so I/O threads never wait on the
// database. Beast and Asio stay inside http_server.cpp.
class HttpServer {
 public:
  HttpServer(ApiService& service, const ApiConfig& config, int blocking_threads);
  ~HttpServer();

  // Binds and serves until SIGTERM or SIGINT, then stops accepting, finishes the requests in
  // flight, closes idle connections and returns. Errors (e.g. the port is taken) are thrown.
  void Run();
  // Port actually bound (useful when the config says port 0).
  unsigned short port() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace instamarket
