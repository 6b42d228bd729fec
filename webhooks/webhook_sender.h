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
// X-Webhook-Timestamp and X-Webhook-Signature; a delivery without a secret that opens is not
// sent (every webhook is signed). No redirects are followed, no proxy is used, and unless
// `allow_private_addresses`, every address curl is about to connect to must be public
// (IsPublicAddress), judged before its socket is opened: a host name that resolves, or
// rebinds, inward gets no packet, and the error names the refused addresses. A 2xx answer is
// delivered.
AttemptResult SendWebhook(const WebhookDelivery& delivery, const WebhookConfig& config,
                          std::int64_t timestamp);

}  // namespace instamarket
