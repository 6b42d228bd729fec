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
  auto doc =
      JsonDocument::Parse(R"({"a": 1.0000001, "b": true, "c": "x", "big": 18446744073709551615})");
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

TEST(JsonDocumentTest, LimitsNestingDepth) {
  auto nested = [](std::size_t depth) {
    return std::string(depth, '[') + "1.5" + std::string(depth, ']');
  };
  EXPECT_TRUE(JsonDocument::Parse(nested(kMaxJsonDepth)).ok());
  auto deep = JsonDocument::Parse(nested(kMaxJsonDepth + 1));
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.error().message.find("nesting deeper than"), std::string::npos);
  // A whole 64 KiB body of '[' (once about 1 GiB held) stops at the limit.
  EXPECT_FALSE(JsonDocument::Parse(std::string(64 * 1024, '[')).ok());
  std::string objects;
  for (std::size_t i = 0; i <= kMaxJsonDepth; ++i) objects += "{\"a\":";
  EXPECT_FALSE(JsonDocument::Parse(objects + "1" + std::string(kMaxJsonDepth + 1, '}')).ok());
}

// Two readers of one body (a proxy, a WAF, the client's own signing code) must not see two values.
TEST(JsonDocumentTest, RefusesDuplicateKeys) {
  auto dup = JsonDocument::Parse(R"({"quantity": 1, "quantity": 1000})");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message.find("duplicate key"), std::string::npos);
  EXPECT_FALSE(JsonDocument::Parse(R"({"a": {"b": 1, "b": 2}})").ok());
  // The same key in sibling objects is fine.
  EXPECT_TRUE(JsonDocument::Parse(R"([{"a": 1}, {"a": 2}, {"b": {"a": 3}}])").ok());
}

TEST(JsonDocumentTest, RefusesInvalidUtf8) {
  for (const char* bad : {"{\"a\": \"\xff\"}", "{\"a\": \"\xc3\"}", "{\"\xed\xa0\x80\": 1}",
                          R"({"a": "\ud800"})", "{\"a\": \"\xf4\x90\x80\x80\"}"}) {
    EXPECT_FALSE(JsonDocument::Parse(bad).ok()) << bad;
  }
  EXPECT_TRUE(JsonDocument::Parse("{\"a\": \"\xc3\xa9 \\u00e9 \\ud83d\\ude00\"}").ok());
}

// The pointer of a float deep inside long keys is not kept for each float (memory would grow
// with floats times pointer length); money at the usual short pointers still reads exactly.
TEST(JsonDocumentTest, MoneyStillExactNextToDeepLongKeys) {
  std::string key(4000, 'k');
  std::string body = "{\"price_usdt\": 12.34, \"" + key + "\": [";
  for (int i = 0; i < 1000; ++i) body += (i ? ",0.5" : "0.5");
  body += "]}";
  auto doc = JsonDocument::Parse(body);
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(doc->MoneyAt("/price_usdt")->micros(), 12'340'000);
  EXPECT_EQ(JsonDocument::Parse("7.25")->MoneyAt("")->micros(), 7'250'000);
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
  EXPECT_EQ(
      json.str(),
      R"({"s":"quote\" slash\\ nl\n ctl\u0001","n":-5,"b":true,"m":50.0,"list":[1,null,{}]})");
  EXPECT_TRUE(nlohmann::json::accept(json.str()));
}

}  // namespace
}  // namespace instamarket
