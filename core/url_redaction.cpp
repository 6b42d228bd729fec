#include "core/url_redaction.h"

#include <algorithm>
#include <cctype>
#include <string_view>

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

namespace {

// libpq percent-decodes URI keywords before matching them (pass%77ord is password): any
// encoded keyword is masked rather than decoded here.
bool IsPasswordKeyword(std::string_view key) {
  return key == "password" || key == "sslpassword" || key.find('%') != std::string_view::npos;
}

// postgresql://user:secret@host/db?password=secret&sslpassword=secret
std::string MaskConnectionUri(const std::string& uri) {
  Authority a = FindAuthority(uri);
  std::string out = uri.substr(0, a.end);
  if (a.at != std::string::npos) {
    auto colon = uri.find(':', a.begin);
    if (colon != std::string::npos && colon < a.at) {
      out = uri.substr(0, colon + 1) + "***" + uri.substr(a.at, a.end - a.at);
    }
  }
  std::string rest = uri.substr(a.end);
  auto query = rest.find('?');
  if (query == std::string::npos) return out + rest;
  out += rest.substr(0, query + 1);
  std::size_t pos = query + 1;
  while (pos <= rest.size()) {
    auto amp = std::min(rest.find('&', pos), rest.size());
    std::string pair = rest.substr(pos, amp - pos);
    auto eq = pair.find('=');
    if (eq != std::string::npos && IsPasswordKeyword(pair.substr(0, eq))) {
      pair = pair.substr(0, eq + 1) + "***";
    }
    out += pair;
    if (amp < rest.size()) out += '&';
    pos = amp + 1;
  }
  return out;
}

// host=db user=im password='se cret' dbname=x (libpq's keyword/value form: values may be
// single-quoted with backslash escapes, and spaces may surround '=').
std::string MaskConnectionKeywords(const std::string& text) {
  std::string out;
  std::size_t i = 0, n = text.size();
  while (i < n) {
    if (std::isspace(static_cast<unsigned char>(text[i]))) {
      out += text[i++];
      continue;
    }
    std::size_t key_start = i;
    while (i < n && text[i] != '=' && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    std::string key = text.substr(key_start, i - key_start);
    std::size_t before_eq = i;
    while (i < n && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= n || text[i] != '=') {  // not a pair: keep what was read
      out += text.substr(key_start, i - key_start);
      continue;
    }
    ++i;
    while (i < n && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    std::size_t value_start = i;
    if (i < n && text[i] == '\'') {
      for (++i; i < n && text[i] != '\''; ++i) {
        if (text[i] == '\\') ++i;
      }
      if (i < n) ++i;  // the closing quote
    } else {
      while (i < n && !std::isspace(static_cast<unsigned char>(text[i]))) {
        if (text[i] == '\\') ++i;
        ++i;
      }
    }
    i = std::min(i, n);
    out += key + text.substr(before_eq, value_start - before_eq);
    out += IsPasswordKeyword(key) ? "***" : text.substr(value_start, i - value_start);
  }
  return out;
}

}  // namespace

std::string MaskConnectionString(const std::string& conninfo) {
  bool uri = conninfo.rfind("postgresql://", 0) == 0 || conninfo.rfind("postgres://", 0) == 0;
  return uri ? MaskConnectionUri(conninfo) : MaskConnectionKeywords(conninfo);
}

std::string UrlOrigin(const std::string& url) {
  Authority a = FindAuthority(url);
  std::size_t host = a.at == std::string::npos ? a.begin : a.at + 1;
  return url.substr(0, a.begin) + url.substr(host, a.end - host);
}

}  // namespace instamarket
