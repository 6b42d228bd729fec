#include "core/secret_box.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cctype>
#include <memory>
#include <stdexcept>

#include "core/crypto.h"

namespace instamarket {
namespace {

constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kNonceBytes = 12;  // GCM's native nonce; random, so never reused in practice
constexpr std::size_t kTagBytes = 16;
constexpr std::string_view kVersion = "v1";

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

CipherContext NewContext() {
  CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx) throw std::runtime_error("cannot create a cipher context");
  return ctx;
}

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* Bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

std::optional<std::string> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = digit(hex[i]), lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

// "v1:<id>:<hex>" split into its id and payload; false when it has another shape.
bool SplitSealed(std::string_view sealed, std::string_view& id, std::string_view& payload) {
  if (sealed.substr(0, kVersion.size() + 1) != "v1:") return false;
  sealed.remove_prefix(kVersion.size() + 1);
  auto colon = sealed.find(':');
  if (colon != 8) return false;
  id = sealed.substr(0, colon);
  payload = sealed.substr(colon + 1);
  return true;
}

}  // namespace

std::string SecretBox::KeyId(std::string_view key) {
  // Domain-separated, so the id is no digest anyone would compute of the key for another use.
  return ToHex(Sha256("instamarketd master key id\n" + std::string(key))).substr(0, 8);
}

Result<SecretBox> SecretBox::Create(std::string current, std::vector<std::string> previous) {
  std::vector<MasterKey> keys;
  std::vector<std::string> all;
  all.reserve(previous.size() + 1);
  all.push_back(std::move(current));
  for (auto& p : previous) all.push_back(std::move(p));
  for (auto& bytes : all) {
    if (bytes.size() != kKeyBytes) {
      return MakeError(ErrorCode::kInvalidArgument, "a master key must be 32 bytes");
    }
    std::string id = KeyId(bytes);
    bool duplicate = false;
    for (const auto& k : keys) duplicate = duplicate || k.id == id;
    if (!duplicate) keys.push_back({std::move(id), std::move(bytes)});
  }
  return SecretBox(std::move(keys));
}

std::string SecretBox::KeyIdOf(std::string_view sealed) {
  std::string_view id, payload;
  return SplitSealed(sealed, id, payload) ? std::string(id) : std::string();
}

std::string SecretBox::Seal(std::string_view plaintext, std::string_view context) const {
  const MasterKey& key = keys_.front();
  std::string out(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  if (RAND_bytes(Bytes(out), static_cast<int>(kNonceBytes)) != 1) {
    throw std::runtime_error("the system random generator failed");
  }
  auto ctx = NewContext();
  int n = 0;
  unsigned char* cipher = Bytes(out) + kNonceBytes;
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key.bytes), Bytes(out)) !=
          1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &n, Bytes(context), static_cast<int>(context.size())) !=
          1 ||
      EVP_EncryptUpdate(ctx.get(), cipher, &n, Bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), cipher + n, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes),
                          cipher + plaintext.size()) != 1) {
    throw std::runtime_error("AES-256-GCM sealing failed");
  }
  return std::string(kVersion) + ":" + key.id + ":" + ToHex(out);
}

Result<std::string> SecretBox::Open(std::string_view sealed, std::string_view context) const {
  std::string_view id, payload;
  auto raw = SplitSealed(sealed, id, payload) ? FromHex(payload) : std::nullopt;
  if (!raw || raw->size() < kNonceBytes + kTagBytes) {
    return MakeError(ErrorCode::kInternal, "not a sealed secret");
  }
  const MasterKey* key = nullptr;
  for (const auto& k : keys_) {
    if (k.id == id) key = &k;
  }
  if (!key) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "a secret is sealed under master key " + std::string(id) +
                         ", which is not configured (secrets.previous_master_key_files)");
  }
  std::size_t length = raw->size() - kNonceBytes - kTagBytes;
  std::string plain(length, '\0');
  std::string tag = raw->substr(kNonceBytes + length);
  auto ctx = NewContext();
  int n = 0;
  bool ok = EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key->bytes),
                               Bytes(*raw)) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &n, Bytes(context),
                              static_cast<int>(context.size())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), Bytes(plain), &n, Bytes(*raw) + kNonceBytes,
                              static_cast<int>(length)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes),
                                Bytes(tag)) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), Bytes(plain) + n, &n) == 1;
  if (!ok) {
    return MakeError(ErrorCode::kInternal,
                     "a sealed secret does not open: altered, or moved from another row");
  }
  return plain;
}

Result<std::string> ParseMasterKey(std::string_view text, const std::string& what) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  std::optional<std::string> key;
  if (text.size() == 2 * kKeyBytes) key = FromHex(text);
  if (!key && text.size() >= 43 && text.size() <= 44) key = Base64Decode(text);
  if (!key || key->size() != kKeyBytes) {
    return MakeError(ErrorCode::kInvalidArgument,
                     what +
                         ": must hold a 32-byte key as 64 hex digits or base64 (make one "
                         "with: od -An -tx1 -N32 /dev/urandom | tr -d ' \\n')");
  }
  return *key;
}

}  // namespace instamarket
