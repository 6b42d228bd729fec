#include "api/webhook_url_field.h"

#include <nlohmann/json.hpp>

#include "webhooks/webhook_target.h"

namespace instamarket {

std::optional<std::string> ReadWebhookUrlField(const nlohmann::json& body,
                                               bool allow_private_addresses,
                                               std::vector<FieldError>& errors) {
  const auto url = body.find("webhook_url");
  if (url == body.end() || url->is_null()) return std::nullopt;
  if (!url->is_string()) {
    errors.push_back({"webhook_url", "must be a string"});
    return std::nullopt;
  }
  if (auto ok = CheckWebhookUrl(url->get_ref<const std::string&>(), allow_private_addresses); !ok) {
    errors.push_back({"webhook_url", ok.error().message});
    return std::nullopt;
  }
  return url->get<std::string>();
}

}  // namespace instamarket
