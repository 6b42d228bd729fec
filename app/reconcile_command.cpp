#include "app/reconcile_command.h"

#include "api/reconciliation_json.h"
#include "app/cli_output.h"
#include "app/command_line.h"
#include "core/chain_amount.h"
#include "core/json_writer.h"
#include "watcher/reconciliation.h"

namespace instamarket {
namespace {

constexpr char kUsage[] = "usage: admin reconcile [--network ID] [--format json|csv]";

struct Outcome {
  const NetworkConfig* network = nullptr;
  Result<ReconciliationRun> run = MakeError(ErrorCode::kInternal, "not run");
};

// "unsupported" (the chain kind cannot be reconciled yet), "not_scanned" or "failed".
const char* FailureStatus(const Error& error) {
  if (error.code != ErrorCode::kFailedPrecondition) return "failed";
  if (error.message.find("not supported") != std::string::npos) return "unsupported";
  if (error.message.find("not been scanned") != std::string::npos) return "not_scanned";
  return "failed";  // a node of another chain, a wrong decimals(): someone must look
}

// Columns 5 (tx_id, or an error) and 7 (counterparty) hold text from a chain node; the
// amounts may start with '-' and stay numbers.
std::string CsvRow(const std::vector<std::string>& fields) {
  std::string row;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    row += (i ? "," : "") + (i == 5 || i == 7 ? CsvText(fields[i]) : CsvField(fields[i]));
  }
  return row + "\n";
}

std::string Csv(const std::vector<Outcome>& outcomes) {
  std::string csv = CsvRow({"network", "run_id", "status", "position", "kind", "tx_id", "index",
                            "counterparty", "block", "amount_usdt", "effect_usdt"});
  for (const auto& o : outcomes) {
    if (!o.run) {
      csv += CsvRow({o.network->id, "", FailureStatus(o.run.error()), "", "error",
                     o.run.error().message, "", "", "", "", ""});
      continue;
    }
    const ReconciliationRun& r = *o.run;
    const std::string id = std::to_string(r.id);
    const std::string status = r.drift_raw == "0" ? "clean" : "drift";
    const std::string position = std::to_string(r.position);
    auto usdt = [&](const std::string& raw) { return RawToDecimalText(raw, r.decimals); };
    auto summary = [&](const char* kind, const std::string& raw) {
      csv += CsvRow({r.network, id, status, position, kind, "", "", "", "", usdt(raw), ""});
    };
    summary("chain_balance", r.chain_raw);
    summary("baseline", r.baseline.raw_balance);
    summary("incoming", r.incoming_raw);
    summary("outgoing", r.outgoing_raw);
    summary("drift", r.drift_raw);
    summary("unexplained", r.unexplained_raw);
    for (const auto& line : r.lines) {
      csv += CsvRow({r.network, id, status, position, line.kind, line.transfer.tx_id,
                     std::to_string(line.transfer.event_index), line.transfer.counterparty,
                     std::to_string(line.transfer.block_number),
                     usdt(line.transfer.raw_amount), usdt(line.effect_raw)});
    }
  }
  return csv;
}

}  // namespace

int RunReconcileCommand(Database& db, const Config& config, const std::vector<std::string>& words,
                        const std::string& actor) {
  auto args = ParseCommandArgs(words, {"network", "format"}, {});
  if (!args || !args->positional.empty()) return PrintUsageError(kUsage);
  std::string format = args->One("format").value_or("json");
  if (format != "json" && format != "csv") return PrintUsageError(kUsage);
  auto only = args->One("network");
  if (only && !config.FindNetwork(*only)) {
    return PrintUsageError("--network: \"" + *only + "\" is not a configured network");
  }

  AdapterRegistry adapters;
  RegisterBuiltinAdapters(adapters);
  Reconciler reconciler(db.deposits(), db.reconciliation());
  std::vector<Outcome> outcomes;
  for (const auto& network : config.networks) {
    if (only ? network.id != *only : !network.enabled) continue;
    Outcome o;
    o.network = &network;
    auto adapter = adapters.Create(network);
    o.run = adapter ? reconciler.Run(network, **adapter, actor)
                    : Result<ReconciliationRun>(adapter.error());
    outcomes.push_back(std::move(o));
  }

  bool failed = false;
  for (const auto& o : outcomes) {
    failed = failed || (!o.run && FailureStatus(o.run.error()) == std::string("failed"));
  }
  int printed = kExitOk;
  if (format == "csv") {
    printed = PrintText(Csv(outcomes));
  } else {
    JsonWriter json;
    json.BeginArray();
    for (const auto& o : outcomes) {
      if (o.run) {
        WriteReconciliationJson(json, *o.run);
      } else {
        json.BeginObject()
            .Field("network", o.network->id)
            .Field("status", FailureStatus(o.run.error()))
            .Field("error", o.run.error().message)
            .EndObject();
      }
    }
    printed = PrintJson(json.EndArray().Take());
  }
  return failed ? kExitFailed : printed;
}

}  // namespace instamarket
