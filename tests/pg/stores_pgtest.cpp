#include <pqxx/pqxx>

#include "pg_test_env.h"

namespace instamarket {
namespace {

class StoresTest : public PgTest {
 protected:
  std::vector<AuditEntry> AuditFor(const std::string& target) {
    std::vector<AuditEntry> out;
    auto recent = db_->audit().Recent(50);
    EXPECT_TRUE(recent.ok());
    for (auto& e : *recent) {
      if (e.target == target) out.push_back(e);
    }
    return out;
  }
};

TEST_F(StoresTest, KeysAreStoredHashedAndLookedUpByValue) {
  auto minted = db_->keys().Create("store-test", true, {"10.0.0.1"}, "tester");
  ASSERT_TRUE(minted.ok()) << minted.error().message;
  EXPECT_EQ(minted->api_key.rfind("imk_", 0), 0u);
  EXPECT_EQ(minted->api_key.size(), 68u);
  ASSERT_TRUE(minted->hmac_secret.has_value());

  {
    pqxx::connection conn(TestDatabaseUrl());
    pqxx::nontransaction tx(conn);
    auto leaked = tx.exec_params1(
        "SELECT count(*) FROM api_keys WHERE position($1 in encode(key_hash, 'escape')) > 0 "
        "OR key_prefix = $1",
        minted->api_key);
    EXPECT_EQ(leaked[0].as<int>(), 0) << "the key itself must not be stored";
  }

  auto found = db_->keys().FindByKey(minted->api_key);
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, minted->id);
  EXPECT_EQ((*found)->hmac_secret, minted->hmac_secret);
  EXPECT_EQ((*found)->allowed_ips, std::vector<std::string>{"10.0.0.1"});
  EXPECT_FALSE((*found)->revoked());
  EXPECT_FALSE(db_->keys().FindByKey(minted->api_key + "x")->has_value());

  auto secret = db_->keys().RotateSecret(minted->id, "tester");
  ASSERT_TRUE(secret.ok());
  EXPECT_NE(*secret, *minted->hmac_secret);
  EXPECT_EQ(*(*db_->keys().FindByKey(minted->api_key))->hmac_secret, *secret);

  EXPECT_EQ(db_->keys().AllowIp(minted->id, "::1", "tester")->size(), 2u);
  EXPECT_EQ(db_->keys().DenyIp(minted->id, "10.0.0.1", "tester")->size(), 1u);
  EXPECT_EQ(db_->keys().DenyIp(minted->id, "10.0.0.9", "tester").error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(db_->keys().AllowIp(minted->id, "not-an-ip", "tester").error().code,
            ErrorCode::kInvalidArgument);

  ASSERT_TRUE(db_->keys().Revoke(minted->id, "tester").ok());
  EXPECT_TRUE((*db_->keys().FindByKey(minted->api_key))->revoked());
  EXPECT_EQ(db_->keys().Revoke(minted->id, "tester").error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(db_->keys().Revoke(999'999'999'999, "tester").error().code, ErrorCode::kNotFound);

  std::vector<std::string> actions;
  for (const auto& e : AuditFor("key:" + std::to_string(minted->id))) actions.push_back(e.action);
  EXPECT_EQ(actions, (std::vector<std::string>{"keys.revoke", "keys.deny_ip", "keys.allow_ip",
                                               "keys.rotate_secret", "keys.create"}));
}

TEST_F(StoresTest, SignaturesAreAcceptedOnce) {
  auto key = db_->keys().Create("sig-test", true, {}, "tester");
  ASSERT_TRUE(key.ok());
  std::string signature = "sig-" + std::to_string(UniqueId());
  EXPECT_TRUE(*db_->keys().RememberSignature(key->id, signature, 660));
  EXPECT_FALSE(*db_->keys().RememberSignature(key->id, signature, 660));
}

TEST_F(StoresTest, CatalogImportUpsertsAndStockDeduplicates) {
  std::int64_t id = UniqueId();
  std::string category = "cat-" + std::to_string(id);
  Product p{id, "sku-" + std::to_string(id), "Thing", category, Money::FromMicros(1'250'000), 10,
            0};
  Product q{
      id + 1, "sku-" + std::to_string(id + 1), "Other", category, Money::FromMicros(500'000), 1, 0};
  auto first = db_->catalog().ImportProducts({p, q}, "tester");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->inserted, 2);
  p.price = Money::FromMicros(2'000'000);
  auto second = db_->catalog().ImportProducts({p}, "tester");
  EXPECT_EQ(second->inserted, 0);
  EXPECT_EQ(second->updated, 1);
  EXPECT_EQ(db_->catalog().Get(id)->price.micros(), 2'000'000);

  auto stock = db_->catalog().ImportStock(
      id, {R"({"login":"a"})", R"({"login":"b"})", R"({"login":"a"})"}, "tester");
  ASSERT_TRUE(stock.ok()) << stock.error().message;
  EXPECT_EQ(stock->added, 2);
  EXPECT_EQ(stock->duplicates, 1);
  EXPECT_EQ(stock->stock, 2);
  EXPECT_EQ(db_->catalog().ImportStock(id, {R"({"login":"b"})"}, "tester")->added, 0);
  EXPECT_EQ(db_->catalog().ImportStock(1, {R"({"login":"b"})"}, "tester").error().code,
            ErrorCode::kNotFound);

  ProductQuery query;
  query.category = category;
  auto in_stock = db_->catalog().Find(query);
  ASSERT_TRUE(in_stock.ok());
  ASSERT_EQ(in_stock->total, 1);  // q has no stock: hidden by default
  EXPECT_EQ(in_stock->items[0].id, id);
  query.min_stock = 0;
  EXPECT_EQ(db_->catalog().Find(query)->total, 2);
  query.max_price = Money::FromMicros(500'000);
  EXPECT_EQ(db_->catalog().Find(query)->items.at(0).id, id + 1);
  query.max_price.reset();
  query.page_size = 1;
  query.page = 2;
  auto page2 = db_->catalog().Find(query);
  EXPECT_EQ(page2->total, 2);
  ASSERT_EQ(page2->items.size(), 1u);
  EXPECT_EQ(page2->items[0].id, id + 1);

  auto categories = db_->catalog().Categories();
  ASSERT_TRUE(categories.ok());
  bool seen = false;
  for (const auto& c : *categories) {
    if (c.name != category) continue;
    EXPECT_EQ(c.product_count, 1);
    EXPECT_EQ(c.min_price->micros(), 2'000'000);
    seen = true;
  }
  EXPECT_TRUE(seen);
  EXPECT_EQ(db_->catalog().Get(-5).error().code, ErrorCode::kNotFound);
}

TEST_F(StoresTest, UsageAddsUpAcrossFlushes) {
  auto key = db_->keys().Create("usage-test", false, {}, "tester");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(db_->usage().Get(key->id)->request_count, 0);
  ASSERT_TRUE(db_->usage().Add({{key->id, 3, 1000, 1010, "/api/v1/health"}}).ok());
  ASSERT_TRUE(db_->usage().Add({{key->id, 2, 1005, 1020, "/api/v1/balance"}}).ok());
  auto usage = db_->usage().Get(key->id);
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(usage->request_count, 5);
  EXPECT_EQ(*usage->first_used_at, 1000);
  EXPECT_EQ(*usage->last_used_at, 1020);
  EXPECT_EQ(*usage->last_endpoint, "/api/v1/balance");
}

TEST(DatabaseDownTest, UnreachableDatabaseIsUnavailableNotACrash) {
  Config config;
  config.database.url = "postgresql://nobody@127.0.0.1:1/nothing";
  Database db(config, TestSecretBox());
  auto balance = db.balances().Get(1);
  ASSERT_FALSE(balance.ok());
  EXPECT_EQ(balance.error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(db.healthy());
  EXPECT_EQ(db.Ping().error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace instamarket
