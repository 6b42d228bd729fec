#pragma once

#include "api/handler_context.h"

namespace instamarket {

// GET /api/v1/products: filters, paging, sold-out products hidden unless min_qty=0.
HttpResponse HandleListProducts(const HandlerContext& ctx);
// GET /api/v1/products/{id}
HttpResponse HandleGetProduct(const HandlerContext& ctx);
// GET /api/v1/categories
HttpResponse HandleListCategories(const HandlerContext& ctx);

}  // namespace instamarket
