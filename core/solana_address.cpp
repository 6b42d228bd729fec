#include "core/solana_address.h"

#include <openssl/bn.h>

#include <memory>

#include "core/base58.h"
#include "core/crypto.h"

namespace instamarket {
namespace {

std::optional<std::string> DecodeKey(std::string_view key, std::size_t size) {
  auto bytes = Base58Decode(key);
  if (!bytes || bytes->size() != size) return std::nullopt;
  return bytes;
}

using Bn = std::unique_ptr<BIGNUM, decltype(&BN_free)>;
Bn NewBn() { return Bn(BN_new(), &BN_free); }

// Whether 32 bytes decompress to a point of edwards25519, as curve25519-dalek decides it for
// Solana: y is the little-endian number without the top (sign) bit, taken mod p; the point
// exists when x^2 = (y^2 - 1) / (d y^2 + 1) has a solution mod p = 2^255 - 19.
bool IsOnCurve(const std::string& compressed) {
  std::unique_ptr<BN_CTX, decltype(&BN_CTX_free)> ctx(BN_CTX_new(), &BN_CTX_free);
  Bn p = NewBn(), d = NewBn(), y = NewBn(), t = NewBn(), u = NewBn(), v = NewBn(), e = NewBn();
  BN_set_word(p.get(), 1);
  BN_lshift(p.get(), p.get(), 255);
  BN_sub_word(p.get(), 19);
  // d = -121665 / 121666 mod p
  BN_set_word(t.get(), 121666);
  BN_mod_inverse(t.get(), t.get(), p.get(), ctx.get());
  BN_set_word(d.get(), 121665);
  BN_mod_mul(d.get(), d.get(), t.get(), p.get(), ctx.get());
  BN_mod_sub(d.get(), p.get(), d.get(), p.get(), ctx.get());

  unsigned char le[32];
  for (int i = 0; i < 32; ++i) le[i] = static_cast<unsigned char>(compressed[i]);
  le[31] &= 0x7f;
  BN_lebin2bn(le, 32, y.get());
  BN_nnmod(y.get(), y.get(), p.get(), ctx.get());

  BN_mod_sqr(t.get(), y.get(), p.get(), ctx.get());                  // y^2
  BN_mod_sub(u.get(), t.get(), BN_value_one(), p.get(), ctx.get());  // y^2 - 1
  BN_mod_mul(v.get(), d.get(), t.get(), p.get(), ctx.get());
  BN_mod_add(v.get(), v.get(), BN_value_one(), p.get(), ctx.get());  // d y^2 + 1 (never 0)
  if (BN_is_zero(u.get())) return true;                              // x = 0
  BN_mod_inverse(v.get(), v.get(), p.get(), ctx.get());
  BN_mod_mul(u.get(), u.get(), v.get(), p.get(), ctx.get());  // x^2
  // Euler's criterion: a square iff (x^2)^((p-1)/2) = 1.
  BN_copy(e.get(), p.get());
  BN_sub_word(e.get(), 1);
  BN_rshift1(e.get(), e.get());
  BN_mod_exp(t.get(), u.get(), e.get(), p.get(), ctx.get());
  return BN_is_one(t.get());
}

}  // namespace

bool IsSolanaPubkey(std::string_view key) { return DecodeKey(key, 32).has_value(); }

bool IsSolanaSignature(std::string_view signature) { return DecodeKey(signature, 64).has_value(); }

std::optional<std::string> AssociatedTokenAccount(std::string_view owner, std::string_view mint,
                                                  std::string_view token_program) {
  auto owner_bytes = DecodeKey(owner, 32);
  auto mint_bytes = DecodeKey(mint, 32);
  auto program_bytes = DecodeKey(token_program, 32);
  auto ata_program = DecodeKey(kSolanaAssociatedTokenProgram, 32);
  if (!owner_bytes || !mint_bytes || !program_bytes) return std::nullopt;
  for (int bump = 255; bump >= 0; --bump) {
    std::string preimage = *owner_bytes + *program_bytes + *mint_bytes;
    preimage.push_back(static_cast<char>(bump));
    preimage += *ata_program + "ProgramDerivedAddress";
    std::string hash = Sha256(preimage);
    if (!IsOnCurve(hash)) return Base58Encode(hash);
  }
  return std::nullopt;
}

}  // namespace instamarket
