#include "core/url_redaction.h"

#include <algorithm>
#include <cctype>

namespace instamarket {
namespace {

bool LooksLikeKey(const std::string& segment) {
  return segment.size() >= 16 && std::all_of(segment.begin(), segment.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '-' || c == '_';
         });
}

struct Authority {
  std::size_t begin;  // after "scheme://"
  std::size_t end;    // at the first '/', '?' or '#' after it, or the end
  std::size_t at;     // the last '@' inside it, or npos
};

Authority FindAuthority(const std::string& url) {
  auto scheme = url.find("://");
  Authority a{scheme == std::string::npos ? 0 : scheme + 3, 0, std::string::npos};
  a.end = std::min(url.find_first_of("/?#", a.begin), url.size());
  auto at = url.rfind('@', a.end == 0 ? 0 : a.end - 1);
  if (at != std::string::npos && at >= a.begin && at < a.end) a.at = at;
  return a;
}

}  // namespace

std::string MaskUrl(const std::string& url) {
  Authority a = FindAuthority(url);
  std::string head = url.substr(0, a.end);
  if (a.at != std::string::npos) {
    auto colon = url.find(':', a.begin);
    std::size_t secret_from = colon != std::string::npos && colon < a.at ? colon + 1 : a.begin;
    head = url.substr(0, secret_from) + "***" + url.substr(a.at, a.end - a.at);
  }
  // Path segments and query values that look like keys (long runs of letters and digits).
  std::string masked, token;
  auto flush = [&] {
    masked += LooksLikeKey(token) ? "***" : token;
    token.clear();
  };
  for (char c : url.substr(a.end)) {
    if (c == '/' || c == '?' || c == '&' || c == '=' || c == '#') {
      flush();
      masked += c;
    } else {
      token += c;
    }
  }
  flush();
  return head + masked;
}

std::string UrlOrigin(const std::string& url) {
  Authority a = FindAuthority(url);
  std::size_t host = a.at == std::string::npos ? a.begin : a.at + 1;
  return url.substr(0, a.begin) + url.substr(host, a.end - host);
}

}  // namespace instamarket
