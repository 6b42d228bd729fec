#pragma once

#include <string_view>

namespace instamarket {

// docs/openapi.json (OpenAPI 3.1 of the whole API, webhooks included), built into the binary and
// served at GET /api/v1/openapi.json without a key.
std::string_view OpenApiDocument();

}  // namespace instamarket
