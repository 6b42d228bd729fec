#include <pqxx/pqxx>

#include "pg_test_env.h"

namespace instamarket {
namespace {

class OrdersTest : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    product_id_ = UniqueId();
    auto key = db_->keys().Create("orders-test", false, {}, "test");
    ASSERT_TRUE(key.ok());
    key_id_ = key->id;
    ASSERT_TRUE(db_->balances()
                    .ManualCredit(key_id_, Money::FromMicros(100'000'000), "test",
                                  "orders-test-" + std::to_string(product_id_), "test")
                    .ok());
    pqxx::connection conn(TestDatabaseUrl());
    pqxx::work tx(conn);
    tx.exec_params(
        "INSERT INTO products (id, sku, name, category, price, min_quantity) "
        "VALUES ($1::bigint, 'sku-' || $1::text, 'p', 'orders-test', 2000000, 1)",
        product_id_);
    tx.commit();
  }

  void AddItems(int count) {
    pqxx::connection conn(TestDatabaseUrl());
    pqxx::work tx(conn);
    tx.exec_params(
        "INSERT INTO stock_items (product_id, payload, payload_hash) "
        "SELECT $1::bigint, jsonb_build_object('login', 'u' || g), sha256(($1::text || '-' || "
        "g)::bytea) "
        "FROM generate_series($3::int + 1, $3::int + $2) g",
        product_id_, count, items_added_);
    items_added_ += count;
    tx.exec_params("UPDATE products SET stock = stock + $2 WHERE id = $1", product_id_, count);
    tx.commit();
  }

  Result<PlaceResult> Place(int quantity) {
    NewOrder order;
    order.key_id = key_id_;
    order.product_id = product_id_;
    order.quantity = quantity;
    order.request_hash = "h";
    return db_->orders().Place(order);
  }

  std::int64_t product_id_ = 0;
  std::int64_t key_id_ = 0;
  int items_added_ = 0;
};

// Fewer items than reserved can be taken when another transaction holds some of them (the
// queue uses SKIP LOCKED): the order is partial, what was delivered is kept, the rest of the
// reservation goes back to the product and its price is refunded exactly once.
TEST_F(OrdersTest, PartialDeliveryRefundsTheUndeliveredPartOnce) {
  AddItems(5);
  auto placed = Place(5);
  ASSERT_TRUE(placed.ok()) << placed.error().message;
  ASSERT_EQ(placed->outcome, PlaceOutcome::kCreated);
  pqxx::connection holder(TestDatabaseUrl());
  pqxx::work held(holder);
  held.exec_params(
      "SELECT id FROM stock_items WHERE product_id = $1 ORDER BY id DESC LIMIT 2 "
      "FOR UPDATE",
      product_id_);
  auto fulfilled = db_->orders().Fulfil(1000);
  ASSERT_TRUE(fulfilled.ok()) << fulfilled.error().message;
  held.abort();
  auto order = db_->orders().Get(key_id_, placed->order_id);
  ASSERT_TRUE(order.ok());
  EXPECT_EQ(order->status, "partial");
  EXPECT_EQ(order->delivered, 3);
  EXPECT_EQ(order->items.size(), 3u);
  ASSERT_TRUE(db_->orders().RefundDue(1000).ok());
  ASSERT_TRUE(db_->orders().RefundDue(1000).ok());
  auto balance = db_->balances().Get(key_id_);
  // 100 - 10 + 2 * 2 (two undelivered items)
  EXPECT_EQ(balance->balance.micros(), 94'000'000);
  EXPECT_EQ(balance->total_refunded.micros(), 4'000'000);
  EXPECT_TRUE(db_->orders().Get(key_id_, placed->order_id)->refunded);
  pqxx::connection conn(TestDatabaseUrl());
  pqxx::nontransaction tx(conn);
  // The product's count equals its unsold items again.
  EXPECT_EQ(tx.exec_params1("SELECT stock FROM products WHERE id = $1", product_id_)[0].as<int>(),
            2);
  EXPECT_EQ(
      tx.exec_params1("SELECT count(*) FROM stock_items WHERE product_id = $1 AND order_id IS NULL",
                      product_id_)[0]
          .as<int>(),
      2);
}

TEST_F(OrdersTest, RefusalsChangeNothing) {
  AddItems(2);
  EXPECT_EQ(Place(3)->outcome, PlaceOutcome::kInsufficientStock);
  EXPECT_EQ(Place(3)->stock, 2);
  EXPECT_EQ(Place(51)->outcome,
            PlaceOutcome::kInsufficientBalance);  // the balance is checked first
  auto rich = Place(2);
  ASSERT_EQ(rich->outcome, PlaceOutcome::kCreated);
  EXPECT_EQ(db_->balances().Get(key_id_)->balance.micros(), 96'000'000);
  // 50 items would cost 100 with 96 left: the balance is checked before the stock.
  AddItems(100);
  auto poor = Place(50);
  EXPECT_EQ(poor->outcome, PlaceOutcome::kInsufficientBalance);
  EXPECT_EQ(poor->balance.micros(), 96'000'000);
  EXPECT_EQ(poor->price.micros(), 100'000'000);
  EXPECT_EQ(db_->balances().Get(key_id_)->balance.micros(), 96'000'000);
}

TEST_F(OrdersTest, OneIdempotencyKeyIsOneOrder) {
  AddItems(3);
  NewOrder order;
  order.key_id = key_id_;
  order.product_id = product_id_;
  order.quantity = 1;
  order.idempotency_key = "same";
  order.request_hash = "body-1";
  auto first = db_->orders().Place(order);
  auto again = db_->orders().Place(order);
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(again->outcome, PlaceOutcome::kReplayed);
  EXPECT_EQ(again->order_id, first->order_id);
  order.request_hash = "body-2";
  EXPECT_EQ(db_->orders().Place(order)->outcome, PlaceOutcome::kIdempotencyConflict);
  EXPECT_EQ(db_->balances().Get(key_id_)->balance.micros(), 98'000'000);
}

}  // namespace
}  // namespace instamarket
