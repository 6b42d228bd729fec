#include "core/chain_amount.h"

#include <algorithm>
#include <charconv>
#include <vector>

namespace instamarket {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string StripLeadingZeros(std::string digits) {
  auto first = digits.find_first_not_of('0');
  return first == std::string::npos ? "0" : digits.substr(first);
}

}  // namespace

Result<std::string> HexToDecimal(std::string_view hex) {
  if (hex.size() < 3 || hex[0] != '0' || (hex[1] != 'x' && hex[1] != 'X')) {
    return MakeError(ErrorCode::kInvalidArgument, "not a 0x-prefixed hex number");
  }
  hex.remove_prefix(2);
  while (hex.size() > 1 && hex.front() == '0') hex.remove_prefix(1);
  if (hex.size() > 64) return MakeError(ErrorCode::kInvalidArgument, "wider than 256 bits");
  // Decimal digits, least significant first; multiply by 16 and add, digit by digit.
  std::vector<int> digits{0};
  for (char c : hex) {
    int value = HexDigit(c);
    if (value < 0) return MakeError(ErrorCode::kInvalidArgument, "not a hex digit");
    int carry = value;
    for (int& d : digits) {
      int x = d * 16 + carry;
      d = x % 10;
      carry = x / 10;
    }
    while (carry > 0) {
      digits.push_back(carry % 10);
      carry /= 10;
    }
  }
  std::string out;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it)
    out.push_back(static_cast<char>('0' + *it));
  return StripLeadingZeros(out);
}

Result<std::string> RawDecimal(std::string_view digits) {
  if (digits.empty() || digits.size() > 78 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "\"" + std::string(digits) + "\" is not a whole number of base units");
  }
  return StripLeadingZeros(std::string(digits));
}

Result<MicroConversion> ToMicros(const ChainAmount& amount) {
  const std::string& raw = amount.raw;
  if (raw.empty() ||
      !std::all_of(raw.begin(), raw.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return MakeError(ErrorCode::kInvalidArgument, "raw amount must be decimal digits");
  }
  std::string digits = StripLeadingZeros(raw);
  MicroConversion out;
  out.dust_raw = "0";
  if (amount.decimals > 6) {
    // Split off the last (decimals - 6) digits: they are the part below one micro-USDT.
    auto cut = static_cast<std::size_t>(amount.decimals - 6);
    if (digits.size() <= cut) {
      out.dust_raw = digits;
      digits = "0";
    } else {
      out.dust_raw = StripLeadingZeros(digits.substr(digits.size() - cut));
      digits = StripLeadingZeros(digits.substr(0, digits.size() - cut));
    }
  } else if (amount.decimals < 6) {
    if (digits != "0") digits.append(static_cast<std::size_t>(6 - amount.decimals), '0');
  }
  std::int64_t micros = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), micros);
  if (ec != std::errc() || end != digits.data() + digits.size()) {
    return MakeError(ErrorCode::kInvalidArgument, "amount out of range: " + raw);
  }
  out.amount = Money::FromMicros(micros);
  return out;
}

Result<std::string> DecimalToRaw(std::string_view decimal, int decimals) {
  auto dot = decimal.find('.');
  std::string whole(decimal.substr(0, dot));
  std::string fraction = dot == std::string_view::npos ? "" : std::string(decimal.substr(dot + 1));
  if (whole.empty() || fraction.size() > static_cast<std::size_t>(decimals) ||
      !std::all_of(whole.begin(), whole.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      !std::all_of(fraction.begin(), fraction.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "not a decimal with at most " + std::to_string(decimals) + " places");
  }
  fraction.append(static_cast<std::size_t>(decimals) - fraction.size(), '0');
  return StripLeadingZeros(whole + fraction);
}

std::string RawToDecimalText(std::string_view signed_raw, int decimals) {
  bool negative = !signed_raw.empty() && signed_raw[0] == '-';
  std::string_view digits = signed_raw.substr(negative ? 1 : 0);
  if (digits.empty() || decimals < 0 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::string(signed_raw);
  }
  std::string padded(digits);
  if (padded.size() <= static_cast<std::size_t>(decimals)) {
    padded.insert(0, static_cast<std::size_t>(decimals) + 1 - padded.size(), '0');
  }
  std::string whole = StripLeadingZeros(padded.substr(0, padded.size() - decimals));
  std::string fraction = padded.substr(padded.size() - decimals);
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  std::string out = whole + (fraction.empty() ? "" : "." + fraction);
  return negative && out != "0" ? "-" + out : out;
}

}  // namespace instamarket
