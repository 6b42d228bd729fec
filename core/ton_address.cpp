#include "core/ton_address.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>

#include "core/crypto.h"

namespace instamarket {
namespace {

std::uint16_t Crc16Xmodem(std::string_view data) {
  std::uint16_t crc = 0;
  for (unsigned char byte : data) {
    crc ^= static_cast<std::uint16_t>(byte << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<std::uint16_t>(crc << 1);
    }
  }
  return crc;
}

int Base64Digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

Error Invalid(std::string_view address, const std::string& why) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "\"" + std::string(address) + "\" is not a TON address: " + why);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

Result<std::string> TonRawAddress(std::string_view address) {
  if (auto colon = address.find(':'); colon != std::string_view::npos) {
    std::string_view workchain = address.substr(0, colon);
    std::string_view account = address.substr(colon + 1);
    int wc = 0;
    auto [end, ec] = std::from_chars(workchain.data(), workchain.data() + workchain.size(), wc);
    if (ec != std::errc() || end != workchain.data() + workchain.size() || wc < -128 || wc > 127)
      return Invalid(address, "the workchain before ':' is not a number");
    if (account.size() != 64 || !std::all_of(account.begin(), account.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c));
        }))
      return Invalid(address, "the account after ':' must be 64 hex digits");
    return std::to_string(wc) + ":" + Lower(account);
  }
  if (address.size() != 48) {
    return Invalid(address, "expected raw form (0:<64 hex>) or 48 base64 characters");
  }
  std::string bytes;
  for (std::size_t i = 0; i < 48; i += 4) {
    std::uint32_t group = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      int d = Base64Digit(address[i + j]);
      if (d < 0) return Invalid(address, "a character outside base64");
      group = group << 6 | static_cast<std::uint32_t>(d);
    }
    bytes.push_back(static_cast<char>(group >> 16));
    bytes.push_back(static_cast<char>(group >> 8 & 0xff));
    bytes.push_back(static_cast<char>(group & 0xff));
  }
  std::uint16_t crc = Crc16Xmodem(std::string_view(bytes).substr(0, 34));
  if (static_cast<unsigned char>(bytes[34]) != crc >> 8 ||
      static_cast<unsigned char>(bytes[35]) != (crc & 0xff))
    return Invalid(address, "the checksum does not match");
  auto flags = static_cast<unsigned char>(bytes[0]) & 0x7f;  // without the test-only bit 0x80
  if (flags != 0x11 && flags != 0x51) return Invalid(address, "unknown address flags");
  auto wc = static_cast<signed char>(bytes[1]);
  return std::to_string(static_cast<int>(wc)) + ":" + ToHex(std::string_view(bytes).substr(2, 32));
}

}  // namespace instamarket
