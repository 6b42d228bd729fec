#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/http_message.h"
#include "core/result.h"

namespace instamarket {

struct FieldError {
  std::string field;
  std::string message;
};

// An RFC 9457 problem+json body: type, title, status, detail, and any extra fields given as
// already-serialized JSON members (e.g. "\"retry_after\":30").
HttpResponse Problem(int status, std::string_view detail, std::string_view extra_members = {});

// 422 with an `errors` list naming each bad field.
HttpResponse ValidationProblem(const std::vector<FieldError>& errors);

// The one mapping from the error vocabulary to HTTP statuses.
int HttpStatusFor(ErrorCode code);
HttpResponse ProblemFor(const Error& error);

}  // namespace instamarket
