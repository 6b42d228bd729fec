#pragma once

#include "api/handler_context.h"

namespace instamarket {

// GET /api/v1/balance
HttpResponse HandleGetBalance(const HandlerContext& ctx);
// GET /api/v1/usage: stored counts plus what has not been flushed yet.
HttpResponse HandleGetUsage(const HandlerContext& ctx);

}  // namespace instamarket
