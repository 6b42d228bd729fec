#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"

namespace instamarket {

struct DatabaseConfig {
  std::string url;    // libpq connection string or URI
  int pool_size = 8;  // connections, and threads doing blocking database work
  int connect_timeout_ms = 3000;
  // Every statement and every lock wait is cut after these (0: no limit); a request then
  // gets 503 instead of holding a connection. Migrations run without them.
  int statement_timeout_ms = 5000;
  int lock_timeout_ms = 2000;
};

// The SQL that gives a database session the configured statement and lock timeouts; every
// connection the daemon opens runs it first.
std::string SessionTimeoutsSql(const DatabaseConfig& db);

struct ApiConfig {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  int threads = 2;                 // I/O threads
  int rate_limit_per_minute = 60;  // per API key, sliding 60 s window
  // "database": the limit holds across every daemon on the database (rate_windows table);
  // "process": each daemon counts alone, with no database work (the limit is per instance).
  std::string rate_limit_scope = "database";
  std::size_t max_body_bytes = 64 * 1024;
  std::vector<std::string> trusted_proxies;  // peers whose X-Forwarded-For is believed
  int key_cache_ttl_ms = 1000;               // how long a revoke or IP change may take to apply
  int idle_timeout_ms = 30000;               // keep-alive connections idle longer are closed
  int usage_flush_interval_ms = 1000;        // per-key usage counters are written this often
  int hmac_window_seconds = 300;             // allowed X-Timestamp drift
  // After SIGTERM: how long requests in flight may take to finish before they are cut.
  int drain_timeout_ms = 10000;
  // From a request's first byte to its last: a client dribbling bytes is cut at this bound.
  int request_timeout_ms = 30000;
  // Open connections at most, and from one client address (an IPv6 /64); more are answered 503
  // and closed. Trusted proxies are exempt from the per-address cap (they carry many clients).
  int max_connections = 10000;
  int max_connections_per_address = 256;
};

// One admin HTTP API token. Each is its own actor in the audit log ("admin:<name>").
struct AdminToken {
  std::string name;
  std::string sha256;  // raw 32-byte digest of the token; the token itself need not be kept
};

struct AdminConfig {
  std::string token;                 // the single legacy token, named "default"; empty: none
  std::vector<AdminToken> tokens;    // every accepted token, `token` included; empty: API off
  int max_failures_per_minute = 10;  // per client address; then 429 for the rest of the minute
  // admin.listen: when set, /api/admin/* is served there only (and answers 404 on api.listen),
  // and that listener serves nothing else. Empty host: not set.
  std::string listen_host;
  std::uint16_t listen_port = 0;
};

struct LogConfig {
  std::string level = "info";   // trace, debug, info, warn, error
  std::string format = "json";  // json: one JSON object per line; text: for a terminal
};

// One chain network that receives USDT (spec section 9), e.g. usdt_bep_20.
struct NetworkConfig {
  std::string id;                // the API's `network`, e.g. "usdt_polygon"
  std::string kind;              // adapter family: evm | tron | ton | solana
  bool enabled = true;           // disabled: not watched, refused for new top-ups
  std::vector<std::string> rpc;  // endpoints (JSON-RPC or REST base URLs), with failover
  std::string api_key;           // sent as TRON-PRO-API-KEY (tron) or X-API-Key (ton); secret
  // Tron: full nodes' HTTP API (/walletsolidity/...) that confirm each transfer the `rpc`
  // listing names (receipt SUCCESS, the Transfer log); empty: the `rpc` endpoints themselves.
  std::vector<std::string> node_rpc;
  // The token: contract (lowercase 0x-hex for EVM, T... for Tron), jetton master (TON, raw
  // form "0:hex"), mint (Solana).
  std::string token;
  int decimals = 6;  // the token's decimals (BSC USDT: 18)
  // Our master wallet: lowercase 0x-hex (EVM), T... (Tron), raw "0:hex" (TON), owner (Solana).
  std::string address;
  // What clients are told to pay to: `address` as written in the config (TON's user-friendly
  // form, say), lowercase for EVM.
  std::string payment_address;
  std::string token_account;  // Solana: our USDT token account (derived when empty)
  int confirmations = 0;      // final = head - confirmations (when finality is empty)
  // EVM: the chain's id (eth_chainId), checked against the node before anything is recorded;
  // 0: not checked. Required to tell apart two networks with one token and address.
  std::int64_t chain_id = 0;
  // EVM: "finalized" or "safe" block tags instead of a depth. Tron: "solidified" (the only
  // one), Solana: "finalized" (the only one); TON needs none (indexed blocks are final).
  std::string finality;
  int poll_interval_ms = 3000;
  std::int64_t max_block_range = 2000;  // widest eth_getLogs range asked for (EVM)
  // Records per request of a paged API (tron: up to 200, ton and solana: up to 1000).
  int page_size = 0;  // 0: the kind's maximum
  // Where a never-scanned network starts: "latest", or the chain's own position: a block
  // (EVM), a block timestamp in ms (Tron), a logical time (TON), a slot or a signature (Solana).
  std::string start = "latest";
  int rpc_timeout_ms = 10000;
  // Common exchange withdrawal fees on this network (micro-USDT, whole cents): a deposit of an
  // intent's amount less one of them credits that intent, short.
  std::vector<std::int64_t> withdrawal_fee_micros;
  // The second look (watcher/second_look.h): final positions are read again this long after
  // the watcher passed them, through the next endpoint; 0: never.
  int second_look_delay_seconds = 600;
};

struct TopupConfig {
  int expiry_seconds = 3600;
  // Intents get a random free amount up to this much above the requested one.
  std::int64_t max_surcharge_micros = 1'000'000;
  std::int64_t match_tolerance_micros = 0;  // a deposit matches within this (under 0.005)
  // A block up to this much older than an intent still falls in its window.
  int clock_skew_seconds = 5;
  int max_pending_per_key = 3;  // per key and network
  // Intents of a key on a network that expired unpaid and whose amounts are still held (the
  // cooldown): without this cap a key could hold hundreds of amounts by letting intents expire.
  int max_unpaid_held_per_key = 10;
  bool offer_requested_amount = false;  // may an intent get exactly the requested amount
  // How long an amount stays held after its intent ends (credited or expired and past the
  // grace), so a late or second payment finds that intent, never the next one's.
  int amount_cooldown_seconds = 21600;
  // How long an expired intent keeps its amount reserved, so a deposit sent in time but final
  // only after the expiry still finds it.
  int expiry_grace_seconds = 900;
  // Claims of unmatched deposits: how long a claim's challenge may be signed, and how many
  // claims a key may have open (awaiting proof or in review) at once.
  int claim_challenge_seconds = 900;
  int max_open_claims = 10;
};

struct OrderConfig {
  std::int64_t min_order_micros = 0;      // orders priced below this get 400; 0 = no minimum
  int fulfilment_deadline_seconds = 600;  // processing longer than this: expired and refunded
  int refund_interval_seconds = 30;       // how often the refund job runs
  int worker_interval_ms = 200;           // how often the fulfilment worker looks for orders
  bool fulfil = true;                     // false: this instance does not deliver items
};

struct WebhookConfig {
  int timeout_ms = 10000;
  int max_retries = 5;                   // after the first attempt
  int backoff_base_ms = 1000;            // retry n waits base * 2^(n-1)
  bool allow_private_addresses = false;  // loopback, private and link-local targets
  bool allow_items_over_http = false;    // send delivered items to plain http:// URLs
};

// Where the master keys that seal the database's secrets come from (core/secret_box.h). Read
// by LoadMasterKeys (config/master_keys.h), not here, so a config parses without them.
struct SecretsConfig {
  std::string master_key_file;  // seals and opens; relative paths: to the config file
  std::string master_key_env;   // or: the environment variable that holds the key
  std::vector<std::string> previous_master_key_files;  // still open, during a rotation
};

struct ReconciliationConfig {
  // How often each network's wallet is reconciled against the ledger; 0: never on its own
  // (`admin reconcile` still works).
  int interval_seconds = 300;
};

struct Config {
  DatabaseConfig database;
  ApiConfig api;
  AdminConfig admin;
  LogConfig log;
  TopupConfig topups;
  std::vector<NetworkConfig> networks;
  OrderConfig orders;
  WebhookConfig webhooks;
  SecretsConfig secrets;
  ReconciliationConfig reconciliation;

  const NetworkConfig* FindNetwork(const std::string& id) const;
};

// Reads and validates a YAML config. Environment overrides (INSTAMARKET_DATABASE_URL,
// INSTAMARKET_ADMIN_TOKEN) are applied after the file. Errors name the key, e.g.
// "api.rate_limit_per_minute: must be an integer from 1 to 1000000, got \"abc\"".
Result<Config> LoadConfigFile(const std::string& path);
Result<Config> LoadConfigText(const std::string& yaml_text);

}  // namespace instamarket
