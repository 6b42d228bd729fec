#include "webhooks/webhook_target.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstring>

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
  if (a[0] == 198 && (a[1] & 0xfe) == 18) return false;                    // 198.18/15 benchmarking
  if (a[0] == 198 && a[1] == 51 && a[2] == 100) return false;              // TEST-NET-2
  if (a[0] == 203 && a[1] == 0 && a[2] == 113) return false;               // TEST-NET-3
  if (a[0] >= 224) return false;                                           // multicast, reserved
  return true;
}

}  // namespace

bool IsPublicAddress(const std::string& ip) {
  unsigned char bytes[16];
  if (inet_pton(AF_INET, ip.c_str(), bytes) == 1) return IsPublicV4(bytes);
  if (inet_pton(AF_INET6, ip.c_str(), bytes) != 1) return false;
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(bytes, kMapped, 12) == 0) return IsPublicV4(bytes + 12);
  // Global unicast only (2000::/3), and not the documentation prefix 2001:db8::/32.
  if ((bytes[0] & 0xe0) != 0x20) return false;
  if (bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8) return false;
  return true;
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
  if (lower == "localhost" ||
      (lower.size() > 10 && lower.substr(lower.size() - 10) == ".localhost")) {
    return Invalid("must not point at this machine (localhost)");
  }
  unsigned char bytes[16];
  bool literal =
      inet_pton(AF_INET, host.c_str(), bytes) == 1 || inet_pton(AF_INET6, host.c_str(), bytes) == 1;
  if (literal && !IsPublicAddress(host)) {
    return Invalid("must not point at a private, loopback or link-local address");
  }
  return OkStatus();
}

}  // namespace instamarket
