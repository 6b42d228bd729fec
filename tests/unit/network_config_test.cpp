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
  auto config =
      LoadConfigText(Network("    confirmations: 64\n    start: 123\n") +
                     "topups: {max_surcharge_usdt: \"0.50\", match_tolerance_usdt: 0.004}\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_EQ(config->networks.size(), 1u);
  const NetworkConfig& n = config->networks[0];
  EXPECT_EQ(n.token, "0xc2132d05d31c914a87c6611c10748aeb04b58e8f");  // lowercased
  EXPECT_EQ(n.rpc.size(), 2u);
  EXPECT_EQ(n.confirmations, 64);
  EXPECT_EQ(n.start, "123");
  EXPECT_TRUE(n.enabled);
  EXPECT_EQ(config->topups.max_surcharge_micros, 500'000);
  EXPECT_EQ(config->topups.match_tolerance_micros, 4'000);
  EXPECT_EQ(config->FindNetwork("usdt_polygon"), &config->networks[0]);
  EXPECT_EQ(config->FindNetwork("nope"), nullptr);
}

TEST(NetworkConfigTest, FinalityTagsAndLatest) {
  auto config = LoadConfigText(Network("    finality: finalized\n    start: latest\n"));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->networks[0].finality, "finalized");
  EXPECT_EQ(config->networks[0].start, "latest");
}

TEST(NetworkConfigTest, EvmDefaultsToTheFinalizedTag) {
  auto config = LoadConfigText(Network(""));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->networks[0].finality, "finalized");
  EXPECT_EQ(config->networks[0].confirmations, 0);
}

TEST(NetworkConfigTest, RefusesZeroConfirmations) {
  std::string error = ErrorOf(Network("    confirmations: 0\n"));
  EXPECT_NE(error.find("networks[0].confirmations: must be at least 1"), std::string::npos)
      << error;
  EXPECT_EQ(ErrorOf(Network("    confirmations: 1\n")), "");
}

TEST(NetworkConfigTest, ErrorsNameTheNetworkKey) {
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
  // Held amounts are 0.01 apart: a tolerance of half a step or more is refused.
  EXPECT_NE(ErrorOf(std::string(kBase) + "topups: {match_tolerance_usdt: \"0.01\"}\n")
                .find("topups.match_tolerance_usdt"),
            std::string::npos);
  EXPECT_NE(ErrorOf(std::string(kBase) + "topups: {match_tolerance_usdt: \"0.005\"}\n")
                .find("topups.match_tolerance_usdt"),
            std::string::npos);
  std::string twice = Network("    confirmations: 1\n");
  twice += twice.substr(twice.find("  - id"));
  EXPECT_NE(ErrorOf(twice).find("used twice"), std::string::npos);
}

std::string Chain(const std::string& kind, const std::string& token, const std::string& address,
                  const std::string& extra = "") {
  return std::string(kBase) + "networks:\n  - {id: usdt_x, kind: " + kind +
         ", rpc: [\"https://api.example/\"], decimals: 6, token: \"" + token + "\", address: \"" +
         address + "\"" + extra + "}\n";
}

TEST(NetworkConfigTest, ReadsTronTonAndSolanaNetworks) {
  auto tron = LoadConfigText(Chain("tron", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
                                   "TXJTFuXzfoPbWKCnw47AYxMzgVPUyhJGRd",
                                   ", api_key: k, start: 1700000000000, page_size: 50"));
  ASSERT_TRUE(tron.ok()) << tron.error().message;
  const NetworkConfig& t = tron->networks[0];
  EXPECT_EQ(t.finality, "solidified");
  EXPECT_EQ(t.api_key, "k");
  EXPECT_EQ(t.start, "1700000000000");
  EXPECT_EQ(t.page_size, 50);
  EXPECT_EQ(t.rpc[0], "https://api.example");  // paths are appended: no trailing slash

  auto ton = LoadConfigText(Chain("ton", "EQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_sDs",
                                  "EQDKbjIcfM6ezt8KjKJJLshZJJSqX7XOA4ff-W72r5gqPrHF"));
  ASSERT_TRUE(ton.ok()) << ton.error().message;
  EXPECT_EQ(ton->networks[0].token,
            "0:b113a994b5024a16719f69139328eb759596c38a25f59028b146fecdc3621dfe");
  EXPECT_EQ(ton->networks[0].address,
            "0:ca6e321c7cce9ecedf0a8ca2492ec8592494aa5fb5ce0387dff96ef6af982a3e");
  // Clients are told the address as the operator wrote it.
  EXPECT_EQ(ton->networks[0].payment_address, "EQDKbjIcfM6ezt8KjKJJLshZJJSqX7XOA4ff-W72r5gqPrHF");

  auto sol = LoadConfigText(Chain(
      "solana", "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB",
      "3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui",
      ", start: "
      "5AaiuKqkyHgwp9rHLzFX4vhguS5UG4EHxBVNYqgFeF8FRveCh48oLSqJyd858w6VbqvEF4bJHgfKGyTWK729Wn54"));
  ASSERT_TRUE(sol.ok()) << sol.error().message;
  EXPECT_EQ(sol->networks[0].finality, "finalized");
  EXPECT_EQ(sol->networks[0].start.substr(0, 6), "5AaiuK");
}

TEST(NetworkConfigTest, RefusesAddressesAndKeysThatDoNotFitTheKind) {
  // A Tron address with a broken checksum (blockatlas's altered mock account).
  EXPECT_NE(ErrorOf(Chain("tron", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
                          "TM1zzNDZD2DPASbKcgdVoTYhfmYgtfwx9D"))
                .find("networks[0].address: must be a Tron address"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Chain("tron", "0xdac17f958d2ee523a2206206994597c13d831ec7",
                          "TXJTFuXzfoPbWKCnw47AYxMzgVPUyhJGRd"))
                .find("networks[0].token"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Chain("ton", "UQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_sDY",
                          "EQDKbjIcfM6ezt8KjKJJLshZJJSqX7XOA4ff-W72r5gqPrHF"))
                .find("checksum"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Chain("solana", "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB",
                          "3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui", ", start: soon"))
                .find("must be latest or a slot or a transaction signature"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Chain("tron", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
                          "TXJTFuXzfoPbWKCnw47AYxMzgVPUyhJGRd", ", confirmations: 19"))
                .find("networks[0].confirmations: applies to kind evm only"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Chain("ton", "EQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_sDs",
                          "EQDKbjIcfM6ezt8KjKJJLshZJJSqX7XOA4ff-W72r5gqPrHF", ", finality: safe"))
                .find("networks[0].finality"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Chain("tron", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
                          "TXJTFuXzfoPbWKCnw47AYxMzgVPUyhJGRd", ", page_size: 500"))
                .find("networks[0].page_size"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Network("    confirmations: 1\n    api_key: x\n"))
                .find("networks[0].api_key: applies to kind tron or ton only"),
            std::string::npos);
}

}  // namespace
}  // namespace instamarket

namespace instamarket {
namespace {

TEST(NetworkConfigTest, SecondLookAndReconciliationIntervals) {
  auto defaults = LoadConfigText(Network("    confirmations: 12\n"));
  ASSERT_TRUE(defaults.ok()) << defaults.error().message;
  EXPECT_EQ(defaults->networks[0].second_look_delay_seconds, 600);
  EXPECT_EQ(defaults->reconciliation.interval_seconds, 300);

  auto set = LoadConfigText(Network("    confirmations: 12\n    second_look_delay_seconds: 0\n") +
                            "reconciliation: {interval_seconds: 60}\n");
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->networks[0].second_look_delay_seconds, 0);  // off
  EXPECT_EQ(set->reconciliation.interval_seconds, 60);

  EXPECT_NE(ErrorOf(Network("    confirmations: 12\n    second_look_delay_seconds: -1\n"))
                .find("networks[0].second_look_delay_seconds"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Network("    confirmations: 12\n    second_look_delay_seconds: 86401\n"))
                .find("networks[0].second_look_delay_seconds"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Network("    confirmations: 12\n") + "reconciliation: {interval_seconds: x}\n")
                .find("reconciliation.interval_seconds"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Network("    confirmations: 12\n") + "reconciliation: {every: 5}\n")
                .find("reconciliation.every: unknown key"),
            std::string::npos);
}

}  // namespace
}  // namespace instamarket
