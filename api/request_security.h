#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace instamarket {

// The client's address: the TCP peer, unless the peer is a trusted proxy, in which case the
// right-most X-Forwarded-For entry that is not itself a trusted proxy.
std::string ResolveClientIp(std::string_view peer_ip, std::string_view forwarded_for,
                            const std::vector<std::string>& trusted_proxies);

// Whether `client_ip` is in `allowed` (empty list: everyone). Addresses are compared in
// canonical form, so "::ffff:10.0.0.1" matches "10.0.0.1".
bool IpAllowed(std::string_view client_ip, const std::vector<std::string>& allowed);

// The one spelling of a signature that the replay check remembers: hex is case-insensitive, so
// "AB12" and "ab12" are the same signature and must not both be accepted.
std::string CanonicalSignature(std::string_view signature);

// Checks X-Timestamp / X-Signature against hex(HMAC-SHA256(secret, "{ts}\n{body}")), the
// spec's formula. kUnauthenticated with the reason when missing, malformed, stale (further than
// `window_seconds` from `now_seconds`) or wrong. The comparison is constant-time.
Status VerifyRequestSignature(std::string_view secret, std::string_view timestamp,
                              std::string_view signature, std::string_view body,
                              std::int64_t now_seconds, int window_seconds);

}  // namespace instamarket
