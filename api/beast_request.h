#pragma once

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "api/http_message.h"

// Internal to api/ (Beast types): how the server turns bytes into an HttpRequest, kept apart so
// the fuzz harness (tests/fuzz/fuzz_http_request.cpp) parses with exactly the server's limits.
namespace instamarket {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;
using BeastRequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

inline constexpr std::size_t kRequestHeaderLimit = 16 * 1024;

// The limits every connection reads a request with.
void ConfigureRequestParser(BeastRequestParser& parser, std::size_t max_body_bytes);

HttpRequest ToApiRequest(const BeastRequest& req, const std::string& peer_ip);

// A client's X-Request-Id is used (and echoed) when it is short and plain; otherwise the
// server's own: "<worker>-<count>", unique within the process.
void SetRequestId(HttpRequest& request, std::size_t worker, std::uint64_t count);

// The answer to a request that could not be read (413, 431 or 400), or nullopt when there is
// nobody to answer (the peer closed, a timeout, a stop).
std::optional<HttpResponse> UnreadableRequestResponse(const boost::beast::error_code& ec,
                                                      std::size_t max_body_bytes);

}  // namespace instamarket
