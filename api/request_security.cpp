#include "api/request_security.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <optional>

#include "core/crypto.h"

namespace instamarket {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Canonical text of an address; IPv4-mapped IPv6 becomes plain IPv4.
std::optional<std::string> Canonical(std::string_view ip) {
  std::string text(Trim(ip));
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  unsigned char buf[16];
  char out[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, text.c_str(), buf) == 1)
    return std::string(inet_ntop(AF_INET, buf, out, sizeof out));
  if (inet_pton(AF_INET6, text.c_str(), buf) == 1) {
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(buf, kMapped, 12) == 0) {
      return std::string(inet_ntop(AF_INET, buf + 12, out, sizeof out));
    }
    return std::string(inet_ntop(AF_INET6, buf, out, sizeof out));
  }
  return std::nullopt;
}

bool Contains(const std::vector<std::string>& list, std::string_view ip) {
  auto canonical = Canonical(ip);
  if (!canonical) return false;
  return std::any_of(list.begin(), list.end(), [&](const std::string& entry) {
    auto c = Canonical(entry);
    return c && *c == *canonical;
  });
}

Error Unauthenticated(std::string message) {
  return MakeError(ErrorCode::kUnauthenticated, std::move(message));
}

}  // namespace

std::string ResolveClientIp(std::string_view peer_ip, std::string_view forwarded_for,
                            const std::vector<std::string>& trusted_proxies) {
  std::string client = Canonical(peer_ip).value_or(std::string(peer_ip));
  if (forwarded_for.empty() || !Contains(trusted_proxies, client)) return client;
  // Walk from the right: each hop appended the address it saw.
  std::string_view rest = forwarded_for;
  while (!rest.empty()) {
    auto comma = rest.rfind(',');
    std::string_view hop = Trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    auto canonical = Canonical(hop);
    if (!canonical) return client;  // garbage: trust nothing further left
    client = *canonical;
    if (!Contains(trusted_proxies, client)) return client;
  }
  return client;
}

bool IpAllowed(std::string_view client_ip, const std::vector<std::string>& allowed) {
  return allowed.empty() || Contains(allowed, client_ip);
}

std::string CanonicalSignature(std::string_view signature) {
  std::string canonical(signature);
  std::transform(canonical.begin(), canonical.end(), canonical.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return canonical;
}

Status VerifyRequestSignature(std::string_view secret, std::string_view timestamp,
                              std::string_view signature, std::string_view body,
                              std::int64_t now_seconds, int window_seconds) {
  if (timestamp.empty() || signature.empty()) {
    return Unauthenticated(
        "this key signs POST requests: X-Timestamp and X-Signature are required");
  }
  std::int64_t ts = 0;
  auto [end, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), ts);
  if (ec != std::errc() || end != timestamp.data() + timestamp.size()) {
    return Unauthenticated("X-Timestamp must be unix epoch seconds");
  }
  // Compared as bounds around the server's (sane) clock: |ts - now| overflows for a timestamp
  // near the int64 limits, and a negative drift once let a signed request never expire.
  if (ts < now_seconds - window_seconds || ts > now_seconds + window_seconds) {
    return Unauthenticated("X-Timestamp is more than " + std::to_string(window_seconds) +
                           " seconds from the server's clock");
  }
  std::string message;
  message.reserve(timestamp.size() + 1 + body.size());
  message.append(timestamp).append("\n").append(body);
  std::string expected = HmacSha256Hex(secret, message);
  if (!ConstantTimeEquals(expected, CanonicalSignature(signature))) {
    return Unauthenticated("X-Signature does not match the request body");
  }
  return OkStatus();
}

}  // namespace instamarket
