#include <gtest/gtest.h>

#include "core/json_reader.h"
#include "core/json_writer.h"

namespace instamarket {
namespace {

TEST(JsonDocumentTest, ReadsMoneyFromTheNumberAsWritten) {
  // 0.1 + 0.2 style traps: the double of 12.34 is 12.339999..., the text is exact.
  auto doc = JsonDocument::Parse(R"({"a": 12.34, "b": "1.25", "c": 100, "d": 0.000001,
                                     "nested": {"list": [1, 2.5, {"x": 99999.999999}]}})");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->MoneyAt("/a")->micros(), 12'340'000);
  EXPECT_EQ(doc->MoneyAt("/b")->micros(), 1'250'000);
  EXPECT_EQ(doc->MoneyAt("/c")->micros(), 100'000'000);
  EXPECT_EQ(doc->MoneyAt("/d")->micros(), 1);
  EXPECT_EQ(doc->MoneyAt("/nested/list/1")->micros(), 2'500'000);
  EXPECT_EQ(doc->MoneyAt("/nested/list/2/x")->micros(), 99'999'999'999);
}

TEST(JsonDocumentTest, ExplainsBadMoney) {
  auto doc = JsonDocument::Parse(R"({"a": 1.0000001, "b": true, "c": "x", "big": 18446744073709551615})");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->MoneyAt("/a").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(doc->MoneyAt("/b").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(doc->MoneyAt("/c").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(doc->MoneyAt("/big").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(doc->MoneyAt("/missing").error().code, ErrorCode::kNotFound);
}

TEST(JsonDocumentTest, RejectsInvalidJson) {
  for (const char* bad : {"", "{", "{\"a\":}", "[1,]", "nul", "{\"a\":1} x"}) {
    EXPECT_FALSE(JsonDocument::Parse(bad).ok()) << bad;
  }
}

TEST(JsonWriterTest, WritesCompactJsonWithExactAmounts) {
  JsonWriter json;
  json.BeginObject()
      .Field("s", "quote\" slash\\ nl\n ctl\x01")
      .Field("n", std::int64_t{-5})
      .Field("b", true)
      .Field("m", Money::FromMicros(50'000'000))
      .Key("list")
      .BeginArray()
      .Int(1)
      .Null()
      .BeginObject()
      .EndObject()
      .EndArray()
      .EndObject();
  EXPECT_EQ(json.str(),
            R"({"s":"quote\" slash\\ nl\n ctl\u0001","n":-5,"b":true,"m":50.0,"list":[1,null,{}]})");
  EXPECT_TRUE(nlohmann::json::accept(json.str()));
}

}  // namespace
}  // namespace instamarket
