#include "api/service_handlers.h"

#include "api/problem.h"
#include "core/json_writer.h"

namespace instamarket {

HttpResponse HandleHealth(const HandlerContext& ctx) {
  if (!ctx.db.healthy()) return ProblemFor(MakeError(ErrorCode::kUnavailable, "database down"));
  JsonWriter json;
  json.BeginObject().Field("status", "ok").Field("timestamp", ctx.now_seconds).EndObject();
  return JsonResponse(200, json.Take());
}

HttpResponse HandleAdminAudit(const HandlerContext& ctx) {
  auto entries = ctx.db.audit().Recent(50);
  if (!entries) return ProblemFor(entries.error());
  JsonWriter json;
  json.BeginObject().Key("items").BeginArray();
  for (const auto& e : *entries) {
    json.BeginObject()
        .Field("id", e.id)
        .Field("actor", e.actor)
        .Field("action", e.action)
        .Field("target", e.target)
        .Key("details")
        .Raw(e.details)
        .Field("created_at", e.created_at)
        .EndObject();
  }
  json.EndArray().EndObject();
  return JsonResponse(200, json.Take());
}

}  // namespace instamarket
