#include "api/reconciliation_json.h"

#include "core/chain_amount.h"

namespace instamarket {
namespace {

void Amount(JsonWriter& json, const char* name, const std::string& raw, int decimals) {
  json.Field(std::string(name) + "_usdt", RawToDecimalText(raw, decimals))
      .Field(std::string(name) + "_raw", raw);
}

}  // namespace

void WriteReconciliationJson(JsonWriter& json, const ReconciliationRun& run) {
  const int d = run.decimals;
  json.BeginObject()
      .Field("id", run.id)
      .Field("network", run.network)
      .Field("status", run.drift_raw == "0" ? "clean" : "drift")
      .Field("position", run.position)
      .Field("decimals", static_cast<std::int64_t>(d));
  Amount(json, "chain_balance", run.chain_raw, d);
  json.Key("baseline").BeginObject().Field("position", run.baseline.position);
  Amount(json, "balance", run.baseline.raw_balance, d);
  json.EndObject();
  Amount(json, "incoming", run.incoming_raw, d);
  Amount(json, "outgoing", run.outgoing_raw, d);
  Amount(json, "drift", run.drift_raw, d);
  Amount(json, "unexplained", run.unexplained_raw, d);
  json.Key("lines").BeginArray();
  for (const auto& line : run.lines) {
    json.BeginObject()
        .Field("kind", line.kind)
        .Field("tx_id", line.transfer.tx_id)
        .Field("index", line.transfer.event_index)
        .Field("counterparty", line.transfer.counterparty)
        .Field("block", line.transfer.block_number);
    Amount(json, "amount", line.transfer.raw_amount, d);
    Amount(json, "effect", line.effect_raw, d);
    json.EndObject();
  }
  json.EndArray().Field("actor", run.actor).Field("run_at", run.run_at).EndObject();
}

}  // namespace instamarket
