#pragma once

#include "api/handler_context.h"

namespace instamarket {

// POST /api/v1/orders: validation, then one place_order() call; 201 with the order (200 when an
// Idempotency-Key replays an earlier order).
HttpResponse HandleCreateOrder(const HandlerContext& ctx);
// GET /api/v1/orders/{id}: key-scoped; items only when completed or partial.
HttpResponse HandleGetOrder(const HandlerContext& ctx);
// GET /api/v1/orders?status=&page=&page_size=: newest first, without items.
HttpResponse HandleListOrders(const HandlerContext& ctx);
// POST /api/admin/orders/{id}/cancel
HttpResponse HandleAdminCancelOrder(const HandlerContext& ctx);
// GET /api/admin/webhooks?status=failed|pending|delivered&limit=N
HttpResponse HandleAdminListWebhooks(const HandlerContext& ctx);
// POST /api/admin/webhooks/{id}/redeliver
HttpResponse HandleAdminRedeliverWebhook(const HandlerContext& ctx);

}  // namespace instamarket
