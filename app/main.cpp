// instamarketd: the marketplace API daemon and its operator commands.
//
//   instamarketd --config FILE migrate
//   instamarketd --config FILE serve
//   instamarketd --config FILE admin ...
//
// See docs/operations.md for the whole command-line contract.

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>
#include <vector>

#include "adapters/chain_adapter.h"
#include "adapters/wallet_key_directory.h"
#include "api/api_service.h"
#include "api/http_server.h"
#include "app/admin_commands.h"
#include "app/cli_output.h"
#include "app/config_report.h"
#include "app/logging.h"
#include "app/systemd_notify.h"
#include "config/config.h"
#include "config/master_keys.h"
#include "core/json_writer.h"
#include "ledger/database.h"
#include "ledger/migrator.h"
#include "net/runtime.h"
#include "orders/order_jobs.h"
#include "watcher/deposit_watcher.h"
#include "watcher/reconciliation_job.h"
#include "watcher/second_look.h"
#include "watcher/topup_sweeper.h"
#include "webhooks/webhook_dispatcher.h"

namespace instamarket {
namespace {

constexpr char kUsage[] =
    "usage: instamarketd --config FILE (migrate | serve | config check | admin ...)\n"
    "       instamarketd --version";

int Migrate(Database& db) {
  auto applied = db.Migrate();
  if (!applied) return PrintError(applied.error());
  JsonWriter json;
  json.BeginObject().Key("applied").BeginArray();
  for (int v : *applied) json.Int(v);
  json.EndArray().Field("current", BuiltinMigrations().back().version).EndObject();
  return PrintJson(json.Take());
}

int Serve(const Config& config, Database& db) {
  // Refuse to serve an old schema; a database that is down is fine (503 until it is back).
  if (db.Ping()) {
    auto pending =
        db.Migrate();  // no-op when current; applies nothing if another instance is mid-way
    if (!pending) return PrintError(pending.error());
  }
  ApiService service(db, config);
  Runtime runtime(config.database.pool_size);
  try {
    HttpServer server(service, config, runtime);
    AdapterRegistry adapters;
    RegisterBuiltinAdapters(adapters);
    DepositWatcher watcher(config, adapters, db.deposits(), runtime);
    // Public key lookups hold blocking workers: a quarter of the pool at most, and a waiter
    // gives up a second after the slowest network's RPC timeout.
    WalletKeyDirectoryOptions key_options;
    key_options.max_in_flight =
        static_cast<std::size_t>(std::max(1, config.database.pool_size / 4));
    int rpc_timeout_ms = 0;
    for (const auto& n : config.networks)
      rpc_timeout_ms = std::max(rpc_timeout_ms, n.rpc_timeout_ms);
    key_options.wait_timeout = std::chrono::milliseconds(rpc_timeout_ms + 1000);
    WalletKeyDirectory wallet_keys(config, adapters, key_options);
    service.SetWalletKeyLookup(
        [&wallet_keys](const std::string& network, const std::string& address) {
          return wallet_keys.PublicKey(network, address);
        });
    if (auto started = watcher.Start(); !started) return PrintError(started.error());
    OrderJobs order_jobs(config, db.orders(), runtime);
    WebhookDispatcher webhooks(config.webhooks, db.webhooks(), runtime);
    TopupSweeper topup_sweeper(config, db.topups(), runtime);
    ReconciliationJob reconciliation(config, adapters, db, runtime);
    if (auto started = reconciliation.Start(); !started) return PrintError(started.error());
    SecondLook second_look(config, adapters, db, runtime);
    if (auto started = second_look.Start(); !started) return PrintError(started.error());
    service.SetOrderPlacedHook([&order_jobs] { order_jobs.Wake(); });
    order_jobs.Start();
    webhooks.Start();
    topup_sweeper.Start();
    server.Start();
    // Listening now: systemd (Type=notify) may route traffic; and told when the stop begins.
    NotifySystemd("READY=1");
    runtime.OnStop([] { NotifySystemd("STOPPING=1"); });
    runtime.Run();
  } catch (const std::exception& e) {
    return PrintError(MakeError(ErrorCode::kUnavailable, std::string("cannot serve: ") + e.what()));
  }
  service.FlushUsage();
  spdlog::info("stopped");
  return kExitOk;
}

int Main(std::vector<std::string> args) {
  spdlog::set_default_logger(spdlog::stderr_logger_mt("instamarketd"));
  if (args.size() == 1 && (args[0] == "--version" || args[0] == "version")) {
    return PrintJson("{\"version\":\"0.1.0\"}");
  }
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    std::puts(kUsage);
    return kExitOk;
  }
  std::string config_path;
  if (args.size() >= 2 && args[0] == "--config") {
    config_path = args[1];
    args.erase(args.begin(), args.begin() + 2);
  } else if (!args.empty() && args[0].rfind("--config=", 0) == 0) {
    config_path = args[0].substr(9);
    args.erase(args.begin());
  }
  if (config_path.empty() || args.empty()) return PrintUsageError(kUsage);

  auto config = LoadConfigFile(config_path);
  if (!config) return PrintError(config.error());
  ConfigureLogging(config->log);
  // Every command needs the master keys (a config check proves they load); none is read later.
  auto box = LoadMasterKeys(config->secrets);
  if (!box) return PrintError(box.error());
  // Before the database is even opened: a config check touches nothing.
  if (args.size() == 2 && args[0] == "config" && args[1] == "check") {
    return PrintJson(ConfigReport(*config, *box));
  }

  auto shared_box = std::make_shared<const SecretBox>(std::move(*box));
  Database db(*config, shared_box);
  const std::string& command = args[0];
  if (command == "migrate" && args.size() == 1) return Migrate(db);
  if (command == "serve" && args.size() == 1) return Serve(*config, db);
  if (command == "admin") {
    return RunAdminCommand(db, *config, shared_box->current_key_id(),
                           {args.begin() + 1, args.end()});
  }
  return PrintUsageError(kUsage);
}

}  // namespace
}  // namespace instamarket

int main(int argc, char** argv) {
  return instamarket::Main(std::vector<std::string>(argv + 1, argv + argc));
}
