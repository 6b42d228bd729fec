#include "config/config.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "core/crypto.h"

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

TEST_F(ConfigTest, NamedAdminTokensAndTheLegacyOne) {
  std::string db = "database: {url: \"postgresql://h/db\"}\n";
  auto config = LoadConfigText(db + R"(admin:
  token: "legacy-token-0123456789"
  max_failures_per_minute: 5
  tokens:
    - {name: alice, token: "alice-token-0123456789"}
    - {name: ops.bot, token_sha256: "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824"}
)");
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_EQ(config->admin.tokens.size(), 3u);
  EXPECT_EQ(config->admin.tokens[0].name, "default");
  EXPECT_EQ(config->admin.tokens[1].name, "alice");
  EXPECT_EQ(config->admin.tokens[2].sha256, Sha256("hello"));
  EXPECT_EQ(config->admin.max_failures_per_minute, 5);
  auto bad = [&](const std::string& tokens) {
    return ErrorOf(db + "admin: {tokens: " + tokens + "}");
  };
  EXPECT_NE(bad("[{name: a}]").find("admin.tokens[0]: needs token"), std::string::npos);
  EXPECT_NE(bad("[{name: a, token: short}]").find("at least 16"), std::string::npos);
  EXPECT_NE(bad("[{name: \"a b\", token: \"0123456789abcdefg\"}]").find(".name"),
            std::string::npos);
  EXPECT_NE(bad("[{name: a, token_sha256: \"abc\"}]").find("64 hex"), std::string::npos);
  EXPECT_NE(bad("[{name: a, token: \"0123456789abcdefg\"}, {name: a, token: "
                "\"0123456789abcdefh\"}]")
                .find("used twice"),
            std::string::npos);
  EXPECT_NE(bad("[{name: a, token: \"0123456789abcdefg\"}, {name: b, token: "
                "\"0123456789abcdefg\"}]")
                .find("the same token"),
            std::string::npos);
  EXPECT_NE(bad("{name: a}").find("must be a list"), std::string::npos);
  auto listen = LoadConfigText(db + "admin: {listen: \"127.0.0.1:9091\"}");
  ASSERT_TRUE(listen.ok()) << listen.error().message;
  EXPECT_EQ(listen->admin.listen_port, 9091);
  EXPECT_NE(ErrorOf(db + "api: {listen: \"127.0.0.1:9091\"}\nadmin: {listen: \"127.0.0.1:9091\"}")
                .find("admin.listen: must differ from api.listen"),
            std::string::npos);
  EXPECT_NE(ErrorOf(db + "admin: {listen: \"localhost:1\"}").find("admin.listen"),
            std::string::npos);
}

TEST_F(ConfigTest, ConnectionLimitsAndDeadlines) {
  const std::string db = "database: {url: \"postgresql://x/db\"}\n";
  auto defaults = LoadConfigText(db);
  ASSERT_TRUE(defaults.ok()) << defaults.error().message;
  EXPECT_EQ(defaults->api.max_connections, 10000);
  EXPECT_EQ(defaults->api.max_connections_per_address, 256);
  EXPECT_EQ(defaults->api.request_timeout_ms, 30000);
  EXPECT_EQ(defaults->api.drain_timeout_ms, 10000);

  auto set = LoadConfigText(db +
                            "api: {max_connections_per_address: 8, max_connections: 20, "
                            "request_timeout_ms: 2500, drain_timeout_ms: 3000}");
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->api.max_connections, 20);
  EXPECT_EQ(set->api.max_connections_per_address, 8);
  EXPECT_EQ(set->api.request_timeout_ms, 2500);
  EXPECT_EQ(set->api.drain_timeout_ms, 3000);

  // Left out, the per-address cap follows a total cap below its default.
  auto small = LoadConfigText(db + "api: {max_connections: 100}");
  ASSERT_TRUE(small.ok()) << small.error().message;
  EXPECT_EQ(small->api.max_connections_per_address, 100);

  EXPECT_NE(
      ErrorOf(db + "api: {max_connections: 0}").find("api.max_connections: must be an integer"),
      std::string::npos);
  EXPECT_NE(ErrorOf(db + "api: {max_connections: lots}").find("api.max_connections"),
            std::string::npos);
  EXPECT_NE(ErrorOf(db + "api: {max_connections: 10, max_connections_per_address: 11}")
                .find("api.max_connections_per_address: must not exceed api.max_connections (10)"),
            std::string::npos);
  EXPECT_NE(ErrorOf(db + "api: {max_connections_per_address: -1}")
                .find("api.max_connections_per_address"),
            std::string::npos);
  EXPECT_NE(ErrorOf(db + "api: {request_timeout_ms: 50}").find("api.request_timeout_ms"),
            std::string::npos);
  EXPECT_NE(ErrorOf(db + "api: {drain_timeout_ms: 50}").find("api.drain_timeout_ms"),
            std::string::npos);
  EXPECT_NE(ErrorOf(db + "api: {drain_timeout_ms: 600001}").find("api.drain_timeout_ms"),
            std::string::npos);
}

TEST_F(ConfigTest, UnpaidHeldIntentsPerKeyAreCapped) {
  const std::string db = "database: {url: \"postgresql://x/db\"}\n";
  auto defaults = LoadConfigText(db);
  ASSERT_TRUE(defaults.ok()) << defaults.error().message;
  EXPECT_EQ(defaults->topups.max_unpaid_held_per_key, 10);
  for (int n : {1, 25, 1000}) {
    auto set = LoadConfigText(db + "topups: {max_pending_per_key: 1, max_unpaid_held_per_key: " +
                              std::to_string(n) + "}");
    ASSERT_TRUE(set.ok()) << set.error().message;
    EXPECT_EQ(set->topups.max_unpaid_held_per_key, n);
  }
  // A band of no cent allows no amount at all unless the requested one may be given.
  EXPECT_NE(ErrorOf(db + "topups: {max_surcharge_usdt: \"0\"}").find("topups.max_surcharge_usdt"),
            std::string::npos);
  EXPECT_TRUE(
      LoadConfigText(db + "topups: {max_surcharge_usdt: \"0\", offer_requested_amount: true}")
          .ok());
  // Pending intents count towards it, so it may not be below the pending cap (3 by default).
  EXPECT_NE(ErrorOf(db + "topups: {max_unpaid_held_per_key: 2}")
                .find("must be at least topups.max_pending_per_key (3)"),
            std::string::npos);
  for (const char* bad : {"0", "1001", "-1", "ten", "2.5"}) {
    EXPECT_NE(ErrorOf(db + "topups: {max_unpaid_held_per_key: " + bad + "}")
                  .find("topups.max_unpaid_held_per_key"),
              std::string::npos)
        << bad;
  }
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
