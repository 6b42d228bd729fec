#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace instamarket {

// A request as the API logic sees it: no Beast type, so handlers are plain functions that
// tests call without sockets.
struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query as sent
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string peer_ip;  // the TCP peer's address
  // For log lines: the client's X-Request-Id when it sent a usable one (echoed in the
  // response), else one the server made up.
  std::string request_id;
  bool client_request_id = false;

  // Case-insensitive; empty when absent. The first field line only: for a list-valued header
  // that may come in several lines, use CombinedHeader.
  std::string_view Header(std::string_view name) const;
  // Every field line of `name`, in order, joined with ", " as RFC 9110 (5.3) combines them.
  std::string CombinedHeader(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
  std::string_view Path() const;   // target up to '?'
  std::string_view Query() const;  // after '?', or empty
};

struct HttpResponse {
  int status = 200;
  // Always a string literal (the types this server sends are fixed), so no copy is needed.
  std::string_view content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // RateLimit-Limit, -Remaining and -Reset, written as numbers with the other headers (one per
  // admitted request: kept out of `headers` so that no strings are made for them).
  struct RateHeaders {
    int limit = 0;
    int remaining = 0;
    int reset_seconds = 0;
  };
  std::optional<RateHeaders> rate;

  void AddHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

HttpResponse JsonResponse(int status, std::string body);

}  // namespace instamarket
