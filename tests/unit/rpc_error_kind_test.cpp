// JSON-RPC errors in HTTP 200 bodies: providers' real texts, rate limit or range too large.
#include "adapters/rpc_error_kind.h"

#include <gtest/gtest.h>

#include "adapters/http_endpoints.h"
#include "adapters/json_rpc_client.h"

namespace instamarket {
namespace {

struct Case {
  int code;
  const char* message;
  const char* who;
};

// Seen in providers' answers (quoted in public issue threads: Infura via blockscout#7339,
// Alchemy and QuickNode via latticexyz/mud#1522, QuickNode -32007 via wevm/viem#5083, BSC via
// bnb-chain/docs-site#621).
constexpr Case kRateLimits[] = {
    {-32005, "daily request count exceeded, request rate limited", "Infura"},
    {-32005, "project ID request rate exceeded", "Infura"},
    {-32005, "rate limit exceeded", "generic"},
    {429,
     "Your app has exceeded its compute units per second capacity. If you have retries enabled, "
     "you can safely ignore this message. If not, check out "
     "https://docs.alchemy.com/reference/throughput",
     "Alchemy"},
    {429, "Monthly capacity limit exceeded.", "Alchemy"},
    {-32007, "15/second request limit reached - reduce calls per second or upgrade your account",
     "QuickNode"},
    {-32012, "credits limited to 6000/sec", "QuickNode"},
    {-32000, "Too Many Requests", "generic"},
    {0, "Too many requests, reason: call rate limit exhausted, retry in 10m0s", "Ankr"},
    {-32005, "limit exceeded", "BSC public nodes"},
    {-32005, "Request rate limit exceeded, try again in 2 seconds", "generic"},
};

constexpr Case kRangeTooLarge[] = {
    {-32005, "query returned more than 10000 results", "Infura"},
    {-32000, "block range too large", "generic"},
    {-32000, "exceed maximum block range: 5000", "BSC/Ankr"},
    {-32602,
     "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range "
     "and no limit on the response size, or you can request any block range with a cap of 10K "
     "logs in the response.",
     "Alchemy"},
    {-32614, "eth_getLogs is limited to a 10,000 range", "QuickNode"},
    {-32000, "query timeout exceeded", "geth"},
    {-32005, "Limit exceeded: Query requested more than 10.000 blocks", "OpenEthereum"},
    {-32000, "requested too many blocks from 0 to 20000, maximum is set to 2048", "Polygon"},
};

TEST(RpcErrorKindTest, RateLimitsAreNotRangeErrors) {
  for (const auto& c : kRateLimits) {
    EXPECT_NE(ClassifyRpcError(c.code, c.message), RpcErrorKind::kRangeTooLarge)
        << c.who << ": " << c.message;
    EXPECT_FALSE(IsRangeLimitError(c.code, c.message)) << c.who << ": " << c.message;
  }
}

TEST(RpcErrorKindTest, RangeErrorsStillShrinkTheRange) {
  for (const auto& c : kRangeTooLarge) {
    EXPECT_EQ(ClassifyRpcError(c.code, c.message), RpcErrorKind::kRangeTooLarge)
        << c.who << ": " << c.message;
  }
}

TEST(RpcErrorKindTest, ARateLimitFailsOverWithItsWait) {
  // kUnavailable (HttpEndpoints benches the endpoint, the next is asked), never
  // kResourceExhausted (which would shrink the range); the message keeps the wait it names.
  for (const auto& c : kRateLimits) {
    nlohmann::json reply = {
        {"jsonrpc", "2.0"}, {"id", 1}, {"error", {{"code", c.code}, {"message", c.message}}}};
    auto r = RpcResult(reply, /*range_limits=*/true, false);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kUnavailable) << c.who;
  }
  nlohmann::json hinted = {
      {"error", {{"code", -32005}, {"message", "rate limit exceeded, try again in 2 seconds"}}}};
  auto r = RpcResult(hinted, true, false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(SuspensionSeconds(r.error().message), 2);
  EXPECT_EQ(SuspensionSeconds("Too many requests, call rate limit exhausted, retry in 3s"), 3);
}

TEST(RpcErrorKindTest, ARangeErrorIsResourceExhausted) {
  nlohmann::json reply = {
      {"error", {{"code", -32005}, {"message", "query returned more than 10000 results"}}}};
  auto r = RpcResult(reply, true, false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
  // An error code beyond int is read as 0, not undefined.
  nlohmann::json huge = {{"error", {{"code", 1e30}, {"message", "x"}}}};
  EXPECT_EQ(RpcResult(huge, true, false).error().code, ErrorCode::kUnavailable);
}

TEST(RpcErrorKindTest, ANodesErrorTextIsBoundedAndPrintable) {
  // It reaches the logs on every retry: 60 MB of it, or terminal escapes, must not.
  nlohmann::json huge = {{"error", {{"code", 1}, {"message", std::string(1 << 20, 'x')}}}};
  auto r = RpcResult(huge, true, false);
  ASSERT_FALSE(r.ok());
  EXPECT_LT(r.error().message.size(), 400u);
  nlohmann::json escapes = {{"error", {{"code", 1}, {"message", "a\x1b[31mred\nline"}}}};
  auto e = RpcResult(escapes, true, false);
  EXPECT_EQ(e.error().message.find('\x1b'), std::string::npos);
  EXPECT_EQ(e.error().message.find('\n'), std::string::npos);
  // A message that is not text is never printed (a deep value would recurse).
  nlohmann::json nested = {{"error", {{"code", 1}, {"message", {{"a", {1, 2, {3}}}}}}}};
  EXPECT_NE(RpcResult(nested, true, false).error().message.find("(no message)"),
            std::string::npos);
}

TEST(RpcErrorKindTest, RepliesNestedTooDeepAreRefusedUnparsed) {
  EXPECT_TRUE(JsonNestedAtMost(R"({"result":[{"a":[1,2]}]})", 4));
  EXPECT_FALSE(JsonNestedAtMost(R"({"result":[{"a":[1,2]}]})", 3));
  // Brackets inside strings (escaped quotes too) do not count.
  EXPECT_TRUE(JsonNestedAtMost(R"({"m":"[[[[\"[[[[","n":1})", 1));
  std::string deep(100000, '[');
  EXPECT_FALSE(JsonNestedAtMost(deep, 128));
}

}  // namespace
}  // namespace instamarket
