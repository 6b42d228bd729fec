#include "core/wallet_signature.h"

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <optional>
#include <string>
#include <vector>

#include "core/base58.h"
#include "core/crypto.h"
#include "core/keccak.h"
#include "core/tron_address.h"

namespace instamarket {
namespace {

constexpr char kEthereumPrefix[] =
    "\x19"
    "Ethereum Signed Message:\n";
constexpr char kTronPrefix[] =
    "\x19"
    "TRON Signed Message:\n";
constexpr std::size_t kRecoverableSize = 65;
constexpr std::size_t kEd25519SignatureSize = 64;
constexpr std::size_t kEd25519KeySize = 32;
// Longer than any encoding of a 64- or 65-byte signature (132 characters of 0x-hex); a longer
// text is refused before it is decoded.
constexpr std::size_t kMaxSignatureText = 200;
// Tron addresses are 34 characters, Solana's at most 44.
constexpr std::size_t kMaxAddressText = 64;

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

// One context for the process: created once (it runs the library's self tests), never freed;
// secp256k1 contexts are safe to share between threads for the const calls made here.
const secp256k1_context* Secp256k1() {
  static const secp256k1_context* const context = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  return context;
}

bool IsHex(std::string_view text) {
  for (char c : text) {
    bool digit = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!digit) return false;
  }
  return true;
}

std::string_view StripHexPrefix(std::string_view text) {
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    text.remove_prefix(2);
  return text;
}

std::string Lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// 65 bytes r || s || v from hex, with or without 0x.
Result<std::string> DecodeRecoverable(std::string_view signature) {
  if (signature.empty()) return Invalid("the signature is empty");
  if (signature.size() > kMaxSignatureText)
    return Invalid("the signature is " + std::to_string(signature.size()) +
                   " characters long; a 65-byte signature is 130 hex digits (0x optional)");
  std::string_view hex = StripHexPrefix(signature);
  if (!IsHex(hex))
    return Invalid("the signature is not hex; send the 65 bytes the wallet returned as hex");
  if (hex.size() % 2 != 0)
    return Invalid("the signature has an odd number of hex digits (" + std::to_string(hex.size()) +
                   "); a 65-byte signature has 130");
  if (hex.size() != 2 * kRecoverableSize)
    return Invalid("the signature is " + std::to_string(hex.size() / 2) +
                   " bytes, not 65 (r, s and v)");
  return *HexDecode(hex);
}

// Recovers the uncompressed public key (64 bytes, without the 0x04 prefix) behind a 65-byte
// r || s || v signature of `digest`.
Result<std::string> RecoverPublicKey(const std::string& signature, const std::string& digest) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(signature.data());
  int v = bytes[64];
  if (v >= 27) v -= 27;
  if (v != 0 && v != 1)
    return Invalid("the signature's v is " + std::to_string(bytes[64]) +
                   "; a message signature has 27 or 28 (or 0 or 1)");
  const secp256k1_context* ctx = Secp256k1();
  secp256k1_ecdsa_recoverable_signature recoverable;
  if (secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &recoverable, bytes, v) != 1)
    return Invalid("the signature's r or s is not below the secp256k1 group order");
  // A high s is the other half of a malleable pair; wallets (and EIP-2) only make low ones.
  secp256k1_ecdsa_signature plain, normalized;
  secp256k1_ecdsa_recoverable_signature_convert(ctx, &plain, &recoverable);
  if (secp256k1_ecdsa_signature_normalize(ctx, &normalized, &plain) == 1)
    return Invalid(
        "the signature's s is in the upper half of the group order (malleable); "
        "wallets sign with a low s");
  secp256k1_pubkey key;
  if (secp256k1_ecdsa_recover(ctx, &key, &recoverable,
                              reinterpret_cast<const unsigned char*>(digest.data())) != 1)
    return Invalid("no public key matches this signature");
  unsigned char serialized[65];
  std::size_t size = sizeof serialized;
  secp256k1_ec_pubkey_serialize(ctx, serialized, &size, &key, SECP256K1_EC_UNCOMPRESSED);
  return std::string(reinterpret_cast<const char*>(serialized) + 1, size - 1);
}

// The 20-byte account of the key behind a personal-sign style signature with `prefix`.
Result<std::string> RecoverAccount(std::string_view prefix, std::string_view message,
                                   std::string_view signature) {
  auto bytes = DecodeRecoverable(signature);
  if (!bytes) return bytes.error();
  std::string prefixed(prefix);
  prefixed += std::to_string(message.size());
  prefixed += message;
  auto key = RecoverPublicKey(*bytes, Keccak256(prefixed));
  if (!key) return key.error();
  return Keccak256(*key).substr(12);
}

std::string TronAddress(std::string_view account) {
  std::string payload = "\x41" + std::string(account);
  return Base58Encode(payload + Sha256(Sha256(payload)).substr(0, 4));
}

// Every reading of `signature` as 64 bytes: hex (0x optional), base58 (when allowed), base64
// (standard or URL-safe, padded or not). 86 characters can be both base58 and unpadded base64;
// each reading is then tried (two tries at a forgery instead of one change nothing).
Result<std::vector<std::string>> DecodeEd25519Signature(std::string_view signature,
                                                        bool allow_base58) {
  const char* formats = allow_base58 ? "hex, base58 or base64" : "hex or base64";
  if (signature.empty()) return Invalid("the signature is empty");
  if (signature.size() > kMaxSignatureText)
    return Invalid("the signature is " + std::to_string(signature.size()) +
                   " characters long; a 64-byte signature is at most 128 characters (" + formats +
                   ")");
  std::vector<std::string> readings;
  std::string_view hex = StripHexPrefix(signature);
  if (hex.size() == 2 * kEd25519SignatureSize && IsHex(hex)) readings.push_back(*HexDecode(hex));
  if (allow_base58) {
    auto decoded = Base58Decode(signature);
    if (decoded && decoded->size() == kEd25519SignatureSize) readings.push_back(*decoded);
  }
  auto decoded = Base64Decode(signature);
  if (decoded && decoded->size() == kEd25519SignatureSize) readings.push_back(*decoded);
  if (readings.empty()) return Invalid(std::string("the signature is not 64 bytes in ") + formats);
  return readings;
}

Status VerifyEd25519(std::string_view message, std::string_view signature, bool allow_base58,
                     const std::string& public_key, std::string_view signer_name) {
  auto readings = DecodeEd25519Signature(signature, allow_base58);
  if (!readings) return readings.error();
  for (const auto& reading : *readings)
    if (Ed25519Verify(public_key, message, reading)) return OkStatus();
  return Invalid("the signature is not a signature of this exact message by " +
                 std::string(signer_name) +
                 " (check that the wallet signed the challenge text unchanged, with this key)");
}

}  // namespace

Result<std::string> RecoverEvmPersonalSignAddress(std::string_view message,
                                                  std::string_view signature) {
  auto account = RecoverAccount(kEthereumPrefix, message, signature);
  if (!account) return account.error();
  return "0x" + ToHex(*account);
}

Status VerifyEvmPersonalSign(std::string_view message, std::string_view signature,
                             std::string_view signer) {
  std::string_view hex = StripHexPrefix(signer);
  if (signer.size() != 42 || hex.size() != 40 || !IsHex(hex))
    return Invalid("the signer is not a 0x address of 40 hex digits");
  auto recovered = RecoverEvmPersonalSignAddress(message, signature);
  if (!recovered) return recovered.error();
  if (*recovered != Lowercase(signer))
    return Invalid("the message was signed by " + *recovered + ", not by the sender " +
                   Lowercase(signer) + " (sign with the wallet that sent the deposit)");
  return OkStatus();
}

Result<std::string> RecoverTronMessageV2Address(std::string_view message,
                                                std::string_view signature) {
  auto account = RecoverAccount(kTronPrefix, message, signature);
  if (!account) return account.error();
  return TronAddress(*account);
}

Status VerifyTronMessageV2(std::string_view message, std::string_view signature,
                           std::string_view signer) {
  // Length first: base58 decoding takes time quadratic in the length.
  if (signer.size() > kMaxAddressText || !IsTronAddress(signer))
    return Invalid("the signer is not a Tron address (T…, base58check)");
  auto recovered = RecoverTronMessageV2Address(message, signature);
  if (!recovered) return recovered.error();
  if (*recovered != signer)
    return Invalid("the message was signed by " + *recovered + ", not by the sender " +
                   std::string(signer) + " (sign with the wallet that sent the deposit)");
  return OkStatus();
}

Status VerifySolanaMessage(std::string_view message, std::string_view signature,
                           std::string_view signer) {
  auto key = signer.size() <= kMaxAddressText ? Base58Decode(signer) : std::nullopt;
  if (!key || key->size() != kEd25519KeySize)
    return Invalid("the signer is not a Solana address (base58 of 32 bytes)");
  return VerifyEd25519(message, signature, /*allow_base58=*/true, *key,
                       "the sender " + std::string(signer));
}

Status VerifyTonMessage(std::string_view message, std::string_view signature,
                        std::string_view public_key_hex) {
  std::string_view hex = StripHexPrefix(public_key_hex);
  if (hex.size() != 2 * kEd25519KeySize || !IsHex(hex))
    return Invalid("the wallet's public key is not 32 bytes of hex");
  return VerifyEd25519(message, signature, /*allow_base58=*/false, *HexDecode(hex),
                       "the wallet's public key " + Lowercase(hex));
}

Status CheckTonSignatureFormat(std::string_view signature) {
  auto readings = DecodeEd25519Signature(signature, /*allow_base58=*/false);
  if (!readings) return readings.error();
  return OkStatus();
}

Status VerifyTonProof(std::string_view message, std::string_view signature,
                      const std::string& wallet,
                      const std::function<Result<std::string>(const std::string&)>& key_of) {
  if (auto format = CheckTonSignatureFormat(signature); !format) return format.error();
  auto key = key_of(wallet);
  if (!key) {
    if (key.error().code == ErrorCode::kUnavailable) {
      return MakeError(ErrorCode::kUnavailable, "the public key of " + wallet +
                                                    " cannot be read from the chain now; retry "
                                                    "shortly (" +
                                                    key.error().message + ")");
    }
    return Invalid("the wallet " + wallet +
                   " has no public key on chain (not deployed?): " + key.error().message);
  }
  return VerifyTonMessage(message, signature, *key);
}

}  // namespace instamarket
