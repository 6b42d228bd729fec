#include "api/reconciliation_handlers.h"

#include "api/problem.h"
#include "api/query_params.h"
#include "api/reconciliation_json.h"
#include "core/json_writer.h"

namespace instamarket {

HttpResponse HandleAdminReconciliation(const HandlerContext& ctx) {
  auto params = QueryParams::Parse(ctx.request.Query());
  if (!params) return ValidationProblem({{"query", params.error().message}});
  std::vector<FieldError> errors;
  auto network = params->Text("network", 64, errors);
  auto limit = params->Integer("limit", 20, 1, 100, errors);
  if (network && !ctx.config.FindNetwork(*network)) {
    errors.push_back({"network", "is not a configured network"});
  }
  if (!errors.empty()) return ValidationProblem(errors);
  auto runs = ctx.db.reconciliation().List(network, static_cast<int>(limit));
  if (!runs) return ProblemFor(runs.error());
  JsonWriter json;
  json.BeginObject().Key("items").BeginArray();
  for (const auto& run : *runs) WriteReconciliationJson(json, run);
  json.EndArray().EndObject();
  return JsonResponse(200, json.Take());
}

}  // namespace instamarket
