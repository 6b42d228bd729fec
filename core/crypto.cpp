#include "core/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <stdexcept>

namespace instamarket {

std::string Sha256(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

std::string ToHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  std::string standard(text);
  for (char& c : standard) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  std::size_t padding = 0;
  while (!standard.empty() && standard.back() == '=') {
    standard.pop_back();
    ++padding;
  }
  if (padding > 2 || standard.size() % 4 == 1) return std::nullopt;
  std::size_t unpadded = standard.size();
  standard.append((4 - unpadded % 4) % 4, '=');
  std::string out(standard.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(standard.data()),
                          static_cast<int>(standard.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  out.resize(unpadded / 4 * 3 + (unpadded % 4 == 0 ? 0 : unpadded % 4 - 1));
  return out;
}

std::string HmacSha256Hex(std::string_view key, std::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  return ToHex(std::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string RandomHex(std::size_t bytes) {
  std::string buffer(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(buffer.data()), static_cast<int>(bytes)) != 1) {
    throw std::runtime_error("the system random generator failed");
  }
  return ToHex(buffer);
}

std::uint64_t RandomBelow(std::uint64_t bound) {
  if (bound <= 1) return 0;
  // Rejection sampling: values in the incomplete last run of `bound` would favour small results.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  for (;;) {
    std::uint64_t value = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value) != 1) {
      throw std::runtime_error("the system random generator failed");
    }
    if (value < limit) return value % bound;
  }
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool SecretEquals(std::string_view given, std::string_view secret) {
  // Digests have one length whatever was sent, so the time taken says nothing about the
  // secret's length (ConstantTimeEquals returns early on a length mismatch).
  std::string a = Sha256(given), b = Sha256(secret);
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace instamarket
