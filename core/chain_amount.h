#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/money.h"
#include "core/result.h"

namespace instamarket {

// A token amount as the chain states it: base units (up to 256 bits on EVM) and the token's
// decimals. Kept exactly, as a decimal string, beside whatever we credit.
struct ChainAmount {
  std::string raw;  // base units, decimal digits without leading zeros ("0" for zero)
  int decimals = 6;
};

// "0x..." (a JSON-RPC quantity or a 32-byte log data word) to decimal digits. kInvalidArgument
// for anything that is not hex or is wider than 256 bits.
Result<std::string> HexToDecimal(std::string_view hex);

// Base units as APIs write them ("1062000000", at most 78 digits) to ChainAmount::raw's form.
// kInvalidArgument for anything but decimal digits.
Result<std::string> RawDecimal(std::string_view digits);

struct MicroConversion {
  Money amount;          // what is credited: whole micro-USDT
  std::string dust_raw;  // base units below one micro-USDT, not credited ("0" when exact)
};

// Converts base units to micro-USDT exactly. With more than 6 decimals (BSC USDT has 18), the
// part below one micro-USDT cannot be credited: it is returned as dust, never rounded up.
// kInvalidArgument when the amount does not fit in int64 micro-USDT.
Result<MicroConversion> ToMicros(const ChainAmount& amount);

// Signed base units ("-1500000") as a token amount with `decimals` places, trailing zeros
// dropped ("-1.5"); for reports. Returns the input unchanged when it is not an integer.
std::string RawToDecimalText(std::string_view signed_raw, int decimals);

// "100.01" with 18 decimals -> "100010000000000000000". For tests and tools.
Result<std::string> DecimalToRaw(std::string_view decimal, int decimals);

}  // namespace instamarket
