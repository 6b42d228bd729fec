#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace instamarket {

inline constexpr char kSolanaTokenProgram[] = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
inline constexpr char kSolanaAssociatedTokenProgram[] =
    "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL";

// A Solana public key (account, mint, program): Base58 of 32 bytes.
bool IsSolanaPubkey(std::string_view key);
// A transaction signature: Base58 of 64 bytes.
bool IsSolanaSignature(std::string_view signature);

// The associated token account of `owner` for `mint` under `token_program`: the program-derived
// address of the associated-token-account program with seeds (owner, token program, mint),
// found like find_program_address does (bump 255 down to the first hash off the ed25519 curve).
// nullopt when an input is not a public key.
std::optional<std::string> AssociatedTokenAccount(
    std::string_view owner, std::string_view mint,
    std::string_view token_program = kSolanaTokenProgram);

}  // namespace instamarket
