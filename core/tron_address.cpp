#include "core/tron_address.h"

#include "core/base58.h"
#include "core/crypto.h"

namespace instamarket {

bool IsTronAddress(std::string_view address) {
  auto bytes = Base58Decode(address);
  if (!bytes || bytes->size() != 25 || static_cast<unsigned char>((*bytes)[0]) != 0x41) {
    return false;
  }
  std::string_view payload(bytes->data(), 21);
  return Sha256(Sha256(payload)).compare(0, 4, *bytes, 21, 4) == 0;
}

}  // namespace instamarket
