#pragma once

#include "core/json_writer.h"
#include "ledger/deposit_store.h"

namespace instamarket {

// One deposit as JSON, the same for `admin deposits list` and GET /api/admin/deposits.
void WriteDepositJson(JsonWriter& json, const DepositRow& d);

}  // namespace instamarket
