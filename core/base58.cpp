#include "core/base58.h"

#include <array>
#include <vector>

namespace instamarket {
namespace {

constexpr char kAlphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

constexpr std::array<signed char, 128> DigitTable() {
  std::array<signed char, 128> table{};
  for (auto& d : table) d = -1;
  for (int i = 0; i < 58; ++i)
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<signed char>(i);
  return table;
}
constexpr auto kDigits = DigitTable();

}  // namespace

std::string Base58Encode(std::string_view bytes) {
  std::size_t zeros = 0;
  while (zeros < bytes.size() && bytes[zeros] == 0) ++zeros;
  // Base-58 digits, least significant first: repeated multiply-and-add of each byte.
  std::vector<unsigned char> digits;
  for (std::size_t i = zeros; i < bytes.size(); ++i) {
    unsigned carry = static_cast<unsigned char>(bytes[i]);
    for (auto& d : digits) {
      carry += static_cast<unsigned>(d) << 8;
      d = static_cast<unsigned char>(carry % 58);
      carry /= 58;
    }
    while (carry > 0) {
      digits.push_back(static_cast<unsigned char>(carry % 58));
      carry /= 58;
    }
  }
  std::string out(zeros, '1');
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) out.push_back(kAlphabet[*it]);
  return out;
}

std::optional<std::string> Base58Decode(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::size_t ones = 0;
  while (ones < text.size() && text[ones] == '1') ++ones;
  std::vector<unsigned char> bytes;  // least significant first
  for (std::size_t i = ones; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 128 || kDigits[c] < 0) return std::nullopt;
    unsigned carry = static_cast<unsigned>(kDigits[c]);
    for (auto& b : bytes) {
      carry += static_cast<unsigned>(b) * 58;
      b = static_cast<unsigned char>(carry & 0xff);
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push_back(static_cast<unsigned char>(carry & 0xff));
      carry >>= 8;
    }
  }
  std::string out(ones, '\0');
  for (auto it = bytes.rbegin(); it != bytes.rend(); ++it) out.push_back(static_cast<char>(*it));
  return out;
}

}  // namespace instamarket
