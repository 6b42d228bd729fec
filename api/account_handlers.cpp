#include "api/account_handlers.h"

#include <algorithm>

#include "api/problem.h"
#include "api/usage_recorder.h"
#include "core/json_writer.h"

namespace instamarket {

namespace {

HttpResponse RenderBalance(const Result<BalanceView>& balance) {
  if (!balance) return ProblemFor(balance.error());
  JsonWriter json;
  json.BeginObject()
      .Field("balance_usdt", balance->balance)
      .Field("total_spent_usdt", balance->total_spent)
      .Field("total_topup_usdt", balance->total_topup)
      .Field("total_refunded_usdt", balance->total_refunded)
      .Field("currency", "USDT")
      .EndObject();
  return JsonResponse(200, json.Take());
}

PipelinedRead PlanGetBalance(const HandlerContext& ctx) {
  return BalanceStore::GetRead(ctx.key->id);
}

HttpResponse FinishGetBalance(const HandlerContext& ctx, Result<std::vector<TextRow>> rows) {
  if (!rows) return ProblemFor(rows.error());
  return RenderBalance(BalanceStore::FromRows(ctx.key->id, *rows));
}

}  // namespace

const PipelinedHandler kGetBalanceRead{&PlanGetBalance, &FinishGetBalance};

HttpResponse HandleGetBalance(const HandlerContext& ctx) {
  return RenderBalance(ctx.db.balances().Get(ctx.key->id));
}

HttpResponse HandleGetUsage(const HandlerContext& ctx) {
  auto stored = ctx.db.usage().Get(ctx.key->id);
  if (!stored) return ProblemFor(stored.error());
  UsageView view = *stored;
  if (auto pending = ctx.usage.Pending(ctx.key->id)) {
    view.request_count += pending->request_count;
    view.first_used_at = view.first_used_at ? std::min(*view.first_used_at, pending->first_used_at)
                                            : pending->first_used_at;
    if (!view.last_used_at || pending->last_used_at >= *view.last_used_at) {
      view.last_used_at = pending->last_used_at;
      view.last_endpoint = pending->last_endpoint;
    }
  }
  JsonWriter json;
  json.BeginObject().Field("request_count", view.request_count);
  json.Key("last_used_at");
  if (view.last_used_at)
    json.Int(*view.last_used_at);
  else
    json.Null();
  json.Key("first_used_at");
  if (view.first_used_at)
    json.Int(*view.first_used_at);
  else
    json.Null();
  json.Key("last_endpoint");
  if (view.last_endpoint)
    json.String(*view.last_endpoint);
  else
    json.Null();
  json.Field("total_spent_usdt", view.total_spent).EndObject();
  return JsonResponse(200, json.Take());
}

}  // namespace instamarket
