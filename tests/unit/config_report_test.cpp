#include "app/config_report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace instamarket {
namespace {

TEST(ConfigReportTest, MasksPasswordsAndKeyLikeUrlParts) {
  EXPECT_EQ(MaskUrl("postgresql://im:s3cret@db:5432/instamarket"),
            "postgresql://im:***@db:5432/instamarket");
  EXPECT_EQ(MaskUrl("https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef"),
            "https://mainnet.infura.io/v3/***");
  EXPECT_EQ(MaskUrl("https://rpc.example/?apikey=AbCdEf0123456789xyz&x=1"),
            "https://rpc.example/?apikey=***&x=1");
  EXPECT_EQ(MaskUrl("https://bsc-dataseed.bnbchain.org"), "https://bsc-dataseed.bnbchain.org");
  EXPECT_EQ(MaskUrl("http://127.0.0.1:8545"), "http://127.0.0.1:8545");
}

TEST(ConfigReportTest, ShowsNetworksAndFinalityWithoutSecrets) {
  auto config = LoadConfigText(R"(
database: {url: "postgresql://u:pw@h/db"}
admin: {token: "0123456789abcdef-secret"}
networks:
  - {id: usdt_polygon, kind: evm, rpc: ["https://polygon-rpc.com"], decimals: 6,
     token: "0xc2132d05d31c914a87c6611c10748aeb04b58e8f",
     address: "0x1df62f291b2e969fb0849d99d9ce41e2f137006e", finality: finalized}
  - {id: usdt_bep_20, kind: evm, rpc: ["https://bsc-dataseed.bnbchain.org"], decimals: 18,
     token: "0x55d398326f99059ff775485246999027b3197955",
     address: "0x1df62f291b2e969fb0849d99d9ce41e2f137006e", confirmations: 15, start: 123}
)");
  ASSERT_TRUE(config.ok()) << config.error().message;
  std::string master(32, '\x11');
  auto box = SecretBox::Create(master);
  ASSERT_TRUE(box.ok());
  std::string text = ConfigReport(*config, *box);
  EXPECT_EQ(text.find("pw@"), std::string::npos);
  EXPECT_EQ(text.find("-secret"), std::string::npos);
  EXPECT_EQ(text.find("1111"), std::string::npos);  // the master key, in hex
  EXPECT_EQ(text.find(master), std::string::npos);
  auto report = nlohmann::json::parse(text);
  EXPECT_EQ(report["admin_api"], "enabled");
  EXPECT_EQ(report["secrets"]["master_key_id"], SecretBox::KeyId(master));
  ASSERT_EQ(report["networks"].size(), 2u);
  EXPECT_EQ(report["networks"][0]["finality"], "block tag \"finalized\"");
  EXPECT_EQ(report["networks"][0]["start"], "latest");
  EXPECT_EQ(report["networks"][1]["finality"], "15 confirmations");
  EXPECT_EQ(report["networks"][1]["start"], "123");
  EXPECT_EQ(report["networks"][1]["decimals"], 18);
  EXPECT_EQ(report["topups"]["max_pending_per_key"], 3);
  EXPECT_EQ(report["topups"]["max_unpaid_held_per_key"], 10);
}

}  // namespace
}  // namespace instamarket
