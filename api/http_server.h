#pragma once

#include <memory>
#include <string>

#include "config/config.h"

namespace instamarket {

class ApiService;
class Runtime;

// The HTTP/1.1 front end (Boost.Beast): keep-alive, body and header limits, idle timeouts,
// problem+json for malformed requests, and a graceful stop. Requests are handed to the
// ApiService; its blocking step runs on a separate thread pool so I/O threads never wait on the
// database, except single reads (GET /balance), which each I/O thread sends over its own
// pipelined connection (net/pg_pipeline.h). Beast stays inside http_server.cpp.
class HttpServer {
 public:
  // Binds at once (throws if, e.g., the port is taken). Serving starts with Start() and goes on
  // while `runtime` runs; when it stops, the server stops accepting, finishes the requests in
  // flight and closes idle connections.
  HttpServer(ApiService& service, const Config& config, Runtime& runtime);
  ~HttpServer();

  void Start();
  // Port actually bound (useful when the config says port 0).
  unsigned short port() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace instamarket
