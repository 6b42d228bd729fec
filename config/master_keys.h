#pragma once

#include "config/config.h"
#include "core/result.h"
#include "core/secret_box.h"

namespace instamarket {

// Reads the master keys that `secrets` names and builds the box that seals the database's
// secrets. Errors name the key: a missing setting, an unreadable file, a file that others can
// read (the key is worth every secret in the database), or a malformed key.
Result<SecretBox> LoadMasterKeys(const SecretsConfig& secrets);

}  // namespace instamarket
