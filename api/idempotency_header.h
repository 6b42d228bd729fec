#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/problem.h"

namespace instamarket {

struct HttpRequest;

// The request's Idempotency-Key header (POST /orders, POST /balance/topup): nullopt when
// absent; 1 to 255 printable ASCII characters, else an entry in `errors`.
std::optional<std::string> ReadIdempotencyKey(const HttpRequest& request,
                                              std::vector<FieldError>& errors);

}  // namespace instamarket
