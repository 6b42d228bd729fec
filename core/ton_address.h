#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace instamarket {

// A TON address in raw form, "workchain:64 hex digits" in lowercase ("0:b113a994..."), from
// either form people write: raw (any case) or user-friendly (48 characters of base64 or
// base64url: flags, workchain, 32-byte account, CRC16-XMODEM, which is checked). APIs answer in
// raw form, so addresses are compared in it. kInvalidArgument says what is wrong.
Result<std::string> TonRawAddress(std::string_view address);

}  // namespace instamarket
