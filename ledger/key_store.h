#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace pqxx {
class row;
}

namespace instamarket {

class PgPool;
class SecretBox;

struct ApiKeyRecord {
  std::int64_t id = 0;
  std::string label;
  std::string prefix;                      // the key's first characters, for display
  std::optional<std::string> hmac_secret;  // set when POST requests must be signed
  std::vector<std::string> allowed_ips;    // empty: any address
  std::int64_t created_at = 0;             // unix seconds
  std::optional<std::int64_t> revoked_at;
  bool revoked() const { return revoked_at.has_value(); }
};

struct MintedKey {
  std::int64_t id = 0;
  std::string api_key;                     // shown once, stored only as a hash
  std::optional<std::string> hmac_secret;  // shown once
  std::string webhook_secret;              // shown once; signs the key's webhooks
};

struct RotatedWebhookSecret {
  std::string webhook_secret;                        // shown once
  std::optional<std::int64_t> previous_valid_until;  // unix seconds; nullopt: no grace
};

// API keys: minting, lookup by the presented key, revocation, HMAC and webhook secrets (sealed
// by `box`, never stored in clear) and IP whitelists. Every change writes an api_audit_log
// row in its own transaction. Thread-safe; blocking.
class KeyStore {
 public:
  KeyStore(std::shared_ptr<PgPool> pool, std::shared_ptr<const SecretBox> box);

  Result<MintedKey> Create(const std::string& label, bool with_hmac,
                           const std::vector<std::string>& allowed_ips, const std::string& actor);
  // nullopt when no key has this value (revoked keys are returned, with revoked_at set).
  Result<std::optional<ApiKeyRecord>> FindByKey(const std::string& api_key);
  Result<std::vector<ApiKeyRecord>> List();
  // kNotFound for an unknown id, kFailedPrecondition when already revoked.
  Status Revoke(std::int64_t key_id, const std::string& actor);
  // Returns the new secret; the old one stops working.
  Result<std::string> RotateSecret(std::int64_t key_id, const std::string& actor);
  // A new webhook signing secret; the old one keeps signing too (a second signature) for
  // `grace_seconds`, so receivers can switch without missing a delivery.
  Result<RotatedWebhookSecret> RotateWebhookSecret(std::int64_t key_id, int grace_seconds,
                                                   const std::string& actor);
  // Both return the key's whitelist after the change. kInvalidArgument for a bad address.
  Result<std::vector<std::string>> AllowIp(std::int64_t key_id, const std::string& ip,
                                           const std::string& actor);
  Result<std::vector<std::string>> DenyIp(std::int64_t key_id, const std::string& ip,
                                          const std::string& actor);
  // Records a request signature; false when it was seen before (a replay). Also forgets
  // signatures older than `forget_after_seconds`.
  Result<bool> RememberSignature(std::int64_t key_id, const std::string& signature,
                                 int forget_after_seconds);

 private:
  ApiKeyRecord ReadKey(const pqxx::row& row) const;

  std::shared_ptr<PgPool> pool_;
  std::shared_ptr<const SecretBox> box_;
};

// What a sealed secret of key `key_id` is bound to (SecretBox's context): the column and the
// key, so a sealed value moved to another row or column does not open.
std::string SecretContext(const char* column, std::int64_t key_id);

// A fresh webhook signing secret: "whsec_" and 64 hex digits.
std::string GenerateWebhookSecret();

// Whether `key` has the issued format ("imk_" and 64 lower-case hex digits), checked before
// any lookup.
bool IsWellFormedApiKey(std::string_view key);

// "imk_" followed by 64 hex characters from the system CSPRNG.
std::string GenerateApiKey();

}  // namespace instamarket
