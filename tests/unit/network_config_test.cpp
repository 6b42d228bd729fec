#include <gtest/gtest.h>

#include "config/config.h"

namespace instamarket {
namespace {

const char kBase[] = "database: {url: \"postgresql://x/db\"}\n";

std::string Network(const std::string& extra) {
  return std::string(kBase) +
         "networks:\n"
         "  - id: usdt_polygon\n"
         "    kind: evm\n"
         "    rpc: [\"https://polygon-rpc.example\", \"http://127.0.0.1:8545\"]\n"
         "    token: \"0xC2132D05D31c914a87C6611C10748AEb04B58e8F\"\n"
         "    decimals: 6\n"
         "    address: \"0x1df62f291b2e969fb0849d99d9ce41e2f137006e\"\n" +
         extra;
}

std::string ErrorOf(const std::string& yaml) {
  auto config = LoadConfigText(yaml);
  return config.ok() ? "" : config.error().message;
}

TEST(NetworkConfigTest, ReadsAnEvmNetwork) {
  auto config = LoadConfigText(Network("    confirmations: 64\n    start: 123\n") +
                               "topups: {max_surcharge_usdt: \"0.50\", match_tolerance_usdt: 0.01}\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_EQ(config->networks.size(), 1u);
  const NetworkConfig& n = config->networks[0];
  EXPECT_EQ(n.token, "0xc2132d05d31c914a87c6611c10748aeb04b58e8f");  // lowercased
  EXPECT_EQ(n.rpc.size(), 2u);
  EXPECT_EQ(n.confirmations, 64);
  EXPECT_EQ(n.start, "123");
  EXPECT_TRUE(n.enabled);
  EXPECT_EQ(config->topups.max_surcharge_micros, 500'000);
  EXPECT_EQ(config->topups.match_tolerance_micros, 10'000);
  EXPECT_EQ(config->FindNetwork("usdt_polygon"), &config->networks[0]);
  EXPECT_EQ(config->FindNetwork("nope"), nullptr);
}

TEST(NetworkConfigTest, FinalityTagsAndLatest) {
  auto config = LoadConfigText(Network("    finality: finalized\n    start: latest\n"));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->networks[0].finality, "finalized");
  EXPECT_EQ(config->networks[0].start, "latest");
}

TEST(NetworkConfigTest, ErrorsNameTheNetworkKey) {
  EXPECT_NE(ErrorOf(Network("")).find("networks[0]: needs confirmations"), std::string::npos);
  EXPECT_NE(ErrorOf(Network("    confirmations: 1\n    finality: safe\n")).find("not both"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Network("    finality: latest\n")).find("networks[0].finality"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Network("    confirmations: 1\n    kind2: x\n")).find("networks[0].kind2"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Network("    confirmations: 1\n    start: soon\n")).find("networks[0].start"),
            std::string::npos);
  std::string bad_kind = Network("    confirmations: 1\n");
  bad_kind.replace(bad_kind.find("kind: evm"), 9, "kind: tvm");
  EXPECT_NE(ErrorOf(bad_kind).find("networks[0].kind"), std::string::npos);
  std::string bad_token = Network("    confirmations: 1\n");
  bad_token.replace(bad_token.find("0xC2132D"), 8, "0xZZ132D");
  EXPECT_NE(ErrorOf(bad_token).find("networks[0].token"), std::string::npos);
  EXPECT_NE(ErrorOf(std::string(kBase) + "topups: {max_surcharge_usdt: \"1.0000001\"}\n")
                .find("topups.max_surcharge_usdt"),
            std::string::npos);
  std::string twice = Network("    confirmations: 1\n");
  twice += twice.substr(twice.find("  - id"));
  EXPECT_NE(ErrorOf(twice).find("used twice"), std::string::npos);
}

}  // namespace
}  // namespace instamarket
