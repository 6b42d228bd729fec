#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"
#include "ledger/webhook_store.h"

namespace instamarket {

// The signature of a webhook, as the receiver recomputes it:
//   hex(HMAC-SHA256(secret, "{X-Webhook-Id}.{X-Webhook-Timestamp}.{body}"))
std::string WebhookSignature(std::string_view secret, std::int64_t delivery_id,
                             std::int64_t timestamp, std::string_view body);

// POSTs one delivery (libcurl, blocking): the body as stored, with X-Webhook-Id,
// X-Webhook-Timestamp and, when the key has a secret, X-Webhook-Signature. No redirects are
// followed, no proxy is used, and unless `allow_private_addresses`, every address curl is about
// to connect to must be public (IsPublicAddress), judged before its socket is opened: a host
// name that resolves, or rebinds, inward gets no packet, and the error names the refused
// addresses. A 2xx answer is delivered.
AttemptResult SendWebhook(const WebhookDelivery& delivery, const WebhookConfig& config,
                          std::int64_t timestamp);

}  // namespace instamarket
