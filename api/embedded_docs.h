#pragma once

#include <string_view>

namespace instamarket {

// Files of docs/ built into the binary (api/embed_text.cmake) and served without a key:
// docs/openapi.json (OpenAPI 3.1 of the whole API, webhooks included) at
// GET /api/v1/openapi.json; docs/api-docs.html (the docs page with the playground) at
// GET /api/docs; docs/postman_collection.json at GET /api/docs/postman.json.
std::string_view OpenApiDocument();
std::string_view DocsPage();
std::string_view PostmanCollection();

}  // namespace instamarket
