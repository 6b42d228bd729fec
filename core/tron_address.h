#pragma once

#include <string_view>

namespace instamarket {

// A Tron address in its usual form (T...): Base58Check of 21 bytes, 0x41 then the 20-byte
// account, with the first 4 bytes of a double SHA-256 as checksum.
bool IsTronAddress(std::string_view address);

}  // namespace instamarket
