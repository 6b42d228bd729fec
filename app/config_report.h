#pragma once

#include <string>

#include "config/config.h"
#include "core/secret_box.h"
#include "core/url_redaction.h"  // MaskUrl

namespace instamarket {

// `instamarketd --config FILE config check`: what the daemon would run with this config, as one
// JSON object (listen address, database, API limits, each network with its endpoints and
// finality rule, order and webhook settings), without connecting to anything. Secrets are
// masked: the database password, the admin token, and path segments of RPC URLs that look
// like API keys. The master keys are named by their ids only.
std::string ConfigReport(const Config& config, const SecretBox& box);

}  // namespace instamarket
