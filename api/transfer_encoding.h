#pragma once

#include <string>
#include <string_view>

namespace instamarket {

// What a request's Transfer-Encoding allows: this server decodes `chunked` and nothing else.
// Anything else once let Beast take the body length as 0 (a `gzip` body was then parsed as the
// next request, a way to smuggle one past a proxy that read it differently).
struct TransferEncodingVerdict {
  int status = 0;  // 0: the body may be read; else 400 or 501, and the connection is closed
  std::string detail;
};

// `value`: every Transfer-Encoding field line joined with ", ", as RFC 9110 combines them.
// `version`: 10 or 11, as Beast reports it. Per RFC 9112 (6.1, 6.3): with HTTP/1.0, next to a
// Content-Length, or when `chunked` is not the final coding (or not there) the body's length
// cannot be known: 400. A coding before a final `chunked` (`gzip, chunked`) is well framed but
// not implemented: 501.
TransferEncodingVerdict CheckTransferEncoding(bool present, std::string_view value,
                                              unsigned version, bool has_content_length);

}  // namespace instamarket
