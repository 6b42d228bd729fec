#include "app/catalog_file.h"

#include <gtest/gtest.h>

namespace instamarket {
namespace {

TEST(CatalogFileTest, ParsesProductsWithExactPrices) {
  auto products = ParseCatalogLines(
      R"({"id": 12345, "sku": "ig-aged-2019", "name": "IG", "category": "instagram", "price_usdt": "1.25", "min_quantity": 10})"
      "\n\n"
      R"({"id": 7, "sku": "gm", "name": "Gmail", "category": "gmail", "price_usdt": 0.18})"
      "\r\n");
  ASSERT_TRUE(products.ok()) << products.error().message;
  ASSERT_EQ(products->size(), 2u);
  EXPECT_EQ((*products)[0].price.micros(), 1'250'000);
  EXPECT_EQ((*products)[0].min_quantity, 10);
  EXPECT_EQ((*products)[1].price.micros(), 180'000);
  EXPECT_EQ((*products)[1].min_quantity, 1);
}

TEST(CatalogFileTest, ErrorsNameTheLine) {
  const std::string ok =
      R"({"id": 1, "sku": "a", "name": "A", "category": "c", "price_usdt": "1"})";
  auto expect_error = [&](const std::string& bad_line, const std::string& fragment) {
    auto result = ParseCatalogLines(ok + "\n" + bad_line + "\n");
    ASSERT_FALSE(result.ok()) << bad_line;
    EXPECT_NE(result.error().message.find("line 2: " + fragment), std::string::npos)
        << result.error().message;
  };
  expect_error(R"({"id": 2, "sku": "b", "name": "B", "category": "c", "price_usdt": "1.0000001"})",
               "price_usdt");
  expect_error(R"({"id": 2, "sku": "b", "name": "B", "category": "c", "price_usdt": 0})",
               "price_usdt");
  expect_error(R"({"id": -2, "sku": "b", "name": "B", "category": "c", "price_usdt": 1})", "id");
  expect_error(R"({"id": 2, "sku": "", "name": "B", "category": "c", "price_usdt": 1})", "sku");
  expect_error(R"({"id": 2, "sku": "b", "name": "B", "category": "c", "price_usdt": 1, "x": 1})",
               "unknown field");
  expect_error(R"({"id": 1, "sku": "b", "name": "B", "category": "c", "price_usdt": 1})",
               "id 1 repeats");
  // price × 10000 must fit in int64: 922337203.685477 is the most a unit may cost.
  expect_error(
      R"({"id": 2, "sku": "b", "name": "B", "category": "c", "price_usdt": "922337203.685478"})",
      "price_usdt: must be at most 922337203.685477");
  EXPECT_TRUE(
      ParseCatalogLines(
          R"({"id": 2, "sku": "b", "name": "B", "category": "c", "price_usdt": "922337203.685477"})")
          .ok());
  expect_error(
      R"({"id": 2, "sku": "b", "name": "B", "category": "c", "price_usdt": 1, "price_usdt": 2})",
      "duplicate key");
  expect_error("not json", "");
  expect_error("[1]", "must be a JSON object");
}

TEST(CatalogFileTest, StockItemsAreCanonical) {
  auto items = ParseStockLines(
      "{\"password\": \"p\", \"login\": \"u\"}\n{\"login\":\"u\",\"password\":\"p\"}\n");
  ASSERT_TRUE(items.ok());
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[0], (*items)[1]);
  EXPECT_FALSE(ParseStockLines("{}\n").ok());
  EXPECT_FALSE(ParseStockLines("\"just a string\"\n").ok());
  EXPECT_FALSE(ParseStockLines("\n\n").ok());
}

}  // namespace
}  // namespace instamarket
