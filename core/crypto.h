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
// Hex digits (either case, an even number of them, no prefix) to bytes; nullopt for anything
// else.
std::optional<std::string> HexDecode(std::string_view hex);
// Standard or URL-safe base64, padded or not; nullopt for anything else.
std::optional<std::string> Base64Decode(std::string_view text);
// Compares without an early exit, so timing does not reveal how much of a secret matched.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Whether `signature` (64 bytes) is a valid Ed25519 signature (RFC 8032, as OpenSSL checks
// it: s below the group order) of `message` by the 32-byte `public_key`. False for any input
// of the wrong size or a key that is not a curve point.
bool Ed25519Verify(std::string_view public_key, std::string_view message,
                   std::string_view signature);

// For comparing a presented credential with a secret: constant time, and the time does not
// depend on either length (both are hashed first).
bool SecretEquals(std::string_view given, std::string_view secret);

}  // namespace instamarket
