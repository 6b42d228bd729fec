#include "app/admin_commands.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>

#include "api/claim_handlers.h"
#include "api/deposit_json.h"
#include "api/reservation_handlers.h"
#include "api/reservation_json.h"
#include "api/webhook_json.h"
#include "app/catalog_file.h"
#include "app/cli_output.h"
#include "app/command_line.h"
#include "app/reconcile_command.h"
#include "core/crypto.h"
#include "core/json_writer.h"

namespace instamarket {
namespace {

constexpr char kAdminUsage[] =
    "admin keys create --label TEXT [--hmac] [--allow-ip IP]... | keys list | "
    "keys revoke KEY_ID | keys rotate-secret KEY_ID | "
    "keys rotate-webhook-secret KEY_ID [--grace-seconds N] | keys allow-ip KEY_ID IP | "
    "keys deny-ip KEY_ID IP | credit KEY_ID AMOUNT_USDT --reason TEXT [--idempotency-key K] | "
    "catalog import FILE | stock import PRODUCT_ID FILE | "
    "deposits list [--unmatched] [--format json|csv] [--limit N] | "
    "deposits assign DEPOSIT_ID KEY_ID --reason TEXT | orders cancel ORDER_ID | "
    "claims list [--status S] [--limit N] | claims approve CLAIM_ID --reason TEXT | "
    "claims refuse CLAIM_ID --reason TEXT | "
    "reservations create --network ID (--amount A | --requested-amount A) --label TEXT "
    "[--expires-in-seconds N] | reservations list [--network ID] [--limit N] | "
    "reservations show ID | reservations release ID | "
    "webhooks list [--failed] [--limit N] | webhooks redeliver DELIVERY_ID | "
    "secrets status | secrets reseal | reconcile [--network ID] [--format json|csv]";

// How long a rotated-out webhook secret keeps signing by default: a day to deploy the new one.
constexpr std::int64_t kDefaultWebhookGraceSeconds = 86400;
constexpr std::int64_t kMaxWebhookGraceSeconds = 30 * 86400;

Result<std::int64_t> ParseId(const std::string& text, const char* what) {
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(what) + " must be a positive integer, got \"" + text + "\"");
  }
  return id;
}

void WriteIps(JsonWriter& json, const std::vector<std::string>& ips) {
  json.Key("allowed_ips").BeginArray();
  for (const auto& ip : ips) json.String(ip);
  json.EndArray();
}

// Expects exactly `count` positional words after the subcommand.
bool Positional(const CommandArgs& args, std::size_t count) {
  return args.positional.size() == count;
}

int KeysCreate(Database& db, const CommandArgs& args) {
  auto label = args.One("label");
  if (!label || !args.positional.empty())
    return PrintUsageError("usage: admin keys create --label TEXT [--hmac] [--allow-ip IP]...");
  auto minted = db.keys().Create(*label, args.Has("hmac"), args.All("allow-ip"), CliActor());
  if (!minted) return PrintError(minted.error());
  JsonWriter json;
  json.BeginObject()
      .Field("key_id", minted->id)
      .Field("api_key", minted->api_key)
      .Key("hmac_secret");
  if (minted->hmac_secret)
    json.String(*minted->hmac_secret);
  else
    json.Null();
  json.Field("webhook_secret", minted->webhook_secret);
  return PrintJson(json.EndObject().Take());
}

int KeysList(Database& db) {
  auto keys = db.keys().List();
  if (!keys) return PrintError(keys.error());
  JsonWriter json;
  json.BeginArray();
  for (const auto& k : *keys) {
    json.BeginObject()
        .Field("key_id", k.id)
        .Field("label", k.label)
        .Field("prefix", k.prefix)
        .Field("has_hmac", k.hmac_secret.has_value());
    WriteIps(json, k.allowed_ips);
    json.Field("created_at", k.created_at).Key("revoked_at");
    if (k.revoked_at)
      json.Int(*k.revoked_at);
    else
      json.Null();
    json.EndObject();
  }
  return PrintJson(json.EndArray().Take());
}

int KeysCommand(Database& db, const std::string& verb, const CommandArgs& args) {
  if (verb == "create") return KeysCreate(db, args);
  if (verb == "list") {
    if (!Positional(args, 0)) return PrintUsageError("usage: admin keys list");
    return KeysList(db);
  }
  bool takes_ip = verb == "allow-ip" || verb == "deny-ip";
  if (!Positional(args, takes_ip ? 2 : 1)) {
    return PrintUsageError("usage: admin keys " + verb + " KEY_ID" + (takes_ip ? " IP" : ""));
  }
  auto id = ParseId(args.positional[0], "KEY_ID");
  if (!id) return PrintUsageError(id.error().message);
  JsonWriter json;
  json.BeginObject().Field("key_id", *id);
  if (verb == "revoke") {
    auto revoked = db.keys().Revoke(*id, CliActor());
    if (!revoked) return PrintError(revoked.error());
    json.Field("revoked", true);
  } else if (verb == "rotate-secret") {
    auto secret = db.keys().RotateSecret(*id, CliActor());
    if (!secret) return PrintError(secret.error());
    json.Field("hmac_secret", *secret);
  } else if (verb == "rotate-webhook-secret") {
    std::int64_t grace = kDefaultWebhookGraceSeconds;
    if (auto text = args.One("grace-seconds")) {
      auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), grace);
      if (ec != std::errc() || end != text->data() + text->size() || grace < 0 ||
          grace > kMaxWebhookGraceSeconds) {
        return PrintUsageError("--grace-seconds must be an integer from 0 to " +
                               std::to_string(kMaxWebhookGraceSeconds) + ", got \"" + *text + "\"");
      }
    }
    auto rotated = db.keys().RotateWebhookSecret(*id, static_cast<int>(grace), CliActor());
    if (!rotated) return PrintError(rotated.error());
    json.Field("webhook_secret", rotated->webhook_secret).Key("previous_valid_until");
    if (rotated->previous_valid_until)
      json.Int(*rotated->previous_valid_until);
    else
      json.Null();
  } else if (takes_ip) {
    auto ips = verb == "allow-ip" ? db.keys().AllowIp(*id, args.positional[1], CliActor())
                                  : db.keys().DenyIp(*id, args.positional[1], CliActor());
    if (!ips) return PrintError(ips.error());
    WriteIps(json, *ips);
  } else {
    return PrintUsageError(std::string("unknown command: admin keys ") + verb + "; " + kAdminUsage);
  }
  return PrintJson(json.EndObject().Take());
}

void WriteCounts(JsonWriter& json, const std::map<std::string, int>& counts) {
  json.Key("by_master_key").BeginObject();
  for (const auto& [id, n] : counts) json.Field(id, static_cast<std::int64_t>(n));
  json.EndObject();
}

// `secrets status`: how many sealed secrets each master key holds ("clear": not sealed yet).
// `secrets reseal`: every secret sealed again under the current master key, the step of a
// master key rotation after which the previous key can be dropped (docs/operations.md).
int SecretsCommand(Database& db, const std::string& verb, const std::string& current_key_id) {
  JsonWriter json;
  json.BeginObject().Field("current_master_key", current_key_id);
  if (verb == "status") {
    auto counts = db.CountSecretsByMasterKey();
    if (!counts) return PrintError(counts.error());
    WriteCounts(json, *counts);
  } else {
    auto report = db.ResealSecrets();
    if (!report) return PrintError(report.error());
    json.Field("keys", static_cast<std::int64_t>(report->keys))
        .Field("resealed", static_cast<std::int64_t>(report->resealed))
        .Field("sealed_clear_text", static_cast<std::int64_t>(report->sealed_clear_text))
        .Field("new_webhook_secrets", static_cast<std::int64_t>(report->new_webhook_secrets));
    WriteCounts(json, report->by_master_key);
  }
  return PrintJson(json.EndObject().Take());
}

int Credit(Database& db, const CommandArgs& args) {
  auto reason = args.One("reason");
  if (!Positional(args, 2) || !reason) {
    return PrintUsageError(
        "usage: admin credit KEY_ID AMOUNT_USDT --reason TEXT [--idempotency-key K]");
  }
  auto id = ParseId(args.positional[0], "KEY_ID");
  if (!id) return PrintUsageError(id.error().message);
  auto amount = Money::Parse(args.positional[1]);
  if (!amount) return PrintError(amount.error());
  if (amount->micros() <= 0) {
    return PrintError(
        MakeError(ErrorCode::kInvalidArgument, "AMOUNT_USDT must be greater than zero"));
  }
  // Without a key of the caller's, every run is a new credit; with one, re-running is safe.
  std::string idempotency_key = "manual:" + args.One("idempotency-key").value_or(RandomHex(16));
  auto credited = db.balances().ManualCredit(*id, *amount, *reason, idempotency_key, CliActor());
  if (!credited) return PrintError(credited.error());
  JsonWriter json;
  json.BeginObject()
      .Field("key_id", *id)
      .Field("amount_usdt", *amount)
      .Field("balance_usdt", credited->balance)
      .Field("transaction_id", credited->transaction_id)
      .Field("replayed", credited->replayed)
      .EndObject();
  return PrintJson(json.Take());
}

int CatalogImport(Database& db, const CommandArgs& args) {
  if (!Positional(args, 1)) return PrintUsageError("usage: admin catalog import FILE");
  auto text = ReadWholeFile(args.positional[0]);
  if (!text) return PrintError(text.error());
  auto products = ParseCatalogLines(*text);
  if (!products) return PrintError(products.error());
  auto counts = db.catalog().ImportProducts(*products, CliActor());
  if (!counts) return PrintError(counts.error());
  JsonWriter json;
  json.BeginObject()
      .Field("inserted", counts->inserted)
      .Field("updated", counts->updated)
      .EndObject();
  return PrintJson(json.Take());
}

int StockImport(Database& db, const CommandArgs& args) {
  if (!Positional(args, 2)) return PrintUsageError("usage: admin stock import PRODUCT_ID FILE");
  auto id = ParseId(args.positional[0], "PRODUCT_ID");
  if (!id) return PrintUsageError(id.error().message);
  auto text = ReadWholeFile(args.positional[1]);
  if (!text) return PrintError(text.error());
  auto items = ParseStockLines(*text);
  if (!items) return PrintError(items.error());
  auto counts = db.catalog().ImportStock(*id, *items, CliActor());
  if (!counts) return PrintError(counts.error());
  JsonWriter json;
  json.BeginObject()
      .Field("product_id", *id)
      .Field("added", counts->added)
      .Field("duplicates", counts->duplicates)
      .Field("stock", counts->stock)
      .EndObject();
  return PrintJson(json.Take());
}

int DepositsList(Database& db, const CommandArgs& args) {
  std::string format = args.One("format").value_or("json");
  if (!Positional(args, 0) || (format != "json" && format != "csv")) {
    return PrintUsageError(
        "usage: admin deposits list [--unmatched | --status S] [--format json|csv] [--limit N]");
  }
  // --status: all | unmatched | credited_short | external | reorged; --unmatched is --status unmatched.
  std::string status = args.One("status").value_or(args.Has("unmatched") ? "unmatched" : "all");
  if (!DepositStore::IsListFilter(status)) {
    return PrintUsageError("--status must be all, unmatched, credited_short, external or reorged");
  }
  std::int64_t limit = 1000;
  if (auto text = args.One("limit")) {
    auto parsed = ParseId(*text, "--limit");
    if (!parsed) return PrintUsageError(parsed.error().message);
    limit = std::min<std::int64_t>(*parsed, 1'000'000);
  }
  auto rows = db.deposits().List(status, static_cast<int>(limit));
  if (!rows) return PrintError(rows.error());
  if (format == "json") {
    JsonWriter json;
    json.BeginArray();
    for (const auto& d : *rows) WriteDepositJson(json, d);
    return PrintJson(json.EndArray().Take());
  }
  std::string csv =
      "id,network,tx_id,index,from,to,amount_usdt,block,time,status,reason,key_id,memo,"
      "matched_by,credited_short,reorg_status\n";
  for (const auto& d : *rows) {
    csv += std::to_string(d.id) + "," + CsvField(d.network) + "," + CsvText(d.tx_id) + "," +
           std::to_string(d.event_index) + "," + CsvText(d.from) + "," + CsvText(d.to) + "," +
           d.amount.ToJsonNumber() + "," + std::to_string(d.block_number) + "," +
           std::to_string(d.block_time) + "," + d.status + "," + d.reason.value_or("") + "," +
           (d.key_id ? std::to_string(*d.key_id) : "") + "," + CsvText(d.memo) + "," +
           d.matched_by.value_or("") + "," + (d.short_paid ? "true" : "false") + "," +
           d.reorg_status.value_or("") + "\n";
  }
  std::fwrite(csv.data(), 1, csv.size(), stdout);
  return std::fflush(stdout) == 0 ? kExitOk : kExitFailed;
}

int DepositsAssign(Database& db, const CommandArgs& args) {
  auto reason = args.One("reason");
  if (!Positional(args, 2) || !reason) {
    return PrintUsageError("usage: admin deposits assign DEPOSIT_ID KEY_ID --reason TEXT");
  }
  auto deposit_id = ParseId(args.positional[0], "DEPOSIT_ID");
  if (!deposit_id) return PrintUsageError(deposit_id.error().message);
  auto key_id = ParseId(args.positional[1], "KEY_ID");
  if (!key_id) return PrintUsageError(key_id.error().message);
  auto assigned = db.deposits().Assign(*deposit_id, *key_id, *reason, CliActor());
  if (!assigned) return PrintError(assigned.error());
  JsonWriter json;
  json.BeginObject()
      .Field("deposit_id", assigned->deposit_id)
      .Field("key_id", assigned->key_id)
      .Field("amount_usdt", assigned->amount)
      .Field("transaction_id", assigned->transaction_id);
  json.Key("topup_id");
  if (assigned->intent_id)
    json.String(*assigned->intent_id);
  else
    json.Null();
  return PrintJson(json.EndObject().Take());
}

int OrdersCancel(Database& db, const CommandArgs& args) {
  if (!Positional(args, 1)) return PrintUsageError("usage: admin orders cancel ORDER_ID");
  auto order_id = ParseId(args.positional[0], "ORDER_ID");
  if (!order_id) return PrintUsageError(order_id.error().message);
  auto order = db.orders().Cancel(*order_id, CliActor());
  if (!order) return PrintError(order.error());
  JsonWriter json;
  json.BeginObject()
      .Field("order_id", order->id)
      .Field("status", order->status)
      .Field("price_usdt", order->price)
      .Field("refund_due_usdt", order->price)
      .EndObject();
  return PrintJson(json.Take());
}

int WebhooksList(Database& db, const CommandArgs& args) {
  if (!Positional(args, 0))
    return PrintUsageError("usage: admin webhooks list [--failed] [--limit N]");
  std::int64_t limit = 1000;
  if (auto text = args.One("limit")) {
    auto parsed = ParseId(*text, "--limit");
    if (!parsed) return PrintUsageError(parsed.error().message);
    limit = std::min<std::int64_t>(*parsed, 1'000'000);
  }
  std::optional<std::string> status;
  if (args.Has("failed")) status = "failed";
  auto rows = db.webhooks().List(status, static_cast<int>(limit));
  if (!rows) return PrintError(rows.error());
  JsonWriter json;
  json.BeginArray();
  for (const auto& d : *rows) WriteWebhookDeliveryJson(json, d);
  return PrintJson(json.EndArray().Take());
}

int WebhooksRedeliver(Database& db, const CommandArgs& args) {
  if (!Positional(args, 1)) return PrintUsageError("usage: admin webhooks redeliver DELIVERY_ID");
  auto id = ParseId(args.positional[0], "DELIVERY_ID");
  if (!id) return PrintUsageError(id.error().message);
  auto delivery = db.webhooks().Redeliver(*id, CliActor());
  if (!delivery) return PrintError(delivery.error());
  JsonWriter json;
  WriteWebhookDeliveryJson(json, *delivery);
  return PrintJson(json.Take());
}

// `claims list`: all claims, or those with --status (awaiting_proof, in_review, credited,
// refused, expired), newest first. `claims approve|refuse`: finance's decision, as the admin
// API's, audited with the CLI actor.
int ClaimsCommand(Database& db, const std::string& verb, const CommandArgs& args) {
  std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  if (verb == "list") {
    if (!Positional(args, 0))
      return PrintUsageError("usage: admin claims list [--status S] [--limit N]");
    std::optional<std::string> status = args.One("status");
    if (status && *status != "awaiting_proof" && *status != "in_review" && *status != "credited" &&
        *status != "refused" && *status != "expired") {
      return PrintUsageError(
          "--status must be awaiting_proof, in_review, credited, refused or expired");
    }
    std::int64_t limit = 1000;
    if (auto text = args.One("limit")) {
      auto parsed = ParseId(*text, "--limit");
      if (!parsed) return PrintUsageError(parsed.error().message);
      limit = std::min<std::int64_t>(*parsed, 1'000'000);
    }
    auto rows = db.claims().List(status, static_cast<int>(limit));
    if (!rows) return PrintError(rows.error());
    JsonWriter json;
    json.BeginArray();
    for (const auto& c : *rows) WriteClaimJson(json, c, now, true);
    return PrintJson(json.EndArray().Take());
  }
  auto reason = args.One("reason");
  if (!Positional(args, 1) || !reason || reason->empty()) {
    return PrintUsageError("usage: admin claims " + verb + " CLAIM_ID --reason TEXT");
  }
  auto decided = verb == "approve"
                     ? db.claims().Credit(args.positional[0], 0, ClaimCreditPath::kApproval,
                                          *reason, CliActor())
                     : db.claims().Refuse(args.positional[0], *reason, CliActor());
  if (!decided) return PrintError(decided.error());
  JsonWriter json;
  WriteClaimJson(json, *decided, now, true);
  return PrintJson(json.Take());
}

}  // namespace

std::string CliActor() {
  if (const char* sudo = std::getenv("SUDO_USER"); sudo && *sudo) return std::string("cli:") + sudo;
  if (passwd* pw = getpwuid(geteuid()); pw && pw->pw_name) return std::string("cli:") + pw->pw_name;
  return "cli:uid" + std::to_string(geteuid());
}

// `reservations ...`: the website's checkout holds amounts on a shared wallet in the same
// registry as top-up intents (like POST /api/admin/amount-reservations).
int ReservationsCommand(Database& db, const Config& config, const std::string& verb,
                        const CommandArgs& args) {
  auto print = [](const Reservation& r) {
    JsonWriter json;
    WriteReservationJson(json, r);
    return PrintJson(json.Take());
  };
  if (verb == "create") {
    auto network_id = args.One("network");
    auto label = args.One("label");
    auto exact = args.One("amount");
    auto requested = args.One("requested-amount");
    if (!Positional(args, 0) || !network_id || !label ||
        exact.has_value() == requested.has_value()) {
      return PrintUsageError(
          "usage: admin reservations create --network ID (--amount A | --requested-amount A) "
          "--label TEXT [--expires-in-seconds N]");
    }
    const NetworkConfig* network = config.FindNetwork(*network_id);
    if (!network || !network->enabled)
      return PrintUsageError("--network: unknown or disabled network \"" + *network_id + "\"");
    auto amount = Money::Parse(exact ? *exact : *requested);
    if (!amount) return PrintError(amount.error());
    if (amount->micros() < 1'000'000 || amount->micros() > 100'000'000'000 ||
        amount->micros() % 10'000 != 0) {
      return PrintUsageError("the amount must be from 1 to 100000 with at most 2 decimals");
    }
    NewReservation request = ReservationRequest(config, *network);
    if (exact)
      request.amount = *amount;
    else
      request.requested_amount = *amount;
    request.label = *label;
    request.actor = CliActor();
    if (auto text = args.One("expires-in-seconds")) {
      auto seconds = ParseId(*text, "--expires-in-seconds");
      if (!seconds || *seconds < 10 || *seconds > 7 * 86400)
        return PrintUsageError("--expires-in-seconds must be from 10 to 604800");
      request.expiry_seconds = static_cast<int>(*seconds);
    }
    auto reserved = db.topups().Reserve(request);
    if (!reserved) return PrintError(reserved.error());
    return print(*reserved);
  }
  if (verb == "list" && Positional(args, 0)) {
    std::int64_t limit = 100;
    if (auto text = args.One("limit")) {
      auto parsed = ParseId(*text, "--limit");
      if (!parsed) return PrintUsageError(parsed.error().message);
      limit = std::min<std::int64_t>(*parsed, 10'000);
    }
    auto rows = db.topups().ListReservations(args.One("network"), static_cast<int>(limit));
    if (!rows) return PrintError(rows.error());
    JsonWriter json;
    json.BeginArray();
    for (const auto& r : *rows) WriteReservationJson(json, r);
    return PrintJson(json.EndArray().Take());
  }
  if ((verb == "show" || verb == "release") && Positional(args, 1)) {
    auto id = ParseId(args.positional[0], "RESERVATION_ID");
    if (!id) return PrintUsageError(id.error().message);
    auto r = verb == "show" ? db.topups().GetReservation(*id)
                            : db.topups().ReleaseReservation(*id, CliActor());
    if (!r) return PrintError(r.error());
    return print(*r);
  }
  return PrintUsageError(std::string("usage: ") + kAdminUsage);
}

int RunAdminCommand(Database& db, const Config& config, const std::string& current_master_key_id,
                    const std::vector<std::string>& words) {
  if (!words.empty() && words[0] == "reconcile") {
    return RunReconcileCommand(db, config, {words.begin() + 1, words.end()}, CliActor());
  }
  if (words.size() < 2) return PrintUsageError(std::string("usage: ") + kAdminUsage);
  const std::string& group = words[0];
  std::vector<std::string> rest(words.begin() + 1, words.end());
  auto parse = [&](std::vector<std::string> value_options, std::vector<std::string> flags) {
    return ParseCommandArgs(rest, value_options, flags);
  };
  if (group == "keys") {
    std::string verb = rest[0];
    rest.erase(rest.begin());
    auto args = parse({"label", "allow-ip", "grace-seconds"}, {"hmac"});
    if (!args) return PrintUsageError(args.error().message);
    return KeysCommand(db, verb, *args);
  }
  if (group == "credit") {
    auto args = parse({"reason", "idempotency-key"}, {});
    if (!args) return PrintUsageError(args.error().message);
    return Credit(db, *args);
  }
  if (group == "deposits" && (rest[0] == "list" || rest[0] == "assign")) {
    std::string verb = rest[0];
    rest.erase(rest.begin());
    auto args = parse({"format", "reason", "limit", "status"}, {"unmatched"});
    if (!args) return PrintUsageError(args.error().message);
    return verb == "list" ? DepositsList(db, *args) : DepositsAssign(db, *args);
  }
  if (group == "reservations") {
    std::string verb = rest[0];
    rest.erase(rest.begin());
    auto args = parse(
        {"network", "label", "amount", "requested-amount", "expires-in-seconds", "limit"}, {});
    if (!args) return PrintUsageError(args.error().message);
    return ReservationsCommand(db, config, verb, *args);
  }
  if (group == "orders" && rest[0] == "cancel") {
    rest.erase(rest.begin());
    auto args = parse({}, {});
    if (!args) return PrintUsageError(args.error().message);
    return OrdersCancel(db, *args);
  }
  if (group == "claims" && (rest[0] == "list" || rest[0] == "approve" || rest[0] == "refuse")) {
    std::string verb = rest[0];
    rest.erase(rest.begin());
    auto args = parse({"status", "reason", "limit"}, {});
    if (!args) return PrintUsageError(args.error().message);
    return ClaimsCommand(db, verb, *args);
  }
  if (group == "webhooks" && (rest[0] == "list" || rest[0] == "redeliver")) {
    std::string verb = rest[0];
    rest.erase(rest.begin());
    auto args = parse({"limit"}, {"failed"});
    if (!args) return PrintUsageError(args.error().message);
    return verb == "list" ? WebhooksList(db, *args) : WebhooksRedeliver(db, *args);
  }
  if (group == "secrets" && (rest[0] == "status" || rest[0] == "reseal") && rest.size() == 1) {
    return SecretsCommand(db, rest[0], current_master_key_id);
  }
  if ((group == "catalog" || group == "stock") && rest[0] == "import") {
    rest.erase(rest.begin());
    auto args = parse({}, {});
    if (!args) return PrintUsageError(args.error().message);
    return group == "catalog" ? CatalogImport(db, *args) : StockImport(db, *args);
  }
  return PrintUsageError(std::string("unknown admin command; usage: ") + kAdminUsage);
}

}  // namespace instamarket
