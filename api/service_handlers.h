#pragma once

#include "api/handler_context.h"

namespace instamarket {

// GET /api/v1/health: the key was valid (checked before); 503 while the database is down.
HttpResponse HandleHealth(const HandlerContext& ctx);
// GET /api/admin/api-audit: the last 50 audit rows, newest first.
HttpResponse HandleAdminAudit(const HandlerContext& ctx);

}  // namespace instamarket
