#include "webhooks/webhook_target.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <initializer_list>

namespace instamarket {
namespace {

Error Invalid(std::string why) { return MakeError(ErrorCode::kInvalidArgument, std::move(why)); }

bool IsPublicV4(const unsigned char a[4]) {
  if (a[0] == 0 || a[0] == 10 || a[0] == 127) return false;  // this, private, loopback
  if (a[0] == 100 && (a[1] & 0xc0) == 64) return false;      // 100.64/10 CGNAT
  if (a[0] == 169 && a[1] == 254) return false;              // link-local
  if (a[0] == 172 && (a[1] & 0xf0) == 16) return false;      // 172.16/12
  if (a[0] == 192 && a[1] == 168) return false;              // 192.168/16
  if (a[0] == 192 && a[1] == 0 && (a[2] == 0 || a[2] == 2)) return false;  // IETF, TEST-NET-1
  if (a[0] == 192 && a[1] == 88 && a[2] == 99) return false;   // 6to4 relay anycast (deprecated)
  if (a[0] == 198 && (a[1] & 0xfe) == 18) return false;        // 198.18/15 benchmarking
  if (a[0] == 198 && a[1] == 51 && a[2] == 100) return false;  // TEST-NET-2
  if (a[0] == 203 && a[1] == 0 && a[2] == 113) return false;   // TEST-NET-3
  if (a[0] >= 224) return false;                               // multicast, reserved, broadcast
  return true;
}

bool HasPrefix(const unsigned char a[16], std::initializer_list<unsigned char> prefix) {
  return std::equal(prefix.begin(), prefix.end(), a);
}

bool IsPublicV6(const unsigned char a[16]) {
  // Forms whose packets end up at an IPv4 address they carry are judged by that address.
  if (HasPrefix(a, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff})) {
    return IsPublicV4(a + 12);  // ::ffff:0:0/96 v4-mapped: the kernel sends IPv4
  }
  if (HasPrefix(a, {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0})) {
    return IsPublicV4(a + 12);  // 64:ff9b::/96 NAT64 (RFC 6052): the gateway sends IPv4
  }
  if (HasPrefix(a, {0x20, 0x02})) {
    return IsPublicV4(a + 2);  // 2002::/16 6to4 (RFC 3056): a relay sends IPv4 to 2002:AABB:CCDD::
  }
  // Only global unicast (2000::/3) is public. Outside it: ::/8 (unspecified, loopback,
  // v4-compatible ::a.b.c.d), 64:ff9b:1::/48 local NAT64 (its prefix length, so where the IPv4
  // address sits, is the operator's choice), 100::/64 discard, fc00::/7 unique-local, fe80::/10
  // link-local, fec0::/10 site-local, ff00::/8 multicast.
  if ((a[0] & 0xe0) != 0x20) return false;
  // 2001::/23 IETF protocol assignments: Teredo 2001::/32 (a tunnel to an IPv4 endpoint that
  // the address only hides), benchmarking 2001:2::/48, ORCHID; none is a web server.
  if (a[0] == 0x20 && a[1] == 0x01 && (a[2] & 0xfe) == 0) return false;
  if (HasPrefix(a, {0x20, 0x01, 0x0d, 0xb8})) return false;  // 2001:db8::/32 documentation
  if (a[0] == 0x3f && a[1] == 0xff && (a[2] & 0xf0) == 0) return false;  // 3fff::/20 documentation
  return true;
}

}  // namespace

bool IsPublicAddress(const std::string& ip) {
  unsigned char bytes[16];
  if (inet_pton(AF_INET, ip.c_str(), bytes) == 1) return IsPublicV4(bytes);
  if (inet_pton(AF_INET6, ip.c_str(), bytes) == 1) return IsPublicV6(bytes);
  return false;
}

Status CheckWebhookUrl(std::string_view url, bool allow_private) {
  if (url.size() > 2048) return Invalid("is longer than 2048 characters");
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return Invalid("must not contain spaces or control or non-ASCII characters");
    }
  }
  std::string_view rest;
  if (url.substr(0, 7) == "http://")
    rest = url.substr(7);
  else if (url.substr(0, 8) == "https://")
    rest = url.substr(8);
  else
    return Invalid("must be an http:// or https:// URL");
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) {
    return Invalid("must not contain credentials (user@host)");
  }
  std::string host;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return Invalid("has an unterminated [IPv6] host");
    host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return Invalid("has a malformed host");
  } else {
    host = std::string(authority.substr(0, authority.find(':')));
  }
  if (host.empty()) return Invalid("has no host");
  auto colon = authority.rfind(':');
  if (colon != std::string_view::npos &&
      (authority.front() != '[' || colon > authority.find(']'))) {
    std::string_view port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
        std::stoi(std::string(port)) == 0 || std::stoi(std::string(port)) > 65535) {
      return Invalid("has an invalid port");
    }
  }
  if (allow_private) return OkStatus();
  std::string lower = host;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.size() > 1 && lower.back() == '.') lower.pop_back();  // "localhost." is absolute
  if (lower == "localhost" ||
      (lower.size() > 10 && lower.substr(lower.size() - 10) == ".localhost")) {
    return Invalid("must not point at this machine (localhost)");
  }
  // curl, like browsers, reads 2130706433, 0177.0.0.1, 0x7f.1 and 127.1 as IPv4 addresses;
  // inet_aton reads the same forms, so the address judged is the one curl would use.
  in_addr v4;
  unsigned char v6[16];
  std::string literal;
  if (inet_aton(lower.c_str(), &v4) == 1) {
    char text[INET_ADDRSTRLEN];
    literal = inet_ntop(AF_INET, &v4, text, sizeof text);
  } else if (inet_pton(AF_INET6, lower.c_str(), v6) == 1) {
    literal = lower;
  }
  if (!literal.empty() && !IsPublicAddress(literal)) {
    return Invalid("must not point at a non-public address (" + literal +
                   "): loopback, private, link-local, reserved or a tunnel to one");
  }
  return OkStatus();
}

}  // namespace instamarket
