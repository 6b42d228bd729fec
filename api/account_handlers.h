#pragma once

#include "api/handler_context.h"

namespace instamarket {

// GET /api/v1/balance, on the blocking pool or as one pipelined read.
HttpResponse HandleGetBalance(const HandlerContext& ctx);
extern const PipelinedHandler kGetBalanceRead;
// GET /api/v1/usage: stored counts plus what has not been flushed yet.
HttpResponse HandleGetUsage(const HandlerContext& ctx);

}  // namespace instamarket
