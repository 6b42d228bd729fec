// TEMPORARY (wip-claims): a minimal implementation of core/wallet_signature.h so that claims
// link and their EVM end-to-end test runs. Only VerifyEvmPersonalSign works; the branch wip-sig
// replaces this whole file with the real one (all four schemes) on merge.

#include "core/wallet_signature.h"

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <string>

namespace instamarket {
namespace {

// Keccak-256 as Ethereum uses it (the original padding 0x01, not SHA3's 0x06).
std::array<std::uint8_t, 32> Keccak256(const std::uint8_t* data, std::size_t size) {
  static constexpr std::uint64_t kRound[24] = {
      0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
      0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
      0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
      0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
      0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
      0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};
  static constexpr int kRotation[25] = {0,  1,  62, 28, 27, 36, 44, 6,  55, 20, 3,  10, 43,
                                        25, 39, 41, 45, 15, 21, 8,  18, 2,  61, 56, 14};
  constexpr std::size_t kRate = 136;
  std::uint64_t state[25] = {};
  auto permute = [&] {
    for (int round = 0; round < 24; ++round) {
      std::uint64_t c[5], b[25];
      for (int x = 0; x < 5; ++x)
        c[x] = state[x] ^ state[x + 5] ^ state[x + 10] ^ state[x + 15] ^ state[x + 20];
      for (int x = 0; x < 5; ++x) {
        std::uint64_t d = c[(x + 4) % 5] ^ ((c[(x + 1) % 5] << 1) | (c[(x + 1) % 5] >> 63));
        for (int y = 0; y < 25; y += 5) state[y + x] ^= d;
      }
      for (int x = 0; x < 5; ++x) {
        for (int y = 0; y < 5; ++y) {
          int r = kRotation[x + 5 * y];
          std::uint64_t v = state[x + 5 * y];
          b[y + 5 * ((2 * x + 3 * y) % 5)] = r == 0 ? v : (v << r) | (v >> (64 - r));
        }
      }
      for (int y = 0; y < 25; y += 5) {
        for (int x = 0; x < 5; ++x)
          state[y + x] = b[y + x] ^ (~b[y + (x + 1) % 5] & b[y + (x + 2) % 5]);
      }
      state[0] ^= kRound[round];
    }
  };
  auto absorb = [&](const std::uint8_t* block) {
    for (std::size_t i = 0; i < kRate / 8; ++i) {
      std::uint64_t lane = 0;
      for (int j = 7; j >= 0; --j) lane = (lane << 8) | block[8 * i + j];
      state[i] ^= lane;
    }
    permute();
  };
  while (size >= kRate) {
    absorb(data);
    data += kRate;
    size -= kRate;
  }
  std::uint8_t last[kRate] = {};
  std::memcpy(last, data, size);
  last[size] = 0x01;
  last[kRate - 1] |= 0x80;
  absorb(last);
  std::array<std::uint8_t, 32> out{};
  for (std::size_t i = 0; i < 32; ++i)
    out[i] = static_cast<std::uint8_t>(state[i / 8] >> (8 * (i % 8)));
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Hex with or without 0x into bytes; false on anything else.
bool ParseHex(std::string_view text, std::string& out) {
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    text.remove_prefix(2);
  if (text.size() % 2 != 0) return false;
  out.clear();
  for (std::size_t i = 0; i < text.size(); i += 2) {
    int hi = HexValue(text[i]), lo = HexValue(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

std::string LowerHex(const std::uint8_t* bytes, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

const secp256k1_context* Context() {
  static const secp256k1_context* context = secp256k1_context_create(SECP256K1_CONTEXT_VERIFY);
  return context;
}

}  // namespace

Status VerifyEvmPersonalSign(std::string_view message, std::string_view signature,
                             std::string_view signer) {
  std::string signer_bytes;
  if (signer.size() != 42 || !ParseHex(signer, signer_bytes)) {
    return Invalid("the sender is not a 0x address of 20 bytes");
  }
  if (signature.size() > 200) return Invalid("the signature is not 65 bytes of hex");
  std::string sig;
  if (!ParseHex(signature, sig)) return Invalid("the signature is not hex");
  if (sig.size() != 65) {
    return Invalid("the signature is not 65 bytes (got " + std::to_string(sig.size()) + ")");
  }
  int v = static_cast<std::uint8_t>(sig[64]);
  if (v >= 27) v -= 27;
  if (v != 0 && v != 1) return Invalid("the signature's recovery byte v is not 27/28 or 0/1");
  const auto* rs = reinterpret_cast<const unsigned char*>(sig.data());
  secp256k1_ecdsa_recoverable_signature recoverable;
  if (!secp256k1_ecdsa_recoverable_signature_parse_compact(Context(), &recoverable, rs, v)) {
    return Invalid("the signature's r or s is out of range");
  }
  // High-s signatures are malleable copies of low-s ones: refused, as wallets never make them.
  secp256k1_ecdsa_signature plain;
  secp256k1_ecdsa_recoverable_signature_convert(Context(), &plain, &recoverable);
  if (secp256k1_ecdsa_signature_normalize(Context(), nullptr, &plain)) {
    return Invalid("the signature has a high s value (not canonical)");
  }
  std::string prefixed =
      "\x19"
      "Ethereum Signed Message:\n" +
      std::to_string(message.size());
  prefixed.append(message);
  auto digest = Keccak256(reinterpret_cast<const std::uint8_t*>(prefixed.data()), prefixed.size());
  secp256k1_pubkey key;
  if (!secp256k1_ecdsa_recover(Context(), &key, &recoverable, digest.data())) {
    return Invalid("no public key recovers from this signature over the challenge");
  }
  unsigned char uncompressed[65];
  std::size_t length = sizeof uncompressed;
  secp256k1_ec_pubkey_serialize(Context(), uncompressed, &length, &key, SECP256K1_EC_UNCOMPRESSED);
  auto key_hash = Keccak256(uncompressed + 1, 64);
  std::string recovered = "0x" + LowerHex(key_hash.data() + 12, 20);
  std::string expected =
      "0x" + LowerHex(reinterpret_cast<const std::uint8_t*>(signer_bytes.data()), 20);
  if (recovered != expected) {
    return Invalid("signed by " + recovered + ", not by the sender " + expected +
                   " (sign the challenge exactly, with the wallet that sent the deposit)");
  }
  return OkStatus();
}

// Not in this temporary file: wip-sig implements them.
Status VerifyTronMessageV2(std::string_view, std::string_view, std::string_view) {
  return Invalid("this build cannot verify Tron (TIP-191) signatures yet");
}
Status VerifySolanaMessage(std::string_view, std::string_view, std::string_view) {
  return Invalid("this build cannot verify Solana (Ed25519) signatures yet");
}
Status VerifyTonMessage(std::string_view, std::string_view, std::string_view) {
  return Invalid("this build cannot verify TON (Ed25519) signatures yet");
}

}  // namespace instamarket
