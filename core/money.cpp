#include "core/money.h"

#include <charconv>
#include <limits>

namespace instamarket {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

Error BadAmount(std::string_view text, const char* why) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "invalid amount \"" + std::string(text.substr(0, 40)) + "\": " + why);
}

}  // namespace

Result<Money> Money::Parse(std::string_view text) {
  std::string_view rest = text;
  bool negative = false;
  if (!rest.empty() && (rest.front() == '-' || rest.front() == '+')) {
    negative = rest.front() == '-';
    rest.remove_prefix(1);
  }
  // Collect the significant digits and the position of the decimal point, then apply any
  // exponent, all in integer arithmetic.
  std::string digits;
  int fraction_digits = 0;
  bool seen_point = false;
  std::size_t i = 0;
  for (; i < rest.size(); ++i) {
    char c = rest[i];
    if (IsDigit(c)) {
      digits.push_back(c);
      if (seen_point) ++fraction_digits;
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  if (digits.empty()) return BadAmount(text, "not a number");
  if (seen_point && (rest.front() == '.' || rest[i - 1] == '.')) {
    return BadAmount(text, "a decimal point needs digits on both sides");
  }
  int exponent = 0;
  if (i < rest.size()) {
    if (rest[i] != 'e' && rest[i] != 'E') return BadAmount(text, "not a number");
    std::string_view exp_text = rest.substr(i + 1);
    if (!exp_text.empty() && exp_text.front() == '+') exp_text.remove_prefix(1);
    auto [end, ec] = std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);
    if (ec != std::errc() || end != exp_text.data() + exp_text.size() || exp_text.empty() ||
        exponent > 100 || exponent < -100) {
      return BadAmount(text, "bad exponent");
    }
  }
  // The value is digits × 10^(exponent - fraction_digits); we want it × 10^6.
  int scale = exponent - fraction_digits + 6;
  if (scale < 0) {
    // Drop trailing digits that must all be zero.
    auto drop = static_cast<std::size_t>(-scale);
    if (drop > digits.size()) {
      for (char c : digits) {
        if (c != '0') return BadAmount(text, "more than 6 decimal places");
      }
      digits = "0";
    } else {
      for (std::size_t k = digits.size() - drop; k < digits.size(); ++k) {
        if (digits[k] != '0') return BadAmount(text, "more than 6 decimal places");
      }
      digits.resize(digits.size() - drop);
      if (digits.empty()) digits = "0";
    }
    scale = 0;
  }
  // Strip leading zeros so the length check below means something.
  std::size_t first = digits.find_first_not_of('0');
  digits = first == std::string::npos ? "0" : digits.substr(first);
  if (digits.size() + static_cast<std::size_t>(scale) > 19) return BadAmount(text, "too large");
  digits.append(static_cast<std::size_t>(scale), '0');
  std::int64_t micros = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), micros);
  if (ec != std::errc() || end != digits.data() + digits.size()) {
    return BadAmount(text, "too large");
  }
  return Money(negative ? -micros : micros);
}

std::string Money::ToJsonNumber() const {
  // Work in unsigned so that the most negative value prints too.
  bool negative = micros_ < 0;
  std::uint64_t magnitude = negative ? 0 - static_cast<std::uint64_t>(micros_)
                                     : static_cast<std::uint64_t>(micros_);
  std::uint64_t whole = magnitude / kMicrosPerUsdt;
  std::uint64_t fraction = magnitude % kMicrosPerUsdt;
  std::string out = negative ? "-" : "";
  out += std::to_string(whole);
  out += '.';
  std::string frac = std::to_string(fraction);
  frac.insert(0, 6 - frac.size(), '0');
  while (frac.size() > 1 && frac.back() == '0') frac.pop_back();
  out += frac;
  return out;
}

std::optional<Money> Money::CheckedAdd(Money other) const {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(micros_, other.micros_, &sum)) return std::nullopt;
  return Money(sum);
}

std::optional<Money> Money::CheckedSub(Money other) const {
  std::int64_t diff = 0;
  if (__builtin_sub_overflow(micros_, other.micros_, &diff)) return std::nullopt;
  return Money(diff);
}

std::optional<Money> Money::CheckedMul(std::int64_t factor) const {
  std::int64_t product = 0;
  if (__builtin_mul_overflow(micros_, factor, &product)) return std::nullopt;
  return Money(product);
}

}  // namespace instamarket
