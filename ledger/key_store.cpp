#include "ledger/key_store.h"

#include <arpa/inet.h>

#include <algorithm>

#include "core/crypto.h"
#include "core/json_writer.h"
#include "core/secret_box.h"
#include "ledger/audit_write.h"
#include "ledger/pg_pool.h"

namespace instamarket {
namespace {

constexpr char kSelectKey[] = R"sql(
  SELECT k.id, k.label, k.key_prefix, COALESCE(k.hmac_secret, k.hmac_secret_sealed),
         floor(extract(epoch FROM k.created_at))::bigint,
         floor(extract(epoch FROM k.revoked_at))::bigint,
         COALESCE((SELECT array_agg(host(ip) ORDER BY ip) FROM api_key_allowed_ips
                    WHERE key_id = k.id), '{}')
    FROM api_keys k)sql";

std::vector<std::string> ParseTextArray(const pqxx::field& field) {
  std::vector<std::string> out;
  auto parser = field.as_array();
  for (auto [kind, text] = parser.get_next(); kind != pqxx::array_parser::done;
       std::tie(kind, text) = parser.get_next()) {
    if (kind == pqxx::array_parser::string_value) out.push_back(text);
  }
  return out;
}

Result<std::string> NormalizeIp(const std::string& ip) {
  unsigned char buf[16];
  char text[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, ip.c_str(), buf) == 1) {
    return std::string(inet_ntop(AF_INET, buf, text, sizeof text));
  }
  if (inet_pton(AF_INET6, ip.c_str(), buf) == 1) {
    return std::string(inet_ntop(AF_INET6, buf, text, sizeof text));
  }
  return MakeError(ErrorCode::kInvalidArgument, "not an IP address: \"" + ip + "\"");
}

std::string KeyTarget(std::int64_t key_id) { return "key:" + std::to_string(key_id); }

// Locks the key row; kNotFound when there is none.
Status LockKey(pqxx::work& tx, std::int64_t key_id) {
  auto rows = tx.exec_params("SELECT 1 FROM api_keys WHERE id = $1 FOR UPDATE", key_id);
  if (rows.empty()) {
    return MakeError(ErrorCode::kNotFound, "no API key with id " + std::to_string(key_id));
  }
  return OkStatus();
}

std::vector<std::string> AllowedIps(pqxx::work& tx, std::int64_t key_id) {
  std::vector<std::string> ips;
  for (const auto& row : tx.exec_params(
           "SELECT host(ip) FROM api_key_allowed_ips WHERE key_id = $1 ORDER BY ip", key_id)) {
    ips.push_back(row[0].as<std::string>());
  }
  return ips;
}

}  // namespace

std::string SecretContext(const char* column, std::int64_t key_id) {
  return std::string("api_keys.") + column + ":" + std::to_string(key_id);
}

std::string GenerateWebhookSecret() { return "whsec_" + RandomHex(32); }

ApiKeyRecord KeyStore::ReadKey(const pqxx::row& row) const {
  ApiKeyRecord key;
  key.id = row[0].as<std::int64_t>();
  key.label = row[1].as<std::string>();
  key.prefix = row[2].as<std::string>();
  if (!row[3].is_null()) {
    std::string stored = row[3].as<std::string>();
    // Clear text only between the schema upgrade and the sealing step that follows it, or
    // written by an older binary's rotate-secret: then it is the newer secret, and wins.
    if (SecretBox::KeyIdOf(stored).empty()) {
      key.hmac_secret = std::move(stored);
    } else {
      auto opened = box_->Open(stored, SecretContext("hmac_secret", key.id));
      if (!opened)
        throw std::runtime_error("API key " + std::to_string(key.id) + ": " +
                                 opened.error().message);
      key.hmac_secret = std::move(*opened);
    }
  }
  key.created_at = row[4].as<std::int64_t>();
  if (!row[5].is_null()) key.revoked_at = row[5].as<std::int64_t>();
  key.allowed_ips = ParseTextArray(row[6]);
  return key;
}

std::string GenerateApiKey() { return "imk_" + RandomHex(32); }

bool IsWellFormedApiKey(std::string_view key) {
  constexpr std::string_view kPrefix = "imk_";
  if (key.size() != kPrefix.size() + 64 || key.substr(0, kPrefix.size()) != kPrefix) return false;
  return std::all_of(key.begin() + kPrefix.size(), key.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

KeyStore::KeyStore(std::shared_ptr<PgPool> pool, std::shared_ptr<const SecretBox> box)
    : pool_(std::move(pool)), box_(std::move(box)) {
  pool_->Prepare("key_by_hash", std::string(kSelectKey) + " WHERE k.key_hash = $1");
}

Result<MintedKey> KeyStore::Create(const std::string& label, bool with_hmac,
                                   const std::vector<std::string>& allowed_ips,
                                   const std::string& actor) {
  if (label.empty() || label.size() > 200) {
    return MakeError(ErrorCode::kInvalidArgument, "--label must be 1 to 200 characters");
  }
  std::vector<std::string> ips;
  for (const auto& ip : allowed_ips) {
    auto normalized = NormalizeIp(ip);
    if (!normalized) return normalized.error();
    ips.push_back(*normalized);
  }
  MintedKey minted;
  minted.api_key = GenerateApiKey();
  if (with_hmac) minted.hmac_secret = RandomHex(32);
  minted.webhook_secret = GenerateWebhookSecret();
  return pool_->With<MintedKey>([&](pqxx::connection& conn) -> Result<MintedKey> {
    pqxx::work tx(conn);
    pqxx::binarystring hash(Sha256(minted.api_key));
    // The id is part of what seals the secrets, so it is taken first.
    minted.id =
        tx.exec1("SELECT nextval(pg_get_serial_sequence('api_keys', 'id'))")[0].as<std::int64_t>();
    std::optional<std::string> sealed_hmac;
    if (minted.hmac_secret) {
      sealed_hmac = box_->Seal(*minted.hmac_secret, SecretContext("hmac_secret", minted.id));
    }
    tx.exec_params(
        "INSERT INTO api_keys (id, label, key_hash, key_prefix, hmac_secret_sealed, "
        "webhook_secret_sealed) VALUES ($1, $2, $3, $4, $5, $6)",
        minted.id, label, hash, minted.api_key.substr(0, 12),
        sealed_hmac ? sealed_hmac->c_str() : static_cast<const char*>(nullptr),
        box_->Seal(minted.webhook_secret, SecretContext("webhook_secret", minted.id)));
    tx.exec_params("INSERT INTO ledger_accounts (code, key_id) VALUES ($1, $2)",
                   KeyTarget(minted.id), minted.id);
    for (const auto& ip : ips) {
      tx.exec_params(
          "INSERT INTO api_key_allowed_ips (key_id, ip) VALUES ($1, $2::inet) "
          "ON CONFLICT DO NOTHING",
          minted.id, ip);
    }
    JsonWriter details;
    details.BeginObject().Field("label", label).Field("hmac", with_hmac).Key("allowed_ips");
    details.BeginArray();
    for (const auto& ip : ips) details.String(ip);
    details.EndArray().EndObject();
    WriteAudit(tx, actor, "keys.create", KeyTarget(minted.id), details.str());
    tx.commit();
    return minted;
  });
}

Result<std::optional<ApiKeyRecord>> KeyStore::FindByKey(const std::string& api_key) {
  using Found = std::optional<ApiKeyRecord>;
  return pool_->With<Found>([&](pqxx::connection& conn) -> Result<Found> {
    pqxx::nontransaction tx(conn);
    auto rows = tx.exec_prepared("key_by_hash", pqxx::binarystring(Sha256(api_key)));
    if (rows.empty()) return Found{};
    return Found{ReadKey(rows[0])};
  });
}

Result<std::vector<ApiKeyRecord>> KeyStore::List() {
  using Keys = std::vector<ApiKeyRecord>;
  return pool_->With<Keys>([&](pqxx::connection& conn) -> Result<Keys> {
    pqxx::nontransaction tx(conn);
    Keys keys;
    for (const auto& row : tx.exec(std::string(kSelectKey) + " ORDER BY k.id")) {
      keys.push_back(ReadKey(row));
    }
    return keys;
  });
}

Status KeyStore::Revoke(std::int64_t key_id, const std::string& actor) {
  return pool_->With<Unit>([&](pqxx::connection& conn) -> Status {
    pqxx::work tx(conn);
    if (auto locked = LockKey(tx, key_id); !locked) return locked;
    auto rows = tx.exec_params(
        "UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id",
        key_id);
    if (rows.empty()) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "API key " + std::to_string(key_id) + " is already revoked");
    }
    WriteAudit(tx, actor, "keys.revoke", KeyTarget(key_id), "{}");
    tx.commit();
    return OkStatus();
  });
}

Result<std::string> KeyStore::RotateSecret(std::int64_t key_id, const std::string& actor) {
  std::string secret = RandomHex(32);
  return pool_->With<std::string>([&](pqxx::connection& conn) -> Result<std::string> {
    pqxx::work tx(conn);
    if (auto locked = LockKey(tx, key_id); !locked) return locked.error();
    tx.exec_params("UPDATE api_keys SET hmac_secret_sealed = $2, hmac_secret = NULL WHERE id = $1",
                   key_id, box_->Seal(secret, SecretContext("hmac_secret", key_id)));
    WriteAudit(tx, actor, "keys.rotate_secret", KeyTarget(key_id), "{}");
    tx.commit();
    return secret;
  });
}

Result<RotatedWebhookSecret> KeyStore::RotateWebhookSecret(std::int64_t key_id, int grace_seconds,
                                                           const std::string& actor) {
  RotatedWebhookSecret rotated;
  rotated.webhook_secret = GenerateWebhookSecret();
  return pool_->With<RotatedWebhookSecret>(
      [&](pqxx::connection& conn) -> Result<RotatedWebhookSecret> {
        pqxx::work tx(conn);
        if (auto locked = LockKey(tx, key_id); !locked) return locked.error();
        // The previous secret keeps its sealed form: it stays bound to its own column.
        auto previous =
            tx.exec_params1("SELECT webhook_secret_sealed FROM api_keys WHERE id = $1", key_id)[0];
        std::optional<std::string> resealed;
        if (!previous.is_null() && grace_seconds > 0) {
          auto opened =
              box_->Open(previous.as<std::string>(), SecretContext("webhook_secret", key_id));
          if (!opened) return opened.error();
          resealed = box_->Seal(*opened, SecretContext("webhook_secret_previous", key_id));
        }
        auto row = tx.exec_params1(
            "UPDATE api_keys SET webhook_secret_sealed = $2, webhook_secret_previous_sealed = $3, "
            "webhook_secret_previous_until = CASE WHEN $3::text IS NULL THEN NULL "
            "ELSE now() + make_interval(secs => $4) END WHERE id = $1 "
            "RETURNING floor(extract(epoch FROM webhook_secret_previous_until))::bigint",
            key_id, box_->Seal(rotated.webhook_secret, SecretContext("webhook_secret", key_id)),
            resealed ? resealed->c_str() : static_cast<const char*>(nullptr), grace_seconds);
        if (!row[0].is_null()) rotated.previous_valid_until = row[0].as<std::int64_t>();
        JsonWriter details;
        details.BeginObject().Field("grace_seconds", static_cast<std::int64_t>(grace_seconds));
        details.EndObject();
        WriteAudit(tx, actor, "keys.rotate_webhook_secret", KeyTarget(key_id), details.str());
        tx.commit();
        return rotated;
      });
}

Result<std::vector<std::string>> KeyStore::AllowIp(std::int64_t key_id, const std::string& ip,
                                                   const std::string& actor) {
  auto normalized = NormalizeIp(ip);
  if (!normalized) return normalized.error();
  using Ips = std::vector<std::string>;
  return pool_->With<Ips>([&](pqxx::connection& conn) -> Result<Ips> {
    pqxx::work tx(conn);
    if (auto locked = LockKey(tx, key_id); !locked) return locked.error();
    tx.exec_params(
        "INSERT INTO api_key_allowed_ips (key_id, ip) VALUES ($1, $2::inet) ON CONFLICT DO NOTHING",
        key_id, *normalized);
    JsonWriter details;
    details.BeginObject().Field("ip", *normalized).EndObject();
    WriteAudit(tx, actor, "keys.allow_ip", KeyTarget(key_id), details.str());
    Ips ips = AllowedIps(tx, key_id);
    tx.commit();
    return ips;
  });
}

Result<std::vector<std::string>> KeyStore::DenyIp(std::int64_t key_id, const std::string& ip,
                                                  const std::string& actor) {
  auto normalized = NormalizeIp(ip);
  if (!normalized) return normalized.error();
  using Ips = std::vector<std::string>;
  return pool_->With<Ips>([&](pqxx::connection& conn) -> Result<Ips> {
    pqxx::work tx(conn);
    if (auto locked = LockKey(tx, key_id); !locked) return locked.error();
    auto removed = tx.exec_params(
        "DELETE FROM api_key_allowed_ips WHERE key_id = $1 AND ip = $2::inet RETURNING ip", key_id,
        *normalized);
    if (removed.empty()) {
      return MakeError(ErrorCode::kNotFound,
                       *normalized + " is not on the whitelist of key " + std::to_string(key_id));
    }
    JsonWriter details;
    details.BeginObject().Field("ip", *normalized).EndObject();
    WriteAudit(tx, actor, "keys.deny_ip", KeyTarget(key_id), details.str());
    Ips ips = AllowedIps(tx, key_id);
    tx.commit();
    return ips;
  });
}

Result<bool> KeyStore::RememberSignature(std::int64_t key_id, const std::string& signature,
                                         int forget_after_seconds) {
  return pool_->With<bool>([&](pqxx::connection& conn) -> Result<bool> {
    pqxx::work tx(conn);
    // Forgetting is cheap and bounded by the index; doing it here needs no extra job.
    tx.exec_params(
        "DELETE FROM api_seen_signatures WHERE seen_at < now() - make_interval(secs => $1)",
        forget_after_seconds);
    auto rows = tx.exec_params(
        "INSERT INTO api_seen_signatures (signature, key_id) VALUES ($1, $2) "
        "ON CONFLICT DO NOTHING RETURNING 1",
        signature, key_id);
    tx.commit();
    return !rows.empty();
  });
}

}  // namespace instamarket
