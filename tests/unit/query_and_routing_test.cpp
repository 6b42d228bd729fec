#include <gtest/gtest.h>

#include "api/query_params.h"
#include "api/router.h"

namespace instamarket {
namespace {

TEST(QueryParamsTest, DecodesAndReadsTypedValues) {
  auto params = QueryParams::Parse("category=insta%20gram&min_price=1.5&page=2&sku=a+b");
  ASSERT_TRUE(params.ok());
  std::vector<FieldError> errors;
  EXPECT_EQ(params->Text("category", 100, errors), "insta gram");
  EXPECT_EQ(params->Text("sku", 100, errors), "a b");
  EXPECT_EQ(params->Amount("min_price", errors)->micros(), 1'500'000);
  EXPECT_EQ(params->Integer("page", 1, 1, 100, errors), 2);
  EXPECT_EQ(params->Integer("page_size", 50, 1, 200, errors), 50);
  EXPECT_FALSE(params->Amount("max_price", errors).has_value());
  EXPECT_TRUE(errors.empty());
}

TEST(QueryParamsTest, CollectsEveryError) {
  auto params = QueryParams::Parse("page=abc&page_size=201&min_price=-1&max_price=1e999&sku=");
  ASSERT_TRUE(params.ok());
  std::vector<FieldError> errors;
  params->Integer("page", 1, 1, 100, errors);
  params->Integer("page_size", 50, 1, 200, errors);
  params->Amount("min_price", errors);
  params->Amount("max_price", errors);
  params->Text("sku", 100, errors);
  ASSERT_EQ(errors.size(), 5u);
  EXPECT_EQ(errors[0].field, "page");
  EXPECT_EQ(errors[4].field, "sku");
}

TEST(QueryParamsTest, RejectsBadEncodingAndRepeats) {
  EXPECT_FALSE(QueryParams::Parse("a=%zz").ok());
  EXPECT_FALSE(QueryParams::Parse("a=%4").ok());
  EXPECT_FALSE(QueryParams::Parse("a=1&a=2").ok());
  EXPECT_TRUE(QueryParams::Parse("").ok());
  EXPECT_TRUE(QueryParams::Parse("&&a=1&").ok());
}

TEST(RouterTest, MatchesPatternsAndReportsAllowedMethods) {
  std::vector<std::pair<std::string, std::string>> routes = {{"GET", "/api/v1/products"},
                                                             {"GET", "/api/v1/products/{id}"},
                                                             {"POST", "/api/v1/orders"},
                                                             {"GET", "/api/v1/orders/{id}"}};
  auto m = MatchRoute(routes, "GET", "/api/v1/products/42");
  EXPECT_EQ(m.index, 1);
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0], "42");

  auto wrong_method = MatchRoute(routes, "DELETE", "/api/v1/products");
  EXPECT_EQ(wrong_method.index, -1);
  EXPECT_EQ(wrong_method.allowed_methods, "GET");
  EXPECT_TRUE(wrong_method.path_exists());

  for (const char* path : {"/api/v1/products/", "/api/v1/products/42/x", "/api/v1", "",
                           "/api/v1/products//", "api/v1/products"}) {
    auto none = MatchRoute(routes, "GET", path);
    EXPECT_FALSE(none.path_exists()) << path;
  }
}

}  // namespace
}  // namespace instamarket

namespace instamarket {
namespace {

TEST(QueryParamsTest, TextMustBeValidUtf8) {
  std::vector<FieldError> errors;
  auto params = QueryParams::Parse("a=%ff%fe&b=%c3&c=%e2%82&d=caf%C3%A9&e=%00&f=%ed%a0%80");
  ASSERT_TRUE(params.ok());
  EXPECT_FALSE(params->Text("a", 100, errors).has_value());
  EXPECT_FALSE(params->Text("b", 100, errors).has_value());
  EXPECT_FALSE(params->Text("c", 100, errors).has_value());
  EXPECT_EQ(params->Text("d", 100, errors), "caf\xc3\xa9");
  EXPECT_FALSE(params->Text("e", 100, errors).has_value());
  EXPECT_FALSE(params->Text("f", 100, errors).has_value());  // a UTF-16 surrogate
  EXPECT_EQ(errors.size(), 5u);
}

}  // namespace
}  // namespace instamarket
