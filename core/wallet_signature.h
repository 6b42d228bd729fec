#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace instamarket {

// Checks that a wallet signed a text message, the way each chain's wallets sign one. Used to
// prove who sent a deposit (claims). Each returns ok when `signature` is a valid signature of
// exactly `message` (UTF-8 bytes) by the key behind `signer`, else kInvalidArgument with a
// message a client can act on ("the signature is not 65 bytes", "signed by 0xabc…, not by the
// sender 0xdef…"). Never throws; any input is safe.

// EVM wallets' personal_sign (EIP-191 version 0x45): keccak256("\x19Ethereum Signed
// Message:\n" + decimal length + message), secp256k1 public key recovery (r, s, v with v 27/28
// or 0/1; high-s refused). `signature`: 65 bytes as hex, with or without 0x. `signer`: the
// sender's 0x address, any case.
Status VerifyEvmPersonalSign(std::string_view message, std::string_view signature,
                             std::string_view signer);

// The lowercase 0x address whose key made `signature` (as for VerifyEvmPersonalSign) over
// `message`, for telling a client who did sign. kInvalidArgument for a malformed signature.
Result<std::string> RecoverEvmPersonalSignAddress(std::string_view message,
                                                  std::string_view signature);

// TronWeb's signMessageV2 (TIP-191): as EIP-191 with "\x19TRON Signed Message:\n"; the
// recovered key's address is 0x41 + last 20 bytes of keccak256(key), in base58check.
// `signer`: the sender's T… address.
Status VerifyTronMessageV2(std::string_view message, std::string_view signature,
                           std::string_view signer);

// The T… address whose key made `signature` (as for VerifyTronMessageV2) over `message`.
Result<std::string> RecoverTronMessageV2Address(std::string_view message,
                                                std::string_view signature);

// Solana wallets' signMessage: Ed25519 over the message bytes. `signature`: 64 bytes as
// base58, hex or base64. `signer`: the sender's base58 address (its Ed25519 public key).
Status VerifySolanaMessage(std::string_view message, std::string_view signature,
                           std::string_view signer);

// TON: Ed25519 over the message bytes with the wallet's public key (as its get_public_key
// get-method returns it). `signature`: 64 bytes as hex or base64. `public_key_hex`: 32 bytes
// as hex.
Status VerifyTonMessage(std::string_view message, std::string_view signature,
                        std::string_view public_key_hex);

// That `signature` reads as a TON wallet's signature (64 bytes as hex or base64), checked
// before anything is looked up for it; kInvalidArgument saying what is wrong.
Status CheckTonSignatureFormat(std::string_view signature);

// A TON proof in the order that costs an attacker most and us least: the signature's format
// first (no lookup for garbage), then `key_of(wallet)` (a chain lookup, blocking), then the
// signature against the key. A lookup's kUnavailable is returned as kUnavailable (retry); any
// other lookup error becomes kInvalidArgument ("the wallet has no public key on chain").
Status VerifyTonProof(std::string_view message, std::string_view signature,
                      const std::string& wallet,
                      const std::function<Result<std::string>(const std::string&)>& key_of);

}  // namespace instamarket
