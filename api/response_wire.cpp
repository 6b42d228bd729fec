#include "api/response_wire.h"

#include <algorithm>
#include <boost/beast/http/status.hpp>
#include <charconv>

namespace instamarket {
namespace {

void AppendNumber(std::string& out, std::size_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

void AppendHeader(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

}  // namespace

// By hand rather than with Beast's serializer: a reply is a few short lines, and building
// them in one reused buffer costs a fraction of the serializer's buffer sequences (measured in
// docs/benchmarks.md). Beast still parses every request.
void WriteResponse(const HttpResponse& response, unsigned version, bool keep_alive,
                   std::string& out, bool head_request) {
  out.clear();
  out.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  AppendNumber(out, static_cast<std::size_t>(response.status));
  out.push_back(' ');
  auto reason =
      boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(response.status));
  out.append(reason.data(), reason.size());
  out.append("\r\n");
  AppendHeader(out, "Server", "instamarketd");
  AppendHeader(out, "Content-Type", response.content_type);
  out.append("Content-Length: ");
  AppendNumber(out, response.body.size());
  out.append("\r\n");
  if (response.rate) {
    out.append("RateLimit-Limit: ");
    AppendNumber(out, static_cast<std::size_t>(std::max(0, response.rate->limit)));
    out.append("\r\nRateLimit-Remaining: ");
    AppendNumber(out, static_cast<std::size_t>(std::max(0, response.rate->remaining)));
    out.append("\r\nRateLimit-Reset: ");
    AppendNumber(out, static_cast<std::size_t>(std::max(0, response.rate->reset_seconds)));
    out.append("\r\n");
  }
  for (const auto& [name, value] : response.headers) AppendHeader(out, name, value);
  if (version == 10 && keep_alive) AppendHeader(out, "Connection", "keep-alive");
  if (version != 10 && !keep_alive) AppendHeader(out, "Connection", "close");
  out.append("\r\n");
  if (!head_request) out.append(response.body);
}

}  // namespace instamarket
