#pragma once

#include "core/json_writer.h"
#include "ledger/topup_store.h"

namespace instamarket {

// A reservation of the website's checkout as the admin API and the CLI show it.
void WriteReservationJson(JsonWriter& json, const Reservation& r);

}  // namespace instamarket
