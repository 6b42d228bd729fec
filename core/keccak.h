#pragma once

#include <string>
#include <string_view>

namespace instamarket {

// Raw 32-byte Keccak-256 digest as Ethereum and Tron use it (the original Keccak padding, not
// NIST's SHA3-256). A thin wrapper over Crypto++, so no other file includes it: OpenSSL 3.0
// has no Keccak-256.
std::string Keccak256(std::string_view data);

}  // namespace instamarket
