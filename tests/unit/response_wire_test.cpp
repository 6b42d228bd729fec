#include "api/response_wire.h"

#include <gtest/gtest.h>

#include "config/config.h"

namespace instamarket {
namespace {

TEST(ResponseWireTest, WritesStatusHeadersLengthAndBody) {
  HttpResponse response = JsonResponse(429, R"({"status":429})");
  response.AddHeader("Retry-After", "7");
  std::string out = "stale bytes from the previous response";
  WriteResponse(response, 11, true, out);
  EXPECT_EQ(out,
            "HTTP/1.1 429 Too Many Requests\r\n"
            "Server: instamarketd\r\n"
            "Content-Type: application/json\r\n"
            "Content-Length: 14\r\n"
            "Retry-After: 7\r\n"
            "\r\n"
            R"({"status":429})");
}

TEST(ResponseWireTest, ConnectionHeaderOnlyWhereTheVersionNeedsIt) {
  HttpResponse response = JsonResponse(200, "{}");
  std::string out;
  WriteResponse(response, 11, false, out);
  EXPECT_NE(out.find("\r\nConnection: close\r\n"), std::string::npos);
  WriteResponse(response, 10, true, out);
  EXPECT_EQ(out.rfind("HTTP/1.0 200 OK\r\n", 0), 0u);
  EXPECT_NE(out.find("\r\nConnection: keep-alive\r\n"), std::string::npos);
  WriteResponse(response, 10, false, out);
  EXPECT_EQ(out.find("Connection:"), std::string::npos);  // 1.0 closes by default
  WriteResponse(response, 11, true, out);
  EXPECT_EQ(out.find("Connection:"), std::string::npos);  // 1.1 keeps alive by default
}

TEST(ResponseWireTest, HeadGetsTheHeadersAndNoBody) {
  HttpResponse response = JsonResponse(200, R"({"status":"alive"})");
  std::string out;
  WriteResponse(response, 11, true, out, /*head_request=*/true);
  EXPECT_NE(out.find("Content-Length: 18\r\n"), std::string::npos);
  EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n");  // ends with the headers
}

// The shipped example must always load: operators copy it.
TEST(ExampleConfigTest, TheExampleConfigIsValid) {
  auto config = LoadConfigFile(INSTAMARKET_SOURCE_DIR "/config/instamarketd.example.yaml");
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_EQ(config->networks.size(), 6u);  // the spec's six networks
  EXPECT_EQ(config->FindNetwork("usdt_bep_20")->decimals, 18);
  EXPECT_EQ(config->FindNetwork("usdt_bep_20")->token,
            "0x55d398326f99059ff775485246999027b3197955");
  EXPECT_EQ(config->FindNetwork("usdt_polygon")->token,
            "0xc2132d05d31c914a87c6611c10748aeb04b58e8f");
  EXPECT_EQ(config->FindNetwork("usdt_arbitrum")->token,
            "0xfd086bc7cd5c481dcc9c85ebe478a1c0b69fcbb9");
  EXPECT_EQ(config->FindNetwork("usdt_trc_20")->token, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t");
  EXPECT_EQ(config->FindNetwork("usdt_ton")->token,
            "0:b113a994b5024a16719f69139328eb759596c38a25f59028b146fecdc3621dfe");
  EXPECT_EQ(config->FindNetwork("usdt_solana")->token,
            "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB");
}

// So must the sample production config that docs/ ships with the systemd unit.
TEST(ExampleConfigTest, TheSampleProductionConfigIsValid) {
  auto config = LoadConfigFile(INSTAMARKET_SOURCE_DIR "/docs/instamarketd.production.yaml");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->networks.size(), 6u);
  EXPECT_EQ(config->log.format, "json");
  EXPECT_EQ(config->api.trusted_proxies.size(), 1u);
}

}  // namespace
}  // namespace instamarket
