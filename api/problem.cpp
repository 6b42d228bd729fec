#include "api/problem.h"

#include <spdlog/spdlog.h>

#include "core/json_writer.h"

namespace instamarket {
namespace {

struct ProblemKind {
  const char* slug;
  const char* title;
};

ProblemKind KindFor(int status) {
  switch (status) {
    case 400:
      return {"bad-request", "Bad request"};
    case 401:
      return {"unauthorized", "Unauthorized"};
    case 402:
      return {"payment-required", "Payment required"};
    case 403:
      return {"forbidden", "Forbidden"};
    case 404:
      return {"not-found", "Not found"};
    case 405:
      return {"method-not-allowed", "Method not allowed"};
    case 409:
      return {"conflict", "Conflict"};
    case 410:
      return {"gone", "Gone"};
    case 413:
      return {"payload-too-large", "Payload too large"};
    case 422:
      return {"invalid-request", "Invalid request"};
    case 429:
      return {"rate-limited", "Too many requests"};
    case 431:
      return {"headers-too-large", "Request header fields too large"};
    case 501:
      return {"not-implemented", "Not implemented"};
    case 503:
      return {"service-unavailable", "Service unavailable"};
    default:
      return {"internal-error", "Internal error"};
  }
}

}  // namespace

HttpResponse Problem(int status, std::string_view detail, std::string_view extra_members) {
  ProblemKind kind = KindFor(status);
  JsonWriter json;
  json.BeginObject()
      .Field("type", std::string("https://instamarket.pro/problems/") + kind.slug)
      .Field("title", kind.title)
      .Field("status", status)
      .Field("detail", detail);
  std::string body = json.EndObject().Take();
  if (!extra_members.empty()) {
    body.pop_back();
    body += ',';
    body += extra_members;
    body += '}';
  }
  HttpResponse response = JsonResponse(status, std::move(body));
  response.content_type = "application/problem+json";
  return response;
}

HttpResponse ValidationProblem(const std::vector<FieldError>& errors) {
  JsonWriter list;
  list.BeginArray();
  for (const auto& e : errors) {
    list.BeginObject().Field("field", e.field).Field("message", e.message).EndObject();
  }
  list.EndArray();
  std::string detail =
      errors.empty() ? "invalid request" : errors.front().field + ": " + errors.front().message;
  return Problem(422, detail, "\"errors\":" + list.Take());
}

int HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 422;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kAlreadyExists:
      return 409;
    case ErrorCode::kFailedPrecondition:
      return 409;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kResourceExhausted:
      return 429;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

HttpResponse ProblemFor(const Error& error) {
  int status = HttpStatusFor(error.code);
  if (status == 503) {
    // Never echo driver messages to clients: they may name hosts and users.
    HttpResponse response = Problem(503, "the database is unavailable; retry shortly");
    response.AddHeader("Retry-After", "2");
    return response;
  }
  if (status == 500) {
    spdlog::error("internal error: {}", error.message);
    return Problem(500, "internal error; it has been logged");
  }
  return Problem(status, error.message);
}

}  // namespace instamarket
