#include "api/idempotency_header.h"

#include "api/http_message.h"

namespace instamarket {
namespace {

constexpr std::size_t kMaxIdempotencyKey = 255;

bool PrintableAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> ReadIdempotencyKey(const HttpRequest& request,
                                              std::vector<FieldError>& errors) {
  if (!request.HasHeader("Idempotency-Key")) return std::nullopt;
  std::string_view key = request.Header("Idempotency-Key");
  if (key.empty() || key.size() > kMaxIdempotencyKey || !PrintableAscii(key)) {
    errors.push_back({"Idempotency-Key", "must be 1 to 255 printable ASCII characters"});
    return std::nullopt;
  }
  return std::string(key);
}

}  // namespace instamarket
