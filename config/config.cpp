#include "config/config.h"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "core/crypto.h"
#include "core/money.h"
#include "core/solana_address.h"
#include "core/ton_address.h"
#include "core/tron_address.h"

namespace instamarket {
namespace {

// Thrown inside this file only, turned into a Result at the edge.
struct ConfigError {
  std::string message;
};

[[noreturn]] void Fail(const std::string& key, const std::string& why) {
  throw ConfigError{key + ": " + why};
}

std::string Describe(const YAML::Node& node) {
  if (node.IsScalar()) return "\"" + node.Scalar() + "\"";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  return "nothing";
}

// Fails on keys that the section does not know, so a typo never passes silently.
void RejectUnknownKeys(const YAML::Node& node, const std::string& section,
                       const std::set<std::string>& known) {
  if (!node.IsMap()) Fail(section.empty() ? "(top level)" : section, "must be a mapping");
  for (const auto& item : node) {
    std::string key = item.first.as<std::string>();
    if (!known.count(key)) {
      std::string full = section.empty() ? key : section + "." + key;
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      Fail(full, "unknown key (known here: " + list + ")");
    }
  }
}

std::int64_t ReadInt(const YAML::Node& node, const std::string& key, std::int64_t min,
                     std::int64_t max) {
  std::string text = node.IsScalar() ? node.Scalar() : "";
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (!node.IsScalar() || ec != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    Fail(key, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                  ", got " + Describe(node));
  }
  return value;
}

std::string ReadString(const YAML::Node& node, const std::string& key, bool allow_empty) {
  if (!node.IsScalar()) Fail(key, "must be a string, got " + Describe(node));
  std::string value = node.Scalar();
  if (!allow_empty && value.empty()) Fail(key, "must not be empty");
  return value;
}

bool IsIpAddress(const std::string& text) {
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

// "host:port" with an IP address for host ([::1] for IPv6).
void ParseHostPort(const YAML::Node& node, const std::string& key, std::string& host_out,
                   std::uint16_t& port_out) {
  std::string text = ReadString(node, key, false);
  auto colon = text.rfind(':');
  if (colon == std::string::npos) Fail(key, "must be host:port, got \"" + text + "\"");
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (!IsIpAddress(host)) {
    Fail(key, "host must be an IP address such as 127.0.0.1 or [::1], got \"" + host + "\"");
  }
  host_out = host;
  port_out = static_cast<std::uint16_t>(
      ReadInt(YAML::Node(text.substr(colon + 1)), key + " port", 0, 65535));
}

void ParseListen(const YAML::Node& node, ApiConfig& api) {
  ParseHostPort(node, "api.listen", api.listen_host, api.listen_port);
}

void ParseDatabase(const YAML::Node& node, DatabaseConfig& db) {
  RejectUnknownKeys(
      node, "database",
      {"url", "pool_size", "connect_timeout_ms", "statement_timeout_ms", "lock_timeout_ms"});
  if (node["url"]) db.url = ReadString(node["url"], "database.url", true);
  if (node["pool_size"]) {
    db.pool_size = static_cast<int>(ReadInt(node["pool_size"], "database.pool_size", 1, 256));
  }
  if (node["connect_timeout_ms"]) {
    db.connect_timeout_ms = static_cast<int>(
        ReadInt(node["connect_timeout_ms"], "database.connect_timeout_ms", 100, 600000));
  }
  if (node["statement_timeout_ms"]) {
    db.statement_timeout_ms = static_cast<int>(
        ReadInt(node["statement_timeout_ms"], "database.statement_timeout_ms", 0, 3600000));
  }
  if (node["lock_timeout_ms"]) {
    db.lock_timeout_ms =
        static_cast<int>(ReadInt(node["lock_timeout_ms"], "database.lock_timeout_ms", 0, 3600000));
  }
}

void ParseApi(const YAML::Node& node, ApiConfig& api) {
  RejectUnknownKeys(node, "api",
                    {"listen", "threads", "rate_limit_per_minute", "rate_limit_scope",
                     "max_body_bytes", "trusted_proxies", "key_cache_ttl_ms", "idle_timeout_ms",
                     "request_timeout_ms", "max_connections", "max_connections_per_address",
                     "drain_timeout_ms", "usage_flush_interval_ms", "hmac_window_seconds"});
  if (node["listen"]) ParseListen(node["listen"], api);
  if (node["threads"])
    api.threads = static_cast<int>(ReadInt(node["threads"], "api.threads", 1, 256));
  if (node["rate_limit_per_minute"]) {
    api.rate_limit_per_minute = static_cast<int>(
        ReadInt(node["rate_limit_per_minute"], "api.rate_limit_per_minute", 1, 1000000));
  }
  if (node["rate_limit_scope"]) {
    api.rate_limit_scope = ReadString(node["rate_limit_scope"], "api.rate_limit_scope", false);
    if (api.rate_limit_scope != "database" && api.rate_limit_scope != "process") {
      Fail("api.rate_limit_scope",
           "must be database or process, got \"" + api.rate_limit_scope + "\"");
    }
  }
  if (node["max_body_bytes"]) {
    api.max_body_bytes = static_cast<std::size_t>(
        ReadInt(node["max_body_bytes"], "api.max_body_bytes", 1024, 64 * 1024 * 1024));
  }
  if (node["trusted_proxies"]) {
    const YAML::Node& list = node["trusted_proxies"];
    if (!list.IsSequence()) Fail("api.trusted_proxies", "must be a list of IP addresses");
    for (std::size_t i = 0; i < list.size(); ++i) {
      std::string key = "api.trusted_proxies[" + std::to_string(i) + "]";
      std::string ip = ReadString(list[i], key, false);
      if (!IsIpAddress(ip)) Fail(key, "must be an IP address, got \"" + ip + "\"");
      api.trusted_proxies.push_back(ip);
    }
  }
  if (node["key_cache_ttl_ms"]) {
    api.key_cache_ttl_ms =
        static_cast<int>(ReadInt(node["key_cache_ttl_ms"], "api.key_cache_ttl_ms", 0, 60000));
  }
  if (node["idle_timeout_ms"]) {
    api.idle_timeout_ms =
        static_cast<int>(ReadInt(node["idle_timeout_ms"], "api.idle_timeout_ms", 100, 3600000));
  }
  if (node["request_timeout_ms"]) {
    api.request_timeout_ms = static_cast<int>(
        ReadInt(node["request_timeout_ms"], "api.request_timeout_ms", 100, 600000));
  }
  if (node["max_connections"]) {
    api.max_connections =
        static_cast<int>(ReadInt(node["max_connections"], "api.max_connections", 1, 1000000));
  }
  if (node["max_connections_per_address"]) {
    api.max_connections_per_address = static_cast<int>(ReadInt(
        node["max_connections_per_address"], "api.max_connections_per_address", 1, 1000000));
  }
  // Checked after both are read, so the order of the keys in the file does not matter. Left
  // out, the per-address cap follows a lower total cap.
  if (!node["max_connections_per_address"]) {
    api.max_connections_per_address =
        std::min(api.max_connections_per_address, api.max_connections);
  } else if (api.max_connections_per_address > api.max_connections) {
    Fail("api.max_connections_per_address", "must not exceed api.max_connections (" +
                                                std::to_string(api.max_connections) + "), got " +
                                                std::to_string(api.max_connections_per_address));
  }
  if (node["drain_timeout_ms"]) {
    api.drain_timeout_ms =
        static_cast<int>(ReadInt(node["drain_timeout_ms"], "api.drain_timeout_ms", 100, 600000));
  }
  if (node["usage_flush_interval_ms"]) {
    api.usage_flush_interval_ms = static_cast<int>(
        ReadInt(node["usage_flush_interval_ms"], "api.usage_flush_interval_ms", 10, 60000));
  }
  if (node["hmac_window_seconds"]) {
    api.hmac_window_seconds =
        static_cast<int>(ReadInt(node["hmac_window_seconds"], "api.hmac_window_seconds", 1, 3600));
  }
}

void ParseAdmin(const YAML::Node& node, AdminConfig& admin) {
  RejectUnknownKeys(node, "admin", {"token", "tokens", "max_failures_per_minute", "listen"});
  if (node["listen"])
    ParseHostPort(node["listen"], "admin.listen", admin.listen_host, admin.listen_port);
  if (node["token"]) admin.token = ReadString(node["token"], "admin.token", true);
  if (node["max_failures_per_minute"]) {
    admin.max_failures_per_minute = static_cast<int>(
        ReadInt(node["max_failures_per_minute"], "admin.max_failures_per_minute", 1, 10000));
  }
  const auto& tokens = node["tokens"];
  if (!tokens) return;
  if (!tokens.IsSequence()) Fail("admin.tokens", "must be a list, got " + Describe(tokens));
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    std::string at = "admin.tokens[" + std::to_string(i) + "]";
    RejectUnknownKeys(tokens[i], at, {"name", "token", "token_sha256"});
    AdminToken t;
    t.name = ReadString(tokens[i]["name"], at + ".name", false);
    bool name_ok = t.name.size() <= 64 && std::all_of(t.name.begin(), t.name.end(), [](char c) {
                     return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
                            c == '.' || c == '@';
                   });
    if (!name_ok) Fail(at + ".name", "must be 1-64 letters, digits, '-', '_', '.' or '@'");
    if (tokens[i]["token"] && tokens[i]["token_sha256"]) {
      Fail(at, "set token or token_sha256, not both");
    }
    if (tokens[i]["token"]) {
      std::string token = ReadString(tokens[i]["token"], at + ".token", false);
      if (token.size() < 16) Fail(at + ".token", "must be at least 16 characters");
      t.sha256 = Sha256(token);
    } else if (tokens[i]["token_sha256"]) {
      std::string hex = ReadString(tokens[i]["token_sha256"], at + ".token_sha256", false);
      bool hex_ok = hex.size() == 64 && std::all_of(hex.begin(), hex.end(), [](char c) {
                      return std::isxdigit(static_cast<unsigned char>(c));
                    });
      if (!hex_ok) {
        Fail(at + ".token_sha256", "must be 64 hex digits (printf %s \"$TOKEN\" | sha256sum)");
      }
      for (std::size_t j = 0; j < 64; j += 2) {
        t.sha256.push_back(static_cast<char>(std::stoi(hex.substr(j, 2), nullptr, 16)));
      }
    } else {
      Fail(at, "needs token or token_sha256");
    }
    for (const auto& other : admin.tokens) {
      if (other.name == t.name) Fail(at + ".name", "\"" + t.name + "\" is used twice");
      if (other.sha256 == t.sha256) Fail(at, "the same token as \"" + other.name + "\"");
    }
    admin.tokens.push_back(std::move(t));
  }
}

void ParseLog(const YAML::Node& node, LogConfig& log) {
  RejectUnknownKeys(node, "log", {"level", "format"});
  if (node["format"]) {
    log.format = ReadString(node["format"], "log.format", false);
    if (log.format != "json" && log.format != "text")
      Fail("log.format", "must be json or text, got \"" + log.format + "\"");
  }
  if (node["level"]) {
    log.level = ReadString(node["level"], "log.level", false);
    static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error"};
    if (!kLevels.count(log.level)) {
      Fail("log.level",
           "must be one of trace, debug, info, warn, error, got \"" + log.level + "\"");
    }
  }
}

std::int64_t ReadMicros(const YAML::Node& node, const std::string& key, std::int64_t min,
                        std::int64_t max) {
  auto amount = node.IsScalar() ? Money::Parse(node.Scalar()) : Result<Money>(Money());
  if (!node.IsScalar() || !amount.ok() || amount->micros() < min || amount->micros() > max) {
    Fail(key, "must be a USDT amount from " + Money::FromMicros(min).ToJsonNumber() + " to " +
                  Money::FromMicros(max).ToJsonNumber() + ", got " + Describe(node));
  }
  return amount->micros();
}

bool ReadBool(const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar() || (node.Scalar() != "true" && node.Scalar() != "false")) {
    Fail(key, "must be true or false, got " + Describe(node));
  }
  return node.Scalar() == "true";
}

void ParseTopups(const YAML::Node& node, TopupConfig& t) {
  RejectUnknownKeys(node, "topups",
                    {"expiry_seconds", "max_surcharge_usdt", "match_tolerance_usdt",
                     "expiry_grace_seconds", "clock_skew_seconds", "max_pending_per_key",
                     "max_unpaid_held_per_key", "offer_requested_amount", "amount_cooldown_seconds",
                     "claim_challenge_seconds", "max_open_claims"});
  if (node["expiry_seconds"]) {
    t.expiry_seconds =
        static_cast<int>(ReadInt(node["expiry_seconds"], "topups.expiry_seconds", 10, 7 * 86400));
  }
  if (node["max_surcharge_usdt"]) {
    t.max_surcharge_micros =
        ReadMicros(node["max_surcharge_usdt"], "topups.max_surcharge_usdt", 0, 100'000'000);
  }
  if (node["match_tolerance_usdt"]) {
    // Held amounts are 0.01 apart: under half of that, a deposit is near one of them only.
    t.match_tolerance_micros =
        ReadMicros(node["match_tolerance_usdt"], "topups.match_tolerance_usdt", 0, 4'999);
  }
  if (node["clock_skew_seconds"]) {
    t.clock_skew_seconds =
        static_cast<int>(ReadInt(node["clock_skew_seconds"], "topups.clock_skew_seconds", 0, 30));
  }
  if (node["max_pending_per_key"]) {
    t.max_pending_per_key = static_cast<int>(
        ReadInt(node["max_pending_per_key"], "topups.max_pending_per_key", 1, 1000));
  }
  if (node["max_unpaid_held_per_key"]) {
    t.max_unpaid_held_per_key = static_cast<int>(
        ReadInt(node["max_unpaid_held_per_key"], "topups.max_unpaid_held_per_key", 1, 1000));
  }
  // Pending intents count towards the unpaid cap too: a smaller cap would lower the pending one.
  if (t.max_unpaid_held_per_key < t.max_pending_per_key) {
    Fail("topups.max_unpaid_held_per_key", "must be at least topups.max_pending_per_key (" +
                                               std::to_string(t.max_pending_per_key) +
                                               "): pending intents count towards it");
  }
  if (node["offer_requested_amount"]) {
    t.offer_requested_amount =
        ReadBool(node["offer_requested_amount"], "topups.offer_requested_amount");
  }
  // Without a cent of band and without the requested amount itself, no amount is ever free.
  if (t.max_surcharge_micros < 10'000 && !t.offer_requested_amount) {
    Fail("topups.max_surcharge_usdt",
         "must be at least 0.01 unless topups.offer_requested_amount is true: no top-up could "
         "be given an amount");
  }
  if (node["amount_cooldown_seconds"]) {
    t.amount_cooldown_seconds = static_cast<int>(
        ReadInt(node["amount_cooldown_seconds"], "topups.amount_cooldown_seconds", 0, 30 * 86400));
  }
  if (node["expiry_grace_seconds"]) {
    t.expiry_grace_seconds = static_cast<int>(
        ReadInt(node["expiry_grace_seconds"], "topups.expiry_grace_seconds", 0, 7 * 86400));
  }
  if (node["claim_challenge_seconds"]) {
    t.claim_challenge_seconds = static_cast<int>(
        ReadInt(node["claim_challenge_seconds"], "topups.claim_challenge_seconds", 1, 86400));
  }
  if (node["max_open_claims"]) {
    t.max_open_claims =
        static_cast<int>(ReadInt(node["max_open_claims"], "topups.max_open_claims", 1, 1000));
  }
}

void ParseOrders(const YAML::Node& node, OrderConfig& o) {
  RejectUnknownKeys(node, "orders",
                    {"min_order_usdt", "fulfilment_deadline_seconds", "refund_interval_seconds",
                     "worker_interval_ms", "fulfil"});
  if (node["min_order_usdt"]) {
    o.min_order_micros =
        ReadMicros(node["min_order_usdt"], "orders.min_order_usdt", 0, 1'000'000'000'000);
  }
  if (node["fulfilment_deadline_seconds"]) {
    o.fulfilment_deadline_seconds = static_cast<int>(ReadInt(
        node["fulfilment_deadline_seconds"], "orders.fulfilment_deadline_seconds", 1, 7 * 86400));
  }
  if (node["refund_interval_seconds"]) {
    o.refund_interval_seconds = static_cast<int>(
        ReadInt(node["refund_interval_seconds"], "orders.refund_interval_seconds", 1, 3600));
  }
  if (node["worker_interval_ms"]) {
    o.worker_interval_ms = static_cast<int>(
        ReadInt(node["worker_interval_ms"], "orders.worker_interval_ms", 10, 60000));
  }
  if (node["fulfil"]) o.fulfil = ReadBool(node["fulfil"], "orders.fulfil");
}

void ParseReconciliation(const YAML::Node& node, ReconciliationConfig& r) {
  RejectUnknownKeys(node, "reconciliation", {"interval_seconds"});
  if (node["interval_seconds"]) {
    r.interval_seconds = static_cast<int>(
        ReadInt(node["interval_seconds"], "reconciliation.interval_seconds", 0, 86400));
  }
}

void ParseWebhooks(const YAML::Node& node, WebhookConfig& w) {
  RejectUnknownKeys(node, "webhooks",
                    {"timeout_ms", "max_retries", "backoff_base_ms", "allow_private_addresses",
                     "allow_items_over_http"});
  if (node["timeout_ms"]) {
    w.timeout_ms =
        static_cast<int>(ReadInt(node["timeout_ms"], "webhooks.timeout_ms", 100, 120000));
  }
  if (node["max_retries"]) {
    w.max_retries = static_cast<int>(ReadInt(node["max_retries"], "webhooks.max_retries", 0, 20));
  }
  if (node["backoff_base_ms"]) {
    w.backoff_base_ms =
        static_cast<int>(ReadInt(node["backoff_base_ms"], "webhooks.backoff_base_ms", 10, 3600000));
  }
  if (node["allow_private_addresses"]) {
    w.allow_private_addresses =
        ReadBool(node["allow_private_addresses"], "webhooks.allow_private_addresses");
  }
  if (node["allow_items_over_http"]) {
    w.allow_items_over_http =
        ReadBool(node["allow_items_over_http"], "webhooks.allow_items_over_http");
  }
}

void ParseSecrets(const YAML::Node& node, SecretsConfig& s) {
  RejectUnknownKeys(node, "secrets",
                    {"master_key_file", "master_key_env", "previous_master_key_files"});
  if (node["master_key_file"]) {
    s.master_key_file = ReadString(node["master_key_file"], "secrets.master_key_file", false);
  }
  if (node["master_key_env"]) {
    s.master_key_env = ReadString(node["master_key_env"], "secrets.master_key_env", false);
  }
  if (!s.master_key_file.empty() && !s.master_key_env.empty()) {
    Fail("secrets", "set master_key_file or master_key_env, not both");
  }
  if (const auto& files = node["previous_master_key_files"]; files) {
    if (!files.IsSequence()) {
      Fail("secrets.previous_master_key_files", "must be a list of paths, got " + Describe(files));
    }
    for (std::size_t i = 0; i < files.size(); ++i) {
      s.previous_master_key_files.push_back(ReadString(
          files[i], "secrets.previous_master_key_files[" + std::to_string(i) + "]", false));
    }
  }
}

bool IsEvmAddress(const std::string& s) {
  if (s.size() != 42 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return false;
  return std::all_of(s.begin() + 2, s.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Validates and normalizes one of a network's addresses for its kind.
std::string ReadAddress(const YAML::Node& node, const std::string& key, const std::string& kind) {
  std::string value = ReadString(node, key, false);
  if (kind == "evm") {
    if (!IsEvmAddress(value))
      Fail(key, "must be a 0x-prefixed 20-byte hex address, got \"" + value + "\"");
    return Lower(value);
  }
  if (kind == "tron") {
    if (!IsTronAddress(value)) {
      Fail(key, "must be a Tron address (T..., Base58Check with a valid checksum), got \"" + value +
                    "\"");
    }
    return value;
  }
  if (kind == "ton") {
    auto raw = TonRawAddress(value);
    if (!raw) Fail(key, raw.error().message);
    return *raw;
  }
  if (!IsSolanaPubkey(value))
    Fail(key, "must be a Solana public key (Base58 of 32 bytes), got \"" + value + "\"");
  return value;
}

// `start`: "latest" or the kind's own position.
std::string ReadStart(const YAML::Node& node, const std::string& key, const std::string& kind) {
  std::string value = ReadString(node, key, false);
  if (value == "latest") return value;
  if (kind == "solana" && IsSolanaSignature(value)) return value;
  static const std::map<std::string, std::string> kPosition = {
      {"evm", "a block number"},
      {"tron", "a block timestamp in milliseconds"},
      {"ton", "a logical time (lt)"},
      {"solana", "a slot or a transaction signature"}};
  std::int64_t parsed = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (ec != std::errc() || end != value.data() + value.size() || parsed < 0)
    Fail(key, "must be latest or " + kPosition.at(kind) + ", got \"" + value + "\"");
  std::int64_t position = ReadInt(node, key, 0, INT64_MAX);
  return std::to_string(position);
}

NetworkConfig ParseNetwork(const YAML::Node& node, const std::string& at) {
  RejectUnknownKeys(
      node, at,
      {"id", "kind", "enabled", "rpc", "node_rpc", "api_key", "token", "decimals", "address", "token_account",
       "chain_id", "confirmations", "finality", "poll_interval_ms", "max_block_range", "page_size",
       "start", "rpc_timeout_ms", "withdrawal_fees_usdt", "second_look_delay_seconds"});
  NetworkConfig n;
  if (!node["id"]) Fail(at + ".id", "is required");
  n.id = ReadString(node["id"], at + ".id", false);
  if (n.id.size() > 64 || !std::all_of(n.id.begin(), n.id.end(), [](char c) {
        return std::islower(static_cast<unsigned char>(c)) ||
               std::isdigit(static_cast<unsigned char>(c)) || c == '_';
      })) {
    Fail(at + ".id",
         "must be lowercase letters, digits and _ (e.g. usdt_polygon), got \"" + n.id + "\"");
  }
  if (!node["kind"]) Fail(at + ".kind", "is required");
  n.kind = ReadString(node["kind"], at + ".kind", false);
  static const std::set<std::string> kKinds = {"evm", "tron", "ton", "solana"};
  if (!kKinds.count(n.kind))
    Fail(at + ".kind", "must be one of: evm, tron, ton, solana; got \"" + n.kind + "\"");
  if (node["enabled"]) {
    if (!node["enabled"].IsScalar() ||
        (node["enabled"].Scalar() != "true" && node["enabled"].Scalar() != "false")) {
      Fail(at + ".enabled", "must be true or false, got " + Describe(node["enabled"]));
    }
    n.enabled = node["enabled"].Scalar() == "true";
  }
  auto read_urls = [&](const char* field, std::vector<std::string>& out) {
    const YAML::Node& list = node[field];
    if (!list || !list.IsSequence() || list.size() == 0)
      Fail(at + "." + field, "must be a non-empty list of URLs");
    for (std::size_t i = 0; i < list.size(); ++i) {
      std::string key = at + "." + field + "[" + std::to_string(i) + "]";
      std::string url = ReadString(list[i], key, false);
      if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
        Fail(key, "must be an http:// or https:// URL, got \"" + url + "\"");
      }
      while (url.size() > 8 && url.back() == '/') url.pop_back();  // REST paths are appended
      out.push_back(url);
    }
  };
  read_urls("rpc", n.rpc);
  if (node["node_rpc"]) {
    if (n.kind != "tron") Fail(at + ".node_rpc", "applies to kind tron only");
    read_urls("node_rpc", n.node_rpc);
  }
  if (node["api_key"]) {
    if (n.kind != "tron" && n.kind != "ton")
      Fail(at + ".api_key", "applies to kind tron or ton only");
    n.api_key = ReadString(node["api_key"], at + ".api_key", false);
  }
  for (auto [field, target] : {std::pair{"token", &n.token}, std::pair{"address", &n.address}}) {
    std::string key = at + "." + field;
    if (!node[field]) Fail(key, "is required");
    *target = ReadAddress(node[field], key, n.kind);
  }
  n.payment_address = n.kind == "evm" ? n.address : node["address"].Scalar();
  if (node["token_account"]) {
    if (n.kind != "solana") Fail(at + ".token_account", "applies to kind solana only");
    n.token_account = ReadAddress(node["token_account"], at + ".token_account", n.kind);
  }
  if (!node["decimals"]) Fail(at + ".decimals", "is required");
  n.decimals = static_cast<int>(ReadInt(node["decimals"], at + ".decimals", 0, 36));
  if (node["confirmations"] && node["finality"]) {
    Fail(at, "set either confirmations or finality, not both");
  }
  if (n.kind == "evm") {
    if (node["confirmations"]) {
      // 0 would take the head block as final: any reorg at all would be missed.
      n.confirmations =
          static_cast<int>(ReadInt(node["confirmations"], at + ".confirmations", 0, 100000));
      if (n.confirmations == 0) {
        Fail(at + ".confirmations",
             "must be at least 1 (0 takes the head block as final, so every reorg would be "
             "missed); use finality: finalized where the node has the tag");
      }
    } else if (node["finality"]) {
      n.finality = ReadString(node["finality"], at + ".finality", false);
      if (n.finality != "finalized" && n.finality != "safe") {
        Fail(at + ".finality", "must be finalized or safe, got \"" + n.finality + "\"");
      }
    } else {
      // The node's own notion of final, where the chain has one (every EVM client since the
      // Merge answers the tag; one that does not fails the poll rather than guessing).
      n.finality = "finalized";
    }
  } else {
    // Each of these chains has one notion of final, which its adapter always waits for.
    static const std::map<std::string, std::string> kFinality = {
        {"tron", "solidified"}, {"ton", ""}, {"solana", "finalized"}};
    const std::string& only = kFinality.at(n.kind);
    if (node["confirmations"])
      Fail(at + ".confirmations", "applies to kind evm only; " + n.kind + " waits for finality");
    if (node["finality"]) {
      std::string value = ReadString(node["finality"], at + ".finality", false);
      if (value != only) {
        Fail(at + ".finality",
             only.empty() ? "does not apply to kind ton (indexed blocks are final)"
                          : "must be " + only + " for kind " + n.kind + ", got \"" + value + "\"");
      }
    }
    n.finality = only;
  }
  if (node["poll_interval_ms"]) {
    n.poll_interval_ms =
        static_cast<int>(ReadInt(node["poll_interval_ms"], at + ".poll_interval_ms", 10, 600000));
  }
  if (node["max_block_range"]) {
    if (n.kind != "evm") Fail(at + ".max_block_range", "applies to kind evm only");
    n.max_block_range = ReadInt(node["max_block_range"], at + ".max_block_range", 1, 1000000);
  }
  if (node["page_size"]) {
    if (n.kind == "evm") Fail(at + ".page_size", "applies to kinds tron, ton and solana");
    n.page_size = static_cast<int>(
        ReadInt(node["page_size"], at + ".page_size", 1, n.kind == "tron" ? 200 : 1000));
  }
  if (node["second_look_delay_seconds"]) {
    n.second_look_delay_seconds = static_cast<int>(ReadInt(
        node["second_look_delay_seconds"], at + ".second_look_delay_seconds", 0, 86400));
  }
  if (node["rpc_timeout_ms"]) {
    n.rpc_timeout_ms =
        static_cast<int>(ReadInt(node["rpc_timeout_ms"], at + ".rpc_timeout_ms", 100, 120000));
  }
  if (node["start"]) n.start = ReadStart(node["start"], at + ".start", n.kind);
  if (node["withdrawal_fees_usdt"]) {
    const YAML::Node& fees = node["withdrawal_fees_usdt"];
    const std::string key = at + ".withdrawal_fees_usdt";
    if (!fees.IsSequence()) Fail(key, "must be a list of USDT amounts, got " + Describe(fees));
    if (fees.size() > 8) Fail(key, "may list at most 8 fees: each one holds an amount per intent");
    for (std::size_t i = 0; i < fees.size(); ++i) {
      const std::string item = key + "[" + std::to_string(i) + "]";
      std::int64_t fee = ReadMicros(fees[i], item, 10'000, 100'000'000);
      if (fee % 10'000 != 0) Fail(item, "must be a whole number of cents");
      if (std::find(n.withdrawal_fee_micros.begin(), n.withdrawal_fee_micros.end(), fee) !=
          n.withdrawal_fee_micros.end())
        Fail(item, "is listed twice");
      n.withdrawal_fee_micros.push_back(fee);
    }
  }
  if (node["chain_id"]) {
    if (n.kind != "evm") Fail(at + ".chain_id", "applies to kind evm only");
    n.chain_id = ReadInt(node["chain_id"], at + ".chain_id", 1, 9007199254740991);
  }
  return n;
}

// Two entries watching one token at one address would each record every transfer: one
// deposit, two networks, two chances to credit it. EVM chains share contract and wallet
// addresses, so there two entries may only differ by a declared (and verified) chain id.
void RefuseDuplicateNetworks(const std::vector<NetworkConfig>& networks) {
  for (std::size_t i = 0; i < networks.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      const NetworkConfig &a = networks[j], &b = networks[i];
      if (a.kind != b.kind || a.token != b.token || a.address != b.address) continue;
      if (a.kind == "evm" && a.chain_id && b.chain_id && a.chain_id != b.chain_id) continue;
      Fail("networks[" + std::to_string(i) + "]",
           "watches the same token at the same address as networks[" + std::to_string(j) + "] (\"" +
               a.id + "\"): every deposit would be seen twice" +
               (a.kind == "evm" ? "; if they are different chains, set a different chain_id on "
                                  "each (it is checked against the node)"
                                : ""));
    }
  }
}

void ParseNetworks(const YAML::Node& node, std::vector<NetworkConfig>& networks) {
  if (!node.IsSequence()) Fail("networks", "must be a list");
  std::set<std::string> ids;
  for (std::size_t i = 0; i < node.size(); ++i) {
    std::string at = "networks[" + std::to_string(i) + "]";
    NetworkConfig n = ParseNetwork(node[i], at);
    if (!ids.insert(n.id).second) Fail(at + ".id", "\"" + n.id + "\" is used twice");
    networks.push_back(std::move(n));
  }
  RefuseDuplicateNetworks(networks);
}

Config ParseRoot(const YAML::Node& root) {
  Config config;
  if (root.IsNull()) Fail("(top level)", "the config is empty");
  RejectUnknownKeys(
      root, "",
      {"database", "api", "admin", "log", "topups", "networks", "orders", "webhooks", "secrets",
       "reconciliation"});
  if (root["database"]) ParseDatabase(root["database"], config.database);
  if (root["api"]) ParseApi(root["api"], config.api);
  if (root["admin"]) ParseAdmin(root["admin"], config.admin);
  if (root["log"]) ParseLog(root["log"], config.log);
  if (root["topups"]) ParseTopups(root["topups"], config.topups);
  if (root["networks"]) ParseNetworks(root["networks"], config.networks);
  if (root["orders"]) ParseOrders(root["orders"], config.orders);
  if (root["webhooks"]) ParseWebhooks(root["webhooks"], config.webhooks);
  if (root["secrets"]) ParseSecrets(root["secrets"], config.secrets);
  if (root["reconciliation"]) ParseReconciliation(root["reconciliation"], config.reconciliation);

  if (const char* url = std::getenv("INSTAMARKET_DATABASE_URL"); url && *url) {
    config.database.url = url;
  }
  if (const char* token = std::getenv("INSTAMARKET_ADMIN_TOKEN"); token && *token) {
    config.admin.token = token;
  }
  if (config.database.url.empty()) {
    Fail("database.url", "is required (or set INSTAMARKET_DATABASE_URL)");
  }
  if (!config.admin.token.empty() && config.admin.token.size() < 16) {
    Fail("admin.token", "must be at least 16 characters (it guards the admin HTTP API)");
  }
  if (!config.admin.listen_host.empty() && config.admin.listen_port != 0 &&
      config.admin.listen_port == config.api.listen_port &&
      config.admin.listen_host == config.api.listen_host) {
    Fail("admin.listen", "must differ from api.listen");
  }
  if (!config.admin.token.empty()) {
    AdminToken legacy{"default", Sha256(config.admin.token)};
    for (const auto& t : config.admin.tokens) {
      if (t.name == legacy.name) Fail("admin.tokens", "\"default\" is admin.token's name");
      if (t.sha256 == legacy.sha256) Fail("admin.tokens", "repeats admin.token");
    }
    config.admin.tokens.insert(config.admin.tokens.begin(), std::move(legacy));
  }
  return config;
}

}  // namespace

std::string SessionTimeoutsSql(const DatabaseConfig& db) {
  return "SET statement_timeout = " + std::to_string(db.statement_timeout_ms) +
         "; SET lock_timeout = " + std::to_string(db.lock_timeout_ms);
}

const NetworkConfig* Config::FindNetwork(const std::string& id) const {
  for (const auto& n : networks) {
    if (n.id == id) return &n;
  }
  return nullptr;
}

Result<Config> LoadConfigText(const std::string& yaml_text) {
  try {
    return ParseRoot(YAML::Load(yaml_text));
  } catch (const ConfigError& e) {
    return MakeError(ErrorCode::kInvalidArgument, e.message);
  } catch (const YAML::Exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, std::string("YAML syntax: ") + e.what());
  }
}

Result<Config> LoadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return MakeError(ErrorCode::kInvalidArgument, path + ": cannot open config file");
  std::stringstream text;
  text << in.rdbuf();
  auto config = LoadConfigText(text.str());
  if (!config) return MakeError(ErrorCode::kInvalidArgument, path + ": " + config.error().message);
  // Key files sit next to the config more often than not; resolve as the reader of it would.
  auto beside_config = [&](std::string& file) {
    if (!file.empty() && file.front() != '/') {
      file = (std::filesystem::path(path).parent_path() / file).lexically_normal().string();
    }
  };
  beside_config(config->secrets.master_key_file);
  for (auto& file : config->secrets.previous_master_key_files) beside_config(file);
  return config;
}

}  // namespace instamarket
