#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace instamarket {

// Seals secrets that the database stores (HMAC and webhook secrets) with AES-256-GCM under a
// master key kept outside the database, so a dump or a replica alone reveals none of them.
//
// A sealed value is text: "v1:" + the master key's id (8 hex digits) + ":" + hex(nonce ||
// ciphertext || tag). `context` (which row and column the secret belongs to) is authenticated
// as associated data, so a sealed value copied to another key's row does not open.
//
// One master key seals; previous ones still open, so the master key can be rotated without
// downtime (docs/operations.md). Thread-safe: immutable after construction.
class SecretBox {
 public:
  // `current` and each of `previous` are 32 raw bytes. kInvalidArgument otherwise.
  static Result<SecretBox> Create(std::string current, std::vector<std::string> previous = {});

  std::string Seal(std::string_view plaintext, std::string_view context) const;
  // kFailedPrecondition when sealed under a master key this box does not hold; kInternal when
  // the value was altered, belongs to another context, or is not a sealed value at all.
  Result<std::string> Open(std::string_view sealed, std::string_view context) const;

  // The id of the master key that seals: 8 hex digits of a hash of the key (not the key).
  const std::string& current_key_id() const { return keys_.front().id; }
  // Whether this box holds the master key with this id.
  bool Holds(std::string_view key_id) const {
    for (const auto& k : keys_) {
      if (k.id == key_id) return true;
    }
    return false;
  }
  // The master key id a sealed value names ("" when it is not a sealed value).
  static std::string KeyIdOf(std::string_view sealed);

  // A master key's id, as above.
  static std::string KeyId(std::string_view key);

 private:
  struct MasterKey {
    std::string id;
    std::string bytes;
  };
  explicit SecretBox(std::vector<MasterKey> keys) : keys_(std::move(keys)) {}

  std::vector<MasterKey> keys_;  // front() seals
};

// Reads a master key as text: 64 hex digits or base64 of 32 bytes, surrounding whitespace
// ignored. kInvalidArgument naming `what` otherwise.
Result<std::string> ParseMasterKey(std::string_view text, const std::string& what);

}  // namespace instamarket
