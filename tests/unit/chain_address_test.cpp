// Address and payload codecs of the non-EVM chains, against published examples
// (tests/fixtures/chains/*.source.txt say where each comes from).
#include <gtest/gtest.h>

#include "adapters/ton_comment.h"
#include "core/base58.h"
#include "core/solana_address.h"
#include "core/ton_address.h"
#include "core/tron_address.h"

namespace instamarket {
namespace {

TEST(Base58, RoundTripsAndKeepsLeadingZeros) {
  std::string bytes("\0\0\x01\x02\xff", 5);
  std::string text = Base58Encode(bytes);
  EXPECT_EQ(text.substr(0, 2), "11");
  EXPECT_EQ(*Base58Decode(text), bytes);
  EXPECT_EQ(Base58Encode("hello world"), "StV1DL6CwTryKyV");  // the usual test vector
  EXPECT_FALSE(Base58Decode("0OIl"));                         // not in the alphabet
  EXPECT_FALSE(Base58Decode(""));
}

TEST(TronAddress, ChecksPrefixAndChecksum) {
  EXPECT_TRUE(IsTronAddress("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"));  // USDT contract
  EXPECT_TRUE(IsTronAddress("TAxbLztoanFhYu4TuS5RabaJYGnUkfzNKG"));  // a sender in the fixture
  // The fixture's own account: blockatlas's mock altered it, and its checksum no longer holds.
  EXPECT_FALSE(IsTronAddress("TM1zzNDZD2DPASbKcgdVoTYhfmYgtfwx9D"));
  EXPECT_FALSE(IsTronAddress("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u"));  // checksum
  EXPECT_FALSE(IsTronAddress("1BoatSLRHtKNngkdXEeobR76b53LETtpyT"));  // Bitcoin: prefix 0x00
  EXPECT_FALSE(IsTronAddress("0xdac17f958d2ee523a2206206994597c13d831ec7"));
  EXPECT_FALSE(IsTronAddress(""));
}

TEST(TonAddress, FriendlyAndRawFormsMeetInRawForm) {
  const std::string usdt = "0:b113a994b5024a16719f69139328eb759596c38a25f59028b146fecdc3621dfe";
  EXPECT_EQ(*TonRawAddress("EQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_sDs"), usdt);
  EXPECT_EQ(*TonRawAddress("UQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_p0p"), usdt);
  EXPECT_EQ(*TonRawAddress("0:B113A994B5024A16719F69139328EB759596C38A25F59028B146FECDC3621DFE"),
            usdt);
  EXPECT_EQ(*TonRawAddress("EQDKbjIcfM6ezt8KjKJJLshZJJSqX7XOA4ff-W72r5gqPrHF"),
            "0:ca6e321c7cce9ecedf0a8ca2492ec8592494aa5fb5ce0387dff96ef6af982a3e");
  // A published typo: the flag changed without the checksum.
  auto wrong = TonRawAddress("UQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_sDY");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("checksum"), std::string::npos);
  EXPECT_FALSE(TonRawAddress("0:abc").ok());
  EXPECT_FALSE(TonRawAddress("EQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id").ok());
}

TEST(TonComment, ReadsTheTextOfACommentPayload) {
  EXPECT_EQ(TonTextComment("te6cckEBAQEADwAAGgAAAAA3ODYzMDE4MDJEiUVq").value_or("?"), "786301802");
  EXPECT_FALSE(TonTextComment("not base64!"));
  EXPECT_FALSE(TonTextComment(""));
  // The same cell with opcode 0x100 instead of 0: not a text comment.
  EXPECT_FALSE(TonTextComment("te6cckEBAQEADwAAGgAAAQA3ODYzMDE4MDJEiUVq"));
  // A longer comment continues in the first reference ("snake" cells); URL-safe base64.
  EXPECT_EQ(TonTextComment("te6ccgEBAgEAJQABLAAAAABwYXkgZm9yIG9yZGVyIDQyLCABABR0aGFua3Mg4pyT")
                .value_or("?"),
            "pay for order 42, thanks \xe2\x9c\x93");
}

TEST(SolanaAddress, DerivesAssociatedTokenAccounts) {
  // solders tests/token/test_ata.py: bump 255 with the token program, 252 with Token-2022.
  EXPECT_EQ(AssociatedTokenAccount("5d21Nx19eZBThbExCn1ESAk3RGmE8Rdp9PKMWZ2VedSK",
                                   "3CqfBkrmRsK3uXZaxktvTeeBkJp4yeFKs4mUi2jhKExz")
                .value_or(""),
            "Aumq2SPVzZccYL3UAhvXoDDkNYLZr2zpyxLuJiyx79te");
  EXPECT_EQ(AssociatedTokenAccount("5d21Nx19eZBThbExCn1ESAk3RGmE8Rdp9PKMWZ2VedSK",
                                   "3CqfBkrmRsK3uXZaxktvTeeBkJp4yeFKs4mUi2jhKExz",
                                   "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
                .value_or(""),
            "4xoV4cxTM3GcaWP7bKbUdu2Gp9P9nEgpmCPV8ykFGo4U");
  // A mainnet account the associated-token-account program created (USDC).
  EXPECT_EQ(AssociatedTokenAccount("3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui",
                                   "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")
                .value_or(""),
            "H51DXRt3ubThhdhNeDMScfkbC5X4AWzYfHaZS3JKEfPh");
  EXPECT_FALSE(AssociatedTokenAccount("not-a-key", "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"));
  EXPECT_TRUE(IsSolanaPubkey("Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB"));
  EXPECT_FALSE(IsSolanaPubkey("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"));  // 25 bytes
}

}  // namespace
}  // namespace instamarket
