#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "ledger/webhook_store.h"

namespace instamarket {

// The signature of a webhook, as the receiver recomputes it:
//   hex(HMAC-SHA256(secret, "{X-Webhook-Id}.{X-Webhook-Timestamp}.{body}"))
std::string WebhookSignature(std::string_view secret, std::int64_t delivery_id,
                             std::int64_t timestamp, std::string_view body);

// The X-Webhook-Signature value: "v1=" and the signature, for each secret (the current one,
// then the previous one during a rotation's grace period), comma-separated. The version
// prefix lets the scheme change later without breaking receivers that check for theirs.
std::string WebhookSignatureHeader(const std::vector<std::string>& secrets,
                                   std::int64_t delivery_id, std::int64_t timestamp,
                                   std::string_view body);

// POSTs one delivery (libcurl, blocking): the body as stored, with X-Webhook-Id,
// X-Webhook-Timestamp and X-Webhook-Signature. A delivery without a secret that opens is not
// sent (every webhook is signed). No redirects are
// followed, no proxy is used, and unless `allow_private_addresses`, the address actually
// connected to must be public (the URL was checked at order time; this catches host names
// that resolve inward). A 2xx answer is delivered.
AttemptResult SendWebhook(const WebhookDelivery& delivery, const WebhookConfig& config,
                          std::int64_t timestamp);

}  // namespace instamarket
