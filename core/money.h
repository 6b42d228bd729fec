#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace instamarket {

// An amount of USDT in micro-USDT (6 decimals), the only money type in the project.
// Arithmetic is checked: an overflow is an error, never a wrap-around.
class Money {
 public:
  static constexpr std::int64_t kMicrosPerUsdt = 1'000'000;

  constexpr Money() = default;
  static constexpr Money FromMicros(std::int64_t micros) { return Money(micros); }

  // Parses a decimal text such as "12", "12.34", "0.000001", "-5.5" or "1e2" (JSON number
  // syntax, or a plain decimal). More than 6 fractional digits that are not zero is an error:
  // a money amount is never rounded silently.
  static Result<Money> Parse(std::string_view text);

  constexpr std::int64_t micros() const { return micros_; }

  // "12.34", "50.0", "0.000001", "-1.5": a JSON number whose value is exactly this amount.
  std::string ToJsonNumber() const;

  std::optional<Money> CheckedAdd(Money other) const;
  std::optional<Money> CheckedSub(Money other) const;
  std::optional<Money> CheckedMul(std::int64_t factor) const;

  friend constexpr bool operator==(Money, Money) = default;
  friend constexpr auto operator<=>(Money, Money) = default;

 private:
  constexpr explicit Money(std::int64_t micros) : micros_(micros) {}
  std::int64_t micros_ = 0;
};

}  // namespace instamarket
