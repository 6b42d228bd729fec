// The Tron network's `node_rpc` (full nodes that confirm each listed transfer).
#include <gtest/gtest.h>

#include "config/config.h"

namespace instamarket {
namespace {

std::string Tron(const std::string& kind, const std::string& extra) {
  return "database: {url: \"postgresql://x/db\"}\n"
         "networks:\n"
         "  - id: usdt_x\n"
         "    kind: " + kind + "\n"
         "    rpc: [\"https://api.trongrid.io\"]\n" +
         (kind == "tron" ? "    token: \"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t\"\n"
                           "    address: \"TXJTFuXzfoPbWKCnw47AYxMzgVPUyhJGRd\"\n"
                         : "    token: \"EQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_sDs\"\n"
                           "    address: \"0:169c9367c01c8b4e1471962db32e99e3e4473aafb47e1a6a643a4177a6758f16\"\n") +
         "    decimals: 6\n" + extra;
}

TEST(TronNodeRpcConfig, IsReadForTronOnly) {
  auto config = LoadConfigText(Tron("tron", "    node_rpc: [\"http://10.0.0.5:8091/\"]\n"));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->networks[0].node_rpc, std::vector<std::string>{"http://10.0.0.5:8091"});
  auto absent = LoadConfigText(Tron("tron", ""));
  ASSERT_TRUE(absent.ok()) << absent.error().message;
  EXPECT_TRUE(absent->networks[0].node_rpc.empty());

  auto ton = LoadConfigText(Tron("ton", "    node_rpc: [\"http://10.0.0.5:8091\"]\n"));
  ASSERT_FALSE(ton.ok());
  EXPECT_NE(ton.error().message.find("networks[0].node_rpc: applies to kind tron only"),
            std::string::npos)
      << ton.error().message;
  for (const char* bad : {"    node_rpc: []\n", "    node_rpc: [\"ftp://x\"]\n",
                          "    node_rpc: \"http://x\"\n"}) {
    auto refused = LoadConfigText(Tron("tron", bad));
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_NE(refused.error().message.find("node_rpc"), std::string::npos)
        << refused.error().message;
  }
}

}  // namespace
}  // namespace instamarket
