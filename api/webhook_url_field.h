#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/problem.h"

namespace instamarket {

// The body's optional "webhook_url" (POST /orders, POST /balance/topup): nullopt when absent or
// null; a string the webhook SSRF rules accept (webhooks/webhook_target.h), else an entry in
// `errors`.
std::optional<std::string> ReadWebhookUrlField(const nlohmann::json& body,
                                               bool allow_private_addresses,
                                               std::vector<FieldError>& errors);

}  // namespace instamarket
