#include "api/beast_request.h"

#include <algorithm>
#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>
#include <cctype>

#include "api/problem.h"

namespace instamarket {

namespace asio = boost::asio;
namespace http = boost::beast::http;

void ConfigureRequestParser(BeastRequestParser& parser, std::size_t max_body_bytes) {
  parser.header_limit(kRequestHeaderLimit);
  parser.body_limit(max_body_bytes);
  parser.eager(true);
}

HttpRequest ToApiRequest(const BeastRequest& req, const std::string& peer_ip) {
  HttpRequest out;
  out.method = std::string(req.method_string());
  out.target = std::string(req.target());
  out.headers.reserve(8);
  for (const auto& field : req) {
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  out.body = req.body();
  out.peer_ip = peer_ip;
  return out;
}

void SetRequestId(HttpRequest& request, std::size_t worker, std::uint64_t count) {
  std::string_view given = request.Header("X-Request-Id");
  bool usable = !given.empty() && given.size() <= 64 &&
                std::all_of(given.begin(), given.end(), [](unsigned char c) {
                  return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':';
                });
  if (usable) {
    request.request_id.assign(given);
    request.client_request_id = true;
  } else {
    request.request_id = std::to_string(worker) + "-" + std::to_string(count);
  }
}

std::optional<HttpResponse> UnreadableRequestResponse(const boost::beast::error_code& ec,
                                                      std::size_t max_body_bytes) {
  if (ec == asio::error::operation_aborted || ec == asio::error::eof ||
      ec == asio::error::connection_reset)
    return std::nullopt;
  if (ec == http::error::body_limit) {
    return Problem(413,
                   "the request body is larger than " + std::to_string(max_body_bytes) + " bytes");
  }
  if (ec == http::error::header_limit) return Problem(431, "the request headers are too large");
  return Problem(400, "malformed HTTP request: " + ec.message());
}

}  // namespace instamarket
