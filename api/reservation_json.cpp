#include "api/reservation_json.h"

namespace instamarket {

void WriteReservationJson(JsonWriter& json, const Reservation& r) {
  json.BeginObject()
      .Field("reservation_id", r.id)
      .Field("network", r.network)
      .Field("amount_usdt", r.amount)
      .Field("label", r.label)
      .Field("status", r.status)
      .Field("actor", r.actor)
      .Field("created_at", r.created_at)
      .Field("expires_at", r.expires_at);
  json.Key("deposit");
  if (r.deposit_id) {
    json.BeginObject()
        .Field("deposit_id", *r.deposit_id)
        .Field("tx_id", r.deposit_tx_id.value_or(""))
        .EndObject();
  } else {
    json.Null();
  }
  json.EndObject();
}

}  // namespace instamarket
