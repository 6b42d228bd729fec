#include "api/transfer_encoding.h"

#include <strings.h>

#include <vector>

namespace instamarket {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsChunked(std::string_view coding) {
  return coding.size() == 7 && strncasecmp(coding.data(), "chunked", 7) == 0;
}

// The list's elements; empty ones are skipped, as RFC 9110 (5.6.1) asks of recipients.
std::vector<std::string_view> Codings(std::string_view value) {
  std::vector<std::string_view> out;
  while (!value.empty()) {
    auto comma = value.find(',');
    std::string_view item = Trim(value.substr(0, comma));
    if (!item.empty()) out.push_back(item);
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
  }
  return out;
}

TransferEncodingVerdict Refuse(int status, std::string detail) {
  return TransferEncodingVerdict{status, std::move(detail)};
}

}  // namespace

TransferEncodingVerdict CheckTransferEncoding(bool present, std::string_view value,
                                              unsigned version, bool has_content_length) {
  if (!present) return {};
  if (version < 11) return Refuse(400, "Transfer-Encoding is not allowed in an HTTP/1.0 request");
  if (has_content_length) {
    return Refuse(400, "a request may not have both Transfer-Encoding and Content-Length");
  }
  auto codings = Codings(value);
  if (codings.empty() || !IsChunked(codings.back())) {
    return Refuse(400,
                  "the body's length cannot be determined: Transfer-Encoding must end in chunked");
  }
  for (std::size_t i = 0; i + 1 < codings.size(); ++i) {
    if (IsChunked(codings[i])) return Refuse(400, "chunked may be applied only once");
  }
  if (codings.size() > 1) {
    return Refuse(501, "transfer coding \"" + std::string(codings.front()) +
                           "\" is not supported: send the body chunked or with Content-Length");
  }
  return {};
}

}  // namespace instamarket
