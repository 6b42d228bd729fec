#pragma once

#include "core/json_writer.h"
#include "ledger/reconciliation_store.h"

namespace instamarket {

// One reconciliation as JSON, the same for `admin reconcile` and GET /api/admin/reconciliation.
// Amounts are strings: exact decimals of the token, which may have more places than micro-USDT
// (BSC's 18); each also as base units (`*_raw`).
void WriteReconciliationJson(JsonWriter& json, const ReconciliationRun& run);

}  // namespace instamarket
