#include "api/webhook_json.h"

namespace instamarket {

void WriteWebhookDeliveryJson(JsonWriter& json, const WebhookDelivery& d) {
  json.BeginObject().Field("id", d.id).Key("order_id");
  if (d.order_id)
    json.Int(*d.order_id);
  else
    json.Null();
  json.Key("topup_id");
  if (d.topup_id)
    json.String(*d.topup_id);
  else
    json.Null();
  json.Field("key_id", d.key_id)
      .Field("url", d.url)
      .Field("event", d.event)
      .Field("status", d.status)
      .Field("attempts", static_cast<std::int64_t>(d.attempts));
  json.Key("last_http_status");
  if (d.last_http_status)
    json.Int(*d.last_http_status);
  else
    json.Null();
  json.Key("last_error");
  if (d.last_error)
    json.String(*d.last_error);
  else
    json.Null();
  json.Field("created_at", d.created_at).EndObject();
}

}  // namespace instamarket
