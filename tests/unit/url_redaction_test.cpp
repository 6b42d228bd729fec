#include "core/url_redaction.h"

#include <gtest/gtest.h>

#include "metrics/metrics.h"

namespace instamarket {
namespace {

TEST(UrlRedactionTest, MaskHidesUserInfoAndKeyLikeParts) {
  EXPECT_EQ(MaskUrl("http://rpcuser:rpcS3cretPass@10.0.0.5:8545/"),
            "http://rpcuser:***@10.0.0.5:8545/");
  // A bare user name is how some providers pass the key.
  EXPECT_EQ(MaskUrl("https://0123456789abcdef@rpc.example/v1"), "https://***@rpc.example/v1");
  EXPECT_EQ(MaskUrl("https://rpc.example/v3/0123456789abcdef0123456789abcdef#x"),
            "https://rpc.example/v3/***#x");
  // An '@' in the path is not user info.
  EXPECT_EQ(MaskUrl("https://rpc.example/a@b"), "https://rpc.example/a@b");
  EXPECT_EQ(MaskUrl("http://127.0.0.1:8545"), "http://127.0.0.1:8545");
}

TEST(UrlRedactionTest, OriginIsSchemeHostAndPortOnly) {
  EXPECT_EQ(UrlOrigin("http://rpcuser:rpcS3cretPass@10.0.0.5:8545/path?apikey=abc"),
            "http://10.0.0.5:8545");
  EXPECT_EQ(UrlOrigin("https://key@rpc.example"), "https://rpc.example");
  EXPECT_EQ(UrlOrigin("https://rpc.example/v3/secret#frag"), "https://rpc.example");
  EXPECT_EQ(UrlOrigin("https://rpc.example?k=v"), "https://rpc.example");
  EXPECT_EQ(UrlOrigin("http://[::1]:8545/x"), "http://[::1]:8545");
}

// /metrics needs no key: an RPC error from an endpoint with credentials in its URL must not put
// them in the scrape.
TEST(UrlRedactionTest, MetricsLabelRpcErrorsByOriginOnly) {
  Metrics::Get().RecordRpcError(
      "redaction_test", "http://rpcuser:rpcS3cretPass@10.0.0.5:8545/v1/0123456789abcdef0123");
  std::string scrape = Metrics::Get().Serialize();
  EXPECT_NE(scrape.find("endpoint=\"http://10.0.0.5:8545\""), std::string::npos) << scrape;
  EXPECT_EQ(scrape.find("rpcS3cretPass"), std::string::npos);
  EXPECT_EQ(scrape.find("rpcuser"), std::string::npos);
  EXPECT_EQ(scrape.find("0123456789abcdef0123"), std::string::npos);
}

TEST(UrlRedactionTest, MasksThePasswordInEveryConnectionStringForm) {
  const char* secret = "s3cr3t-Pa55";
  struct Case {
    std::string conninfo, masked;
  };
  std::vector<Case> cases = {
      {"postgresql://im:s3cr3t-Pa55@db:5432/x", "postgresql://im:***@db:5432/x"},
      {"postgres://im:s3cr3t-Pa55@db/x?sslmode=require", "postgres://im:***@db/x?sslmode=require"},
      {"postgresql://im@db/x?password=s3cr3t-Pa55&sslmode=require",
       "postgresql://im@db/x?password=***&sslmode=require"},
      {"postgresql:///x?host=/run/pg&sslpassword=s3cr3t-Pa55",
       "postgresql:///x?host=/run/pg&sslpassword=***"},
      {"postgresql://im@db/x", "postgresql://im@db/x"},
      {"host=db user=im password=s3cr3t-Pa55 dbname=x", "host=db user=im password=*** dbname=x"},
      {"host=db password = s3cr3t-Pa55", "host=db password = ***"},
      {"host=db password='s3cr3t-Pa55 with space' dbname=x", "host=db password=*** dbname=x"},
      {"password='it\\'s s3cr3t-Pa55' host=db", "password=*** host=db"},
      {"host=db sslpassword=s3cr3t-Pa55", "host=db sslpassword=***"},
      {"postgresql://im@db/x?pass%77ord=s3cr3t-Pa55", "postgresql://im@db/x?pass%77ord=***"},
  };
  for (const auto& c : cases) {
    std::string masked = MaskConnectionString(c.conninfo);
    EXPECT_EQ(masked, c.masked) << c.conninfo;
    EXPECT_EQ(masked.find(secret), std::string::npos) << c.conninfo;
  }
}

}  // namespace
}  // namespace instamarket
