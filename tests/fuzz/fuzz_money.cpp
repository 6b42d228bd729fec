// Money::Parse (request bodies, query strings, config) and the chain-amount conversions (node
// replies), with the properties the ledger relies on: what is parsed prints back to the same
// amount, and the chain-unit path agrees with the decimal one.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/chain_amount.h"
#include "core/money.h"

using instamarket::ChainAmount;
using instamarket::DecimalToRaw;
using instamarket::HexToDecimal;
using instamarket::Money;
using instamarket::RawDecimal;
using instamarket::ToMicros;

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto money = Money::Parse(text)) {
    std::string printed = money->ToJsonNumber();
    auto again = Money::Parse(printed);
    Check(again.ok() && *again == *money);
    if (money->micros() >= 0) {
      // The same amount as USDT base units (6 decimals) and back.
      auto raw = DecimalToRaw(printed, 6);
      Check(raw.ok() && *raw == std::to_string(money->micros()));
      auto micros = ToMicros(ChainAmount{*raw, 6});
      Check(micros.ok() && micros->amount == *money && micros->dust_raw == "0");
    }
    (void)money->CheckedAdd(*money);
    (void)money->CheckedSub(Money::FromMicros(-money->micros()));
    (void)money->CheckedMul(money->micros());
  }

  // Node replies: a hex quantity or decimal digits, with any token decimals a config may set.
  int decimals = size > 0 ? data[0] % 31 : 6;
  if (auto raw = HexToDecimal(text)) {
    Check(RawDecimal(*raw).ok());
    (void)ToMicros(ChainAmount{*raw, decimals});
  }
  if (auto raw = RawDecimal(text)) {
    if (auto micros = ToMicros(ChainAmount{*raw, decimals})) {
      Check(RawDecimal(micros->dust_raw).ok());
    }
  }
  (void)DecimalToRaw(text, decimals);
  return 0;
}
