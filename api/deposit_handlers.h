#pragma once

#include "api/handler_context.h"

namespace instamarket {

// POST /api/v1/balance/topup {"amount_usdt", "network"}: a top-up intent with a unique amount.
HttpResponse HandleCreateTopup(const HandlerContext& ctx);
// GET /api/v1/balance/topup/{id}: the caller's intent and, once credited, its deposit.
HttpResponse HandleGetTopup(const HandlerContext& ctx);
// GET /api/admin/deposits?status=unmatched|all&limit=N
HttpResponse HandleAdminListDeposits(const HandlerContext& ctx);
// POST /api/admin/deposits/{id}/assign {"key_id", "reason"}
HttpResponse HandleAdminAssignDeposit(const HandlerContext& ctx);

}  // namespace instamarket
