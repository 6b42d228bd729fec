#pragma once

#include "api/handler_context.h"

namespace instamarket {

// GET /api/admin/reconciliation[?network=ID&limit=N]: the latest reconciliation of each
// network, or with `network` that network's runs, newest first (limit 1..100, default 20: a
// run carries up to 1,000 lines).
// Reads the ledger only: a request never makes the daemon call a chain node.
HttpResponse HandleAdminReconciliation(const HandlerContext& ctx);

}  // namespace instamarket
