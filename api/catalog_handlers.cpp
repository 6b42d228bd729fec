#include "api/catalog_handlers.h"

#include <charconv>

#include "api/problem.h"
#include "api/query_params.h"
#include "core/json_writer.h"

namespace instamarket {
namespace {

constexpr std::int64_t kMaxPageSize = 200;

void WriteProduct(JsonWriter& json, const Product& p) {
  json.BeginObject()
      .Field("id", p.id)
      .Field("sku", p.sku)
      .Field("name", p.name)
      .Field("category", p.category)
      .Field("price_usdt", p.price)
      .Field("min_quantity", p.min_quantity)
      .Field("stock", p.stock)
      .EndObject();
}

}  // namespace

HttpResponse HandleListProducts(const HandlerContext& ctx) {
  auto params = QueryParams::Parse(ctx.request.Query());
  if (!params) return ValidationProblem({{"query", params.error().message}});
  std::vector<FieldError> errors;
  ProductQuery query;
  query.category = params->Text("category", 100, errors);
  query.sku = params->Text("sku", 100, errors);
  query.min_price = params->Amount("min_price", errors);
  query.max_price = params->Amount("max_price", errors);
  query.min_stock = params->Integer("min_qty", 1, 0, 1'000'000'000, errors);
  query.page = params->Integer("page", 1, 1, 1'000'000, errors);
  query.page_size = params->Integer("page_size", 50, 1, kMaxPageSize, errors);
  if (query.min_price && query.max_price && *query.min_price > *query.max_price) {
    errors.push_back({"min_price", "must not be greater than max_price"});
  }
  if (!errors.empty()) return ValidationProblem(errors);

  auto page = ctx.db.catalog().Find(query);
  if (!page) return ProblemFor(page.error());
  JsonWriter json;
  json.BeginObject().Key("items").BeginArray();
  for (const auto& p : page->items) WriteProduct(json, p);
  json.EndArray()
      .Field("page", query.page)
      .Field("page_size", query.page_size)
      .Field("total", page->total)
      .EndObject();
  return JsonResponse(200, json.Take());
}

HttpResponse HandleGetProduct(const HandlerContext& ctx) {
  const std::string& text = ctx.path_params.at(0);
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) {
    return Problem(404, "no product with id \"" + text.substr(0, 40) + "\"");
  }
  auto product = ctx.db.catalog().Get(id);
  if (!product) return ProblemFor(product.error());
  JsonWriter json;
  WriteProduct(json, *product);
  return JsonResponse(200, json.Take());
}

HttpResponse HandleListCategories(const HandlerContext& ctx) {
  auto categories = ctx.db.catalog().Categories();
  if (!categories) return ProblemFor(categories.error());
  JsonWriter json;
  json.BeginObject().Key("items").BeginArray();
  for (const auto& c : *categories) {
    json.BeginObject().Field("name", c.name).Field("product_count", c.product_count);
    json.Key("min_price_usdt");
    if (c.min_price)
      json.Amount(*c.min_price);
    else
      json.Null();
    json.EndObject();
  }
  json.EndArray().EndObject();
  return JsonResponse(200, json.Take());
}

}  // namespace instamarket
