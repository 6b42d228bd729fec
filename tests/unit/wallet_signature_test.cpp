#include "core/wallet_signature.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "core/crypto.h"
#include "core/keccak.h"

namespace instamarket {
namespace {

// --- Keccak-256 ---------------------------------------------------------------------------------

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(Keccak256, TransferTopicIsTheOneTheEvmAdapterFilters) {
  std::string source = ReadFile(std::string(INSTAMARKET_SOURCE_DIR) + "/adapters/evm_rpc_words.h");
  // Plain string search: std::regex trips GCC 12's -Wmaybe-uninitialized in the ASan build.
  std::size_t name = source.find("kTransferTopic[] =");
  ASSERT_NE(name, std::string::npos) << "kTransferTopic not found in adapters/evm_rpc_words.h";
  std::size_t quote = source.find("\"0x", name);
  ASSERT_NE(quote, std::string::npos);
  std::string topic = source.substr(quote + 3, 64);
  EXPECT_EQ(source.substr(quote + 3 + 64, 1), "\"");
  EXPECT_EQ(ToHex(Keccak256("Transfer(address,address,uint256)")), topic);
}

TEST(Keccak256, IsKeccakNotSha3) {
  // Keccak-256 of nothing; NIST's SHA3-256 of nothing is a7ffc6f8bf1ed766...
  EXPECT_EQ(ToHex(Keccak256("")),
            "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

// --- Garbage in: an error with a message, never a crash -----------------------------------------

using Verifier = Status (*)(std::string_view, std::string_view, std::string_view);
struct Scheme {
  const char* name;
  Verifier verify;
  std::string good_signer;  // well formed, so that the signature is what gets refused
};

std::vector<Scheme> Schemes() {
  return {
      {"evm", &VerifyEvmPersonalSign, "0x52908400098527886E0F7030069857D2E4169EE7"},
      {"tron", &VerifyTronMessageV2, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"},
      {"solana", &VerifySolanaMessage, "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"},
      {"ton", &VerifyTonMessage, std::string(64, 'a')},
  };
}

void ExpectRefused(const Status& status, const std::string& what) {
  ASSERT_FALSE(status.ok()) << what;
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument) << what;
  EXPECT_FALSE(status.error().message.empty()) << what;
}

TEST(WalletSignature, GarbageSignaturesAreRefusedWithAMessage) {
  const std::string megabyte(1 << 20, 'a');
  std::string binary(65, '\0');
  for (int i = 0; i < 65; ++i) binary[i] = static_cast<char>(i * 37);
  const std::vector<std::string> signatures = {
      "",
      "0x",
      "0",
      "abc",                                // odd hex
      std::string(129, 'a'),                // odd hex of nearly 65 bytes
      std::string(130, 'g'),                // 65 "bytes" of non-hex
      std::string(130, '0'),                // 65 zero bytes: r = s = 0
      "0x" + std::string(128, 'f') + "1b",  // r, s above the group order
      std::string(128, '0'),                // 64 zero bytes
      megabyte,                             // 1 MB
      "0x" + megabyte,
      binary,  // raw bytes, not text
      std::string("\0\0\0", 3),
      "====",
      "1111111111111111111111111111111111111111111111111111111111111111",
      "ü€💸",
  };
  for (const auto& scheme : Schemes()) {
    for (const auto& signature : signatures) {
      ExpectRefused(scheme.verify("a message", signature, scheme.good_signer),
                    std::string(scheme.name) + " signature of " + std::to_string(signature.size()) +
                        " bytes: " + signature.substr(0, 20));
    }
  }
}

TEST(WalletSignature, GarbageSignersAreRefusedWithAMessage) {
  const std::string valid_looking_hex(130, 'a');
  const std::vector<std::string> signers = {
      "",
      "0x",
      "0x123",
      std::string(1 << 20, '1'),
      "0x" + std::string(40, 'g'),
      std::string(42, 'a'),
      "T",
      "not an address at all",
      std::string("\0T", 2),
  };
  for (const auto& scheme : Schemes()) {
    for (const auto& signer : signers) {
      ExpectRefused(scheme.verify("a message", valid_looking_hex, signer),
                    std::string(scheme.name) + " signer " + signer.substr(0, 20));
    }
  }
}

TEST(WalletSignature, HugeInputsAreRefusedQuickly) {
  // Base58 decoding is quadratic; a megabyte must be refused by its length, not decoded.
  const std::string megabyte(1 << 20, '2');
  auto start = std::chrono::steady_clock::now();
  for (const auto& scheme : Schemes()) {
    ExpectRefused(scheme.verify(megabyte, megabyte, scheme.good_signer), scheme.name);
    ExpectRefused(scheme.verify(megabyte, "abcd", megabyte), scheme.name);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(WalletSignature, ErrorsSayWhatIsWrong) {
  auto short_one = VerifyEvmPersonalSign("m", "0x" + std::string(128, '1'),
                                         "0x52908400098527886E0F7030069857D2E4169EE7");
  ASSERT_FALSE(short_one.ok());
  EXPECT_EQ(short_one.error().message, "the signature is 64 bytes, not 65 (r, s and v)");
  auto odd = VerifyTronMessageV2("m", "0x123", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t");
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.error().message,
            "the signature has an odd number of hex digits (3); a 65-byte signature has 130");
  auto not_hex = VerifyTronMessageV2("m", "0x12345z", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t");
  ASSERT_FALSE(not_hex.ok());
  EXPECT_NE(not_hex.error().message.find("not hex"), std::string::npos) << not_hex.error().message;
  auto bad_v = VerifyEvmPersonalSign("m", std::string(128, '1') + "05",
                                     "0x52908400098527886E0F7030069857D2E4169EE7");
  ASSERT_FALSE(bad_v.ok());
  EXPECT_NE(bad_v.error().message.find("v is 5"), std::string::npos) << bad_v.error().message;
}

// --- Vectors made by the wallets' own libraries (tests/signatures/make_vectors.mjs) -------------

// The vectors file the CTest fixture wrote, or null after GTEST_SKIP / a failure.
const nlohmann::json* Vectors() {
  static const nlohmann::json* vectors = []() -> const nlohmann::json* {
    const char* path = std::getenv("INSTAMARKET_SIGNATURE_VECTORS");
    if (!path || !*path) return nullptr;
    std::ifstream in(path);
    if (!in) return nullptr;
    auto* parsed = new nlohmann::json(nlohmann::json::parse(in, nullptr, false));
    return parsed->is_discarded() ? nullptr : parsed;
  }();
  return vectors;
}

bool Required() {
  const char* required = std::getenv("INSTAMARKET_E2E_REQUIRE");
  return required && std::string(required) == "1";
}

#define REQUIRE_VECTORS()                                                                \
  do {                                                                                   \
    if (!Vectors()) {                                                                    \
      if (Required())                                                                    \
        FAIL() << "no signature vectors in $INSTAMARKET_SIGNATURE_VECTORS (written by "  \
                  "tests/signatures/generate.sh); INSTAMARKET_E2E_REQUIRE=1";            \
      GTEST_SKIP() << "no signature vectors (tests/signatures/generate.sh did not run)"; \
    }                                                                                    \
  } while (false)

Verifier VerifierOf(const std::string& scheme) {
  if (scheme == "evm") return &VerifyEvmPersonalSign;
  if (scheme == "tron") return &VerifyTronMessageV2;
  if (scheme == "solana") return &VerifySolanaMessage;
  if (scheme == "ton") return &VerifyTonMessage;
  return nullptr;
}

void RunScheme(const std::string& scheme) {
  int valid = 0, refused = 0;
  for (const auto& c : (*Vectors())["cases"]) {
    if (c["scheme"] != scheme) continue;
    const std::string name = c["name"], message = c["message"], signature = c["signature"],
                      signer = c["signer"];
    SCOPED_TRACE(scheme + ": " + name + "; signature " + signature + "; signer " + signer);
    Status status = VerifierOf(scheme)(message, signature, signer);
    if (c["valid"] == true) {
      ++valid;
      EXPECT_TRUE(status.ok()) << status.error().message;
    } else {
      ++refused;
      ASSERT_FALSE(status.ok()) << "accepted a signature that must be refused";
      EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
      if (c.contains("error_contains")) {
        const std::string want = c["error_contains"];
        EXPECT_NE(status.error().message.find(want), std::string::npos)
            << "error \"" << status.error().message << "\" lacks \"" << want << "\"";
      }
    }
    // The recovering variants name exactly the signer of a valid signature.
    if (c["valid"] == true && scheme == "evm") {
      auto who = RecoverEvmPersonalSignAddress(message, signature);
      ASSERT_TRUE(who.ok()) << who.error().message;
      std::string lower = signer;
      for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      EXPECT_EQ(*who, lower);
    }
    if (c["valid"] == true && scheme == "tron") {
      auto who = RecoverTronMessageV2Address(message, signature);
      ASSERT_TRUE(who.ok()) << who.error().message;
      EXPECT_EQ(*who, signer);
    }
  }
  // An empty or truncated file must not pass.
  EXPECT_GE(valid, 12) << scheme;
  EXPECT_GE(refused, 8) << scheme;
}

TEST(WalletSignatureVectors, EvmPersonalSignFromEthers) {
  REQUIRE_VECTORS();
  RunScheme("evm");
}

TEST(WalletSignatureVectors, TronSignMessageV2FromTronWeb) {
  REQUIRE_VECTORS();
  RunScheme("tron");
}

TEST(WalletSignatureVectors, SolanaFromTweetnacl) {
  REQUIRE_VECTORS();
  RunScheme("solana");
}

TEST(WalletSignatureVectors, TonFromTonCrypto) {
  REQUIRE_VECTORS();
  RunScheme("ton");
}

TEST(WalletSignatureVectors, EverySchemeIsKnown) {
  REQUIRE_VECTORS();
  std::map<std::string, int> counts;
  for (const auto& c : (*Vectors())["cases"]) {
    EXPECT_NE(VerifierOf(c["scheme"]), nullptr) << c["scheme"];
    ++counts[c["scheme"]];
  }
  EXPECT_EQ(counts.size(), 4u);
}

TEST(WalletSignatureVectors, Keccak256MatchesEthers) {
  REQUIRE_VECTORS();
  const auto& digests = (*Vectors())["keccak"];
  ASSERT_GE(digests.size(), 4u);
  for (const auto& d : digests) {
    auto input = HexDecode(d["input_hex"].get<std::string>());
    ASSERT_TRUE(input) << d["input_hex"];
    EXPECT_EQ(ToHex(Keccak256(*input)), d["digest_hex"]) << input->size() << " bytes";
  }
}

}  // namespace
}  // namespace instamarket
