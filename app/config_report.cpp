#include "app/config_report.h"

#include <algorithm>
#include <cctype>

#include "core/json_writer.h"
#include "core/money.h"
#include "core/solana_address.h"

namespace instamarket {
namespace {

std::string Finality(const NetworkConfig& n) {
  if (n.kind == "tron") return "solidified blocks (only_confirmed=true)";
  if (n.kind == "ton") return "masterchain-committed blocks (as indexed)";
  if (n.kind == "solana") return "commitment \"finalized\"";
  if (!n.finality.empty()) return "block tag \"" + n.finality + "\"";
  return std::to_string(n.confirmations) + " confirmations";
}

}  // namespace

std::string ConfigReport(const Config& c, const SecretBox& box) {
  JsonWriter json;
  json.BeginObject().Field("ok", true);
  json.Key("api")
      .BeginObject()
      .Field("listen", c.api.listen_host + ":" + std::to_string(c.api.listen_port))
      .Field("threads", static_cast<std::int64_t>(c.api.threads))
      .Field("rate_limit_per_minute", static_cast<std::int64_t>(c.api.rate_limit_per_minute))
      .Field("rate_limit_scope", c.api.rate_limit_scope)
      .Field("max_body_bytes", static_cast<std::int64_t>(c.api.max_body_bytes));
  json.Key("trusted_proxies").BeginArray();
  for (const auto& p : c.api.trusted_proxies) json.String(p);
  json.EndArray().EndObject();
  json.Key("database")
      .BeginObject()
      .Field("url", MaskConnectionString(c.database.url))
      .Field("pool_size", static_cast<std::int64_t>(c.database.pool_size))
      .EndObject();
  json.Field("admin_api", c.admin.tokens.empty() ? "disabled" : "enabled");
  json.Key("admin_tokens").BeginArray();  // names only
  for (const auto& t : c.admin.tokens) json.String(t.name);
  json.EndArray();
  json.Field("log_level", c.log.level);
  json.Key("networks").BeginArray();
  for (const auto& n : c.networks) {
    json.BeginObject().Field("id", n.id).Field("kind", n.kind).Field("enabled", n.enabled);
    json.Key("rpc").BeginArray();
    for (const auto& url : n.rpc) json.String(MaskUrl(url));
    json.EndArray()
        .Field("token", n.token)
        .Field("decimals", static_cast<std::int64_t>(n.decimals))
        .Field("address", n.address)
        .Field("payment_address", n.payment_address)
        .Field("finality", Finality(n))
        .Field("poll_interval_ms", static_cast<std::int64_t>(n.poll_interval_ms))
        .Field("start", n.start);
    if (!n.node_rpc.empty()) {
      json.Key("node_rpc").BeginArray();
      for (const auto& url : n.node_rpc) json.String(MaskUrl(url));
      json.EndArray();
    }
    if (n.kind == "evm") json.Field("max_block_range", n.max_block_range);
    if (n.chain_id != 0) json.Field("chain_id", n.chain_id);
    if (n.kind == "solana") {  // what is watched: configured, or derived from owner and mint
      json.Field("token_account", n.token_account.empty()
                                      ? AssociatedTokenAccount(n.address, n.token).value_or("")
                                      : n.token_account);
    }
    if (!n.api_key.empty()) json.Field("api_key", "***");
    if (!n.withdrawal_fee_micros.empty()) {
      json.Key("withdrawal_fees_usdt").BeginArray();
      for (std::int64_t fee : n.withdrawal_fee_micros) json.Amount(Money::FromMicros(fee));
      json.EndArray();
    }
    json.EndObject();
  }
  json.EndArray();
  json.Key("topups")
      .BeginObject()
      .Field("expiry_seconds", static_cast<std::int64_t>(c.topups.expiry_seconds))
      .Field("max_surcharge_usdt", Money::FromMicros(c.topups.max_surcharge_micros))
      .Field("match_tolerance_usdt", Money::FromMicros(c.topups.match_tolerance_micros))
      .Field("expiry_grace_seconds", static_cast<std::int64_t>(c.topups.expiry_grace_seconds))
      .Field("clock_skew_seconds", static_cast<std::int64_t>(c.topups.clock_skew_seconds))
      .Field("max_pending_per_key", static_cast<std::int64_t>(c.topups.max_pending_per_key))
      .Field("max_unpaid_held_per_key", static_cast<std::int64_t>(c.topups.max_unpaid_held_per_key))
      .Field("offer_requested_amount", c.topups.offer_requested_amount)
      .Field("amount_cooldown_seconds", static_cast<std::int64_t>(c.topups.amount_cooldown_seconds))
      .Field("claim_challenge_seconds", static_cast<std::int64_t>(c.topups.claim_challenge_seconds))
      .Field("max_open_claims", static_cast<std::int64_t>(c.topups.max_open_claims))
      .EndObject();
  json.Key("orders")
      .BeginObject()
      .Field("fulfil", c.orders.fulfil)
      .Field("min_order_usdt", Money::FromMicros(c.orders.min_order_micros))
      .Field("fulfilment_deadline_seconds",
             static_cast<std::int64_t>(c.orders.fulfilment_deadline_seconds))
      .Field("refund_interval_seconds", static_cast<std::int64_t>(c.orders.refund_interval_seconds))
      .EndObject();
  json.Key("webhooks")
      .BeginObject()
      .Field("timeout_ms", static_cast<std::int64_t>(c.webhooks.timeout_ms))
      .Field("max_retries", static_cast<std::int64_t>(c.webhooks.max_retries))
      .Field("backoff_base_ms", static_cast<std::int64_t>(c.webhooks.backoff_base_ms))
      .Field("allow_private_addresses", c.webhooks.allow_private_addresses)
      .Field("allow_items_over_http", c.webhooks.allow_items_over_http)
      .EndObject();
  json.Key("reconciliation")
      .BeginObject()
      .Field("interval_seconds", static_cast<std::int64_t>(c.reconciliation.interval_seconds))
      .EndObject();
  // Where the master keys come from and their ids (a hash, never the key).
  json.Key("secrets").BeginObject();
  if (!c.secrets.master_key_file.empty()) json.Field("master_key_file", c.secrets.master_key_file);
  if (!c.secrets.master_key_env.empty()) json.Field("master_key_env", c.secrets.master_key_env);
  json.Field("master_key_id", box.current_key_id()).Key("previous_master_key_files").BeginArray();
  for (const auto& file : c.secrets.previous_master_key_files) json.String(file);
  json.EndArray().EndObject();
  return json.EndObject().Take();
}

}  // namespace instamarket
