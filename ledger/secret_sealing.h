#pragma once

#include <map>
#include <string>

#include "core/result.h"

namespace instamarket {

class PgPool;
class SecretBox;

struct SealingReport {
  int keys = 0;                              // API keys looked at
  int sealed_clear_text = 0;                 // clear-text HMAC secrets sealed (the upgrade to 0006)
  int new_webhook_secrets = 0;               // keys that had no webhook secret and got one
  int resealed = 0;                          // secrets sealed again under the current master key
  std::map<std::string, int> by_master_key;  // sealed secrets per master key id, afterwards
};

enum class SealingScope {
  kClearTextOnly,    // after migrations: seal what the upgrade left in clear, nothing else
  kAllUnderCurrent,  // master key rotation: every secret ends up under the current key
};

// Walks every API key in one transaction (rows locked), so concurrent instances never seal a
// secret twice or lose one. Secrets sealed under a master key the box does not hold fail the
// whole run (kFailedPrecondition), changing nothing.
Result<SealingReport> SealSecrets(PgPool& pool, const SecretBox& box, SealingScope scope);

// Counts sealed secrets per master key id, and clear-text ones under "clear". Read-only.
Result<std::map<std::string, int>> CountSecretsByMasterKey(PgPool& pool);

}  // namespace instamarket
