#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"

namespace instamarket {

struct DatabaseConfig {
  std::string url;             // libpq connection string or URI
  int pool_size = 8;           // connections, and threads doing blocking database work
  int connect_timeout_ms = 3000;
};

struct ApiConfig {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  int threads = 2;                       // I/O threads
  int rate_limit_per_minute = 60;        // per API key, sliding 60 s window
  std::size_t max_body_bytes = 64 * 1024;
  std::vector<std::string> trusted_proxies;  // peers whose X-Forwarded-For is believed
  int key_cache_ttl_ms = 1000;           // how long a revoke or IP change may take to apply
  int idle_timeout_ms = 30000;           // keep-alive connections idle longer are closed
  int usage_flush_interval_ms = 1000;    // per-key usage counters are written this often
  int hmac_window_seconds = 300;         // allowed X-Timestamp drift
};

struct AdminConfig {
  std::string token;  // empty: the admin HTTP API is disabled
};

struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error
};

struct Config {
  DatabaseConfig database;
  ApiConfig api;
  AdminConfig admin;
  LogConfig log;
};

// Reads and validates a YAML config. Environment overrides (INSTAMARKET_DATABASE_URL,
// INSTAMARKET_ADMIN_TOKEN) are applied after the file. Errors name the key, e.g.
// "api.rate_limit_per_minute: must be an integer from 1 to 1000000, got \"abc\"".
Result<Config> LoadConfigFile(const std::string& path);
Result<Config> LoadConfigText(const std::string& yaml_text);

}  // namespace instamarket
