#pragma once

#include "core/json_writer.h"
#include "ledger/webhook_store.h"

namespace instamarket {

// A webhook delivery as the admin CLI and the admin HTTP API show it (never its body or the
// key's secret).
void WriteWebhookDeliveryJson(JsonWriter& json, const WebhookDelivery& d);

}  // namespace instamarket
