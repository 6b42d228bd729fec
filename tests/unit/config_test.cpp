#include "config/config.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace instamarket {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("INSTAMARKET_DATABASE_URL");
    unsetenv("INSTAMARKET_ADMIN_TOKEN");
  }
  void TearDown() override { SetUp(); }

  static std::string ErrorOf(const std::string& yaml) {
    auto config = LoadConfigText(yaml);
    return config.ok() ? "" : config.error().message;
  }
};

TEST_F(ConfigTest, ReadsEveryKeyAndDefaults) {
  auto config = LoadConfigText(R"(
database: {url: "postgresql://x@127.0.0.1/db", pool_size: 4}
api:
  listen: "[::1]:9000"
  rate_limit_per_minute: 120
  trusted_proxies: ["127.0.0.1"]
admin: {token: "0123456789abcdef0123"}
)");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->database.pool_size, 4);
  EXPECT_EQ(config->api.listen_host, "::1");
  EXPECT_EQ(config->api.listen_port, 9000);
  EXPECT_EQ(config->api.rate_limit_per_minute, 120);
  EXPECT_EQ(config->api.rate_limit_scope, "database");  // the default: one limit for all daemons
  EXPECT_EQ(config->api.max_body_bytes, 64u * 1024u);
  EXPECT_EQ(config->api.trusted_proxies.size(), 1u);
  EXPECT_EQ(config->log.level, "info");
}

TEST_F(ConfigTest, ErrorsNameTheKey) {
  const std::string db = "database: {url: \"postgresql://x/db\"}\n";
  EXPECT_NE(ErrorOf(db + "api: {rate_limit_per_minute: abc}").find("api.rate_limit_per_minute"),
            std::string::npos);
  EXPECT_NE(ErrorOf(db + "api: {rate_limit_scope: cluster}")
                .find("api.rate_limit_scope: must be database or process, got \"cluster\""),
            std::string::npos);
  EXPECT_NE(ErrorOf(db + "api: {rate_limit: 5}").find("api.rate_limit: unknown key"),
            std::string::npos);
  EXPECT_NE(ErrorOf(db + "apii: {}").find("apii: unknown key"), std::string::npos);
  EXPECT_NE(ErrorOf(db + "api: {listen: \"localhost:80\"}").find("api.listen"), std::string::npos);
  EXPECT_NE(ErrorOf(db + "api: {listen: \"1.2.3.4:99999\"}").find("api.listen"), std::string::npos);
  EXPECT_NE(ErrorOf(db + "api: {trusted_proxies: [\"nope\"]}").find("api.trusted_proxies[0]"),
            std::string::npos);
  EXPECT_NE(ErrorOf(db + "log: {level: loud}").find("log.level"), std::string::npos);
  EXPECT_NE(ErrorOf(db + "admin: {token: short}").find("admin.token"), std::string::npos);
  EXPECT_NE(ErrorOf("api: {}").find("database.url"), std::string::npos);
  EXPECT_NE(ErrorOf("database: [1, 2").find("YAML"), std::string::npos);
}

TEST_F(ConfigTest, EnvironmentOverridesTheFile) {
  setenv("INSTAMARKET_DATABASE_URL", "postgresql://env/db", 1);
  setenv("INSTAMARKET_ADMIN_TOKEN", "env-token-0123456789", 1);
  auto config = LoadConfigText("database: {url: \"postgresql://file/db\"}\nadmin: {token: \"\"}\n");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->database.url, "postgresql://env/db");
  EXPECT_EQ(config->admin.token, "env-token-0123456789");
}

}  // namespace
}  // namespace instamarket
