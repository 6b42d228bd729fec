// The OpenAPI document the daemon serves describes exactly the endpoints it has.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "api/api_service.h"
#include "api/embedded_docs.h"

namespace instamarket {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

TEST(OpenApiTest, TheServedDocumentIsDocsOpenapiJson) {
  std::ifstream in(INSTAMARKET_SOURCE_DIR "/docs/openapi.json");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(OpenApiDocument(), text.str());
  auto doc = nlohmann::json::parse(OpenApiDocument());
  EXPECT_EQ(doc["openapi"], "3.1.0");
  EXPECT_TRUE(doc["webhooks"].is_object() && !doc["webhooks"].empty());
}

TEST(OpenApiTest, EveryEndpointIsDocumentedAndNothingElse) {
  auto doc = nlohmann::json::parse(OpenApiDocument());
  std::set<std::pair<std::string, std::string>> served;
  for (const auto& [method, pattern] : ApiService::Endpoints()) {
    served.emplace(Lower(method), pattern);
    ASSERT_TRUE(doc["paths"].contains(pattern)) << pattern << " is not in docs/openapi.json";
    EXPECT_TRUE(doc["paths"][pattern].contains(Lower(method)))
        << method << " " << pattern << " is not in docs/openapi.json";
  }
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, operation] : item.items()) {
      if (method == "parameters" || method == "summary" || method == "description") continue;
      EXPECT_TRUE(served.count({method, path}))
          << method << " " << path << " is documented but not served";
      EXPECT_TRUE(operation.contains("operationId")) << method << " " << path;
      EXPECT_TRUE(operation.contains("responses")) << method << " " << path;
    }
  }
}

}  // namespace
}  // namespace instamarket
