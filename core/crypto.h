#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace instamarket {

// Thin wrappers over OpenSSL, so no other file includes it.

// Raw 32-byte SHA-256 digest.
std::string Sha256(std::string_view data);
// Lowercase hex HMAC-SHA256, as Python's hmac.new(key, msg, sha256).hexdigest().
std::string HmacSha256Hex(std::string_view key, std::string_view message);
// `bytes` bytes from the OS's CSPRNG, as lowercase hex.
std::string RandomHex(std::size_t bytes);
// Uniform in [0, bound) from the CSPRNG (0 when bound <= 1).
std::uint64_t RandomBelow(std::uint64_t bound);
std::string ToHex(std::string_view bytes);
// Standard or URL-safe base64, padded or not; nullopt for anything else.
std::optional<std::string> Base64Decode(std::string_view text);
// Compares without an early exit, so timing does not reveal how much of a secret matched.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// For comparing a presented credential with a secret: constant time, and the time does not
// depend on either length (both are hashed first).
bool SecretEquals(std::string_view given, std::string_view secret);

}  // namespace instamarket
