#include "api/request_security.h"

#include <gtest/gtest.h>

#include "core/crypto.h"
#include "ledger/key_store.h"

namespace instamarket {
namespace {

// The body of the spec's Python example, as json.dumps writes it, and the signature Python's
// hmac.new(b"s3cr3t", f"{ts}\n{body}".encode(), hashlib.sha256).hexdigest() gives.
constexpr char kSpecBody[] = R"({"product_id": 12345, "quantity": 1, "payment_method": "balance"})";
constexpr char kSpecSignature[] =
    "5b21f1a6da29b721a27cc14bf1b7cf21b52b26898b642462a357f214c791ad9d";

TEST(RequestSignatureTest, MatchesTheSpecFormula) {
  EXPECT_EQ(HmacSha256Hex("s3cr3t", std::string("1779497200\n") + kSpecBody), kSpecSignature);
  EXPECT_TRUE(
      VerifyRequestSignature("s3cr3t", "1779497200", kSpecSignature, kSpecBody, 1779497200, 300)
          .ok());
  std::string upper = kSpecSignature;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_TRUE(
      VerifyRequestSignature("s3cr3t", "1779497200", upper, kSpecBody, 1779497200, 300).ok());
}

TEST(RequestSignatureTest, RefusesWrongStaleOrMissing) {
  auto check = [](const char* secret, const char* ts, const char* sig, const char* body,
                  std::int64_t now) {
    return VerifyRequestSignature(secret, ts, sig, body, now, 300);
  };
  EXPECT_FALSE(check("other", "1779497200", kSpecSignature, kSpecBody, 1779497200).ok());
  EXPECT_FALSE(check("s3cr3t", "1779497200", kSpecSignature, "{}", 1779497200).ok());
  EXPECT_FALSE(check("s3cr3t", "1779497201", kSpecSignature, kSpecBody, 1779497200).ok());
  EXPECT_TRUE(check("s3cr3t", "1779497200", kSpecSignature, kSpecBody, 1779497500).ok());
  EXPECT_FALSE(check("s3cr3t", "1779497200", kSpecSignature, kSpecBody, 1779497501).ok());
  EXPECT_FALSE(check("s3cr3t", "1779497200", kSpecSignature, kSpecBody, 1779496899).ok());
  EXPECT_FALSE(check("s3cr3t", "", kSpecSignature, kSpecBody, 1779497200).ok());
  EXPECT_FALSE(check("s3cr3t", "1779497200", "", kSpecBody, 1779497200).ok());
  EXPECT_FALSE(check("s3cr3t", "17794972OO", kSpecSignature, kSpecBody, 1779497200).ok());
  EXPECT_EQ(check("x", "", "", "", 0).error().code, ErrorCode::kUnauthenticated);
}

// |ts - now| overflowed for timestamps near the int64 limits, and the negative "drift" passed the
// window check: a correctly signed request with such a timestamp never expired.
TEST(RequestSignatureTest, RefusesTimestampsAtTheInt64Limits) {
  const std::int64_t now = 1779497200;
  for (const char* ts : {"-9223372036854775808", "-9223372036854775807", "9223372036854775807",
                         "-1779497200", "0"}) {
    std::string signature = HmacSha256Hex("s3cr3t", std::string(ts) + "\n" + kSpecBody);
    auto verified = VerifyRequestSignature("s3cr3t", ts, signature, kSpecBody, now, 300);
    ASSERT_FALSE(verified.ok()) << ts;
    EXPECT_EQ(verified.error().code, ErrorCode::kUnauthenticated) << ts;
  }
}

TEST(SecretEqualsTest, ComparesWholeSecretsOfAnyLength) {
  EXPECT_TRUE(SecretEquals("0123456789abcdef-secret", "0123456789abcdef-secret"));
  EXPECT_FALSE(SecretEquals("0123456789abcdef-secre", "0123456789abcdef-secret"));
  EXPECT_FALSE(SecretEquals("0123456789abcdef-secret!", "0123456789abcdef-secret"));
  EXPECT_FALSE(SecretEquals("", "0123456789abcdef-secret"));
  EXPECT_FALSE(SecretEquals(std::string(16384, 'x'), "0123456789abcdef-secret"));
}

TEST(ApiKeyFormatTest, OnlyTheIssuedFormatIsLookedUp) {
  EXPECT_TRUE(IsWellFormedApiKey(GenerateApiKey()));
  EXPECT_TRUE(IsWellFormedApiKey("imk_" + std::string(64, 'a')));
  for (std::string bad : {std::string(), std::string("imk_"), "imk_" + std::string(63, 'a'),
                          "imk_" + std::string(65, 'a'), "imk_" + std::string(64, 'A'),
                          "imk_" + std::string(63, 'a') + "g", "IMK_" + std::string(64, 'a'),
                          "xmk_" + std::string(64, 'a'), std::string(8192, 'a')}) {
    EXPECT_FALSE(IsWellFormedApiKey(bad)) << bad.substr(0, 80);
  }
}

TEST(RequestSignatureTest, CanonicalSpellingIgnoresCase) {
  EXPECT_EQ(CanonicalSignature("5B21f1A6"), "5b21f1a6");
  EXPECT_EQ(CanonicalSignature(kSpecSignature), kSpecSignature);
}

TEST(ClientIpTest, TrustsForwardedForOnlyFromTrustedProxies) {
  std::vector<std::string> none;
  std::vector<std::string> local = {"127.0.0.1"};
  EXPECT_EQ(ResolveClientIp("127.0.0.1", "10.1.2.3", none), "127.0.0.1");
  EXPECT_EQ(ResolveClientIp("127.0.0.1", "10.1.2.3", local), "10.1.2.3");
  EXPECT_EQ(ResolveClientIp("127.0.0.1", "6.6.6.6, 10.1.2.3", local), "10.1.2.3");
  EXPECT_EQ(ResolveClientIp("127.0.0.1", "10.1.2.3, 127.0.0.1", local), "10.1.2.3");
  EXPECT_EQ(ResolveClientIp("127.0.0.1", "garbage", local), "127.0.0.1");
  EXPECT_EQ(ResolveClientIp("192.0.2.9", "10.1.2.3", local), "192.0.2.9");
  EXPECT_EQ(ResolveClientIp("::ffff:127.0.0.1", "10.1.2.3", local), "10.1.2.3");
}

TEST(ClientIpTest, WhitelistComparesCanonicalAddresses) {
  EXPECT_TRUE(IpAllowed("10.0.0.1", {}));
  EXPECT_TRUE(IpAllowed("10.0.0.1", {"10.0.0.1"}));
  EXPECT_TRUE(IpAllowed("::ffff:10.0.0.1", {"10.0.0.1"}));
  EXPECT_TRUE(IpAllowed("2001:db8::1", {"2001:0db8:0:0::1"}));
  EXPECT_FALSE(IpAllowed("10.0.0.2", {"10.0.0.1"}));
  EXPECT_FALSE(IpAllowed("", {"10.0.0.1"}));
}

}  // namespace
}  // namespace instamarket
