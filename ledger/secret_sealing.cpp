#include "ledger/secret_sealing.h"

#include <optional>

#include "core/json_writer.h"
#include "core/secret_box.h"
#include "ledger/audit_write.h"
#include "ledger/key_store.h"
#include "ledger/pg_pool.h"

namespace instamarket {
namespace {

constexpr const char* kColumns[] = {"hmac_secret", "webhook_secret", "webhook_secret_previous"};

std::optional<std::string> Text(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::string>();
}

const char* OrNull(const std::optional<std::string>& s) { return s ? s->c_str() : nullptr; }

}  // namespace

Result<SealingReport> SealSecrets(PgPool& pool, const SecretBox& box, SealingScope scope) {
  return pool.With<SealingReport>([&](pqxx::connection& conn) -> Result<SealingReport> {
    pqxx::work tx(conn);
    // Every key row is locked, and instances starting meanwhile wait for it: no timeouts here.
    tx.exec("SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0");
    SealingReport report;
    // Expired grace secrets go first: nothing opens them again.
    tx.exec(
        "UPDATE api_keys SET webhook_secret_previous_sealed = NULL, "
        "webhook_secret_previous_until = NULL WHERE webhook_secret_previous_until < now()");
    auto rows = tx.exec(
        "SELECT id, hmac_secret, hmac_secret_sealed, webhook_secret_sealed, "
        "webhook_secret_previous_sealed FROM api_keys ORDER BY id FOR UPDATE");
    for (const auto& row : rows) {
      ++report.keys;
      auto id = row[0].as<std::int64_t>();
      std::optional<std::string> clear = Text(row[1]);
      std::optional<std::string> sealed[] = {Text(row[2]), Text(row[3]), Text(row[4])};
      bool changed = false;
      if (clear) {
        // Both present only if an older binary rotated the secret: the clear one is newer.
        sealed[0] = box.Seal(*clear, SecretContext(kColumns[0], id));
        ++report.sealed_clear_text;
        changed = true;
      }
      if (!sealed[1]) {
        sealed[1] = box.Seal(GenerateWebhookSecret(), SecretContext(kColumns[1], id));
        ++report.new_webhook_secrets;
        changed = true;
      }
      for (int c = 0; c < 3; ++c) {
        if (!sealed[c]) continue;
        if (scope == SealingScope::kAllUnderCurrent &&
            SecretBox::KeyIdOf(*sealed[c]) != box.current_key_id()) {
          auto opened = box.Open(*sealed[c], SecretContext(kColumns[c], id));
          if (!opened) return opened.error();
          sealed[c] = box.Seal(*opened, SecretContext(kColumns[c], id));
          ++report.resealed;
          changed = true;
        }
        ++report.by_master_key[SecretBox::KeyIdOf(*sealed[c])];
      }
      if (!changed) continue;
      tx.exec_params(
          "UPDATE api_keys SET hmac_secret = NULL, hmac_secret_sealed = $2, "
          "webhook_secret_sealed = $3, webhook_secret_previous_sealed = $4 WHERE id = $1",
          id, OrNull(sealed[0]), OrNull(sealed[1]), OrNull(sealed[2]));
    }
    if (report.sealed_clear_text + report.new_webhook_secrets + report.resealed > 0) {
      JsonWriter details;
      details.BeginObject()
          .Field("sealed_clear_text", static_cast<std::int64_t>(report.sealed_clear_text))
          .Field("new_webhook_secrets", static_cast<std::int64_t>(report.new_webhook_secrets))
          .Field("resealed", static_cast<std::int64_t>(report.resealed))
          .Field("master_key", box.current_key_id())
          .EndObject();
      WriteAudit(tx, "system", "secrets.seal", "api_keys", details.str());
    }
    tx.commit();
    return report;
  });
}

Result<std::map<std::string, int>> CountSecretsByMasterKey(PgPool& pool) {
  using Counts = std::map<std::string, int>;
  return pool.With<Counts>([&](pqxx::connection& conn) -> Result<Counts> {
    pqxx::read_transaction tx(conn);
    Counts counts;
    for (const auto& row : tx.exec("SELECT hmac_secret, hmac_secret_sealed, webhook_secret_sealed, "
                                   "webhook_secret_previous_sealed FROM api_keys")) {
      if (!row[0].is_null()) ++counts["clear"];
      for (int c = 1; c <= 3; ++c) {
        if (!row[c].is_null()) ++counts[SecretBox::KeyIdOf(row[c].as<std::string>())];
      }
    }
    return counts;
  });
}

}  // namespace instamarket
