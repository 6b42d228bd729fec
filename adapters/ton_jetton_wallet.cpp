#include "adapters/ton_jetton_wallet.h"

#include <cstdint>

#include "adapters/json_field.h"
#include "core/crypto.h"

namespace instamarket {
namespace {

Error Garbage(const std::string& what) {
  return MakeError(ErrorCode::kUnavailable, "unexpected get_wallet_address reply: " + what);
}

std::string Base64Encode(const std::string& bytes) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    std::uint32_t n = static_cast<unsigned char>(bytes[i]) << 16 |
                      static_cast<unsigned char>(bytes[i + 1]) << 8 |
                      static_cast<unsigned char>(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(n >> s) & 63];
  }
  if (i < bytes.size()) {
    std::uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// The root cell's data bits of a bag of cells ("b5ee9c72"), or empty when it is not one.
std::string RootCellBits(const std::string& boc) {
  std::size_t pos = 0;
  bool ok = true;
  auto uint = [&](std::size_t bytes) {
    std::uint64_t v = 0;
    if (pos + bytes > boc.size()) {
      ok = false;
      return v;
    }
    for (std::size_t i = 0; i < bytes; ++i) v = v << 8 | static_cast<unsigned char>(boc[pos + i]);
    pos += bytes;
    return v;
  };
  if (uint(4) != 0xb5ee9c72) return "";
  std::uint64_t flags = uint(1);
  std::size_t ref_size = flags & 7, offset_size = uint(1);
  if (!ok || ref_size == 0 || ref_size > 4 || offset_size == 0 || offset_size > 8) return "";
  std::uint64_t cells = uint(ref_size), roots = uint(ref_size);
  uint(ref_size);
  uint(offset_size);
  if (!ok || cells < 1 || cells > 64 || roots < 1) return "";
  std::uint64_t root = uint(ref_size);
  pos += (roots - 1) * ref_size;
  if (flags & 0x80) pos += cells * offset_size;
  for (std::uint64_t c = 0; c < cells && ok; ++c) {
    std::uint64_t d1 = uint(1), d2 = uint(1);
    if (!ok || d1 & 8) return "";  // exotic cells hold no address
    if (d1 & 16) pos += ((d1 >> 5) + 1) * (32 + 2);
    std::size_t size = (d2 + 1) / 2;
    if (pos + size > boc.size()) return "";
    std::string bits;
    if (c == root) {
      for (std::size_t i = 0; i < size; ++i)
        for (int b = 7; b >= 0; --b) bits += (boc[pos + i] >> b & 1) ? '1' : '0';
      if (d2 % 2 == 1) {  // a partial last byte: drop the completion tag (a 1, then 0s)
        auto last_one = bits.rfind('1');
        if (last_one == std::string::npos) return "";
        bits.resize(last_one);
      }
      return bits;
    }
    pos += size + (d1 & 7) * ref_size;
  }
  return "";
}

}  // namespace

std::string TonAddressSliceBoc(const std::string& raw_address) {
  auto colon = raw_address.find(':');
  int workchain = std::stoi(raw_address.substr(0, colon));
  std::string account = HexDecode(raw_address.substr(colon + 1)).value_or(std::string(32, '\0'));
  // addr_std$10 anycast:nothing$0 workchain_id:int8 address:bits256 = 267 bits, then the
  // completion tag: 34 bytes.
  std::string bits = "100";
  for (int b = 7; b >= 0; --b) bits += (static_cast<std::uint8_t>(workchain) >> b & 1) ? '1' : '0';
  for (unsigned char c : account)
    for (int b = 7; b >= 0; --b) bits += (c >> b & 1) ? '1' : '0';
  bits += '1';
  while (bits.size() % 8) bits += '0';
  std::string data;
  for (std::size_t i = 0; i < bits.size(); i += 8)
    data += static_cast<char>(std::stoi(bits.substr(i, 8), nullptr, 2));
  std::string cell = std::string{'\x00', static_cast<char>(267 / 8 + (267 + 7) / 8)} + data;
  std::string boc = std::string("\xb5\xee\x9c\x72", 4) + '\x01' + '\x01' + '\x01' + '\x01' +
                    '\x00' + static_cast<char>(cell.size()) + '\x00' + cell;
  return Base64Encode(boc);
}

Result<std::string> ParseTonWalletAddress(const nlohmann::json& body) {
  const auto& exit_code = JsonField(body, "exit_code");
  if (!exit_code.is_number_integer()) return Garbage("no exit_code");
  if (exit_code != 0 && exit_code != 1)
    return MakeError(ErrorCode::kFailedPrecondition,
                     "get_wallet_address failed with exit code " + exit_code.dump() +
                         " (the configured token is not a jetton master)");
  const auto& stack = JsonField(body, "stack");
  if (!stack.is_array() || stack.empty()) return Garbage("nothing on the stack");
  const auto& entry = stack.front();
  const auto& type = JsonField(entry, "type");
  const auto& value = JsonField(entry, "value");
  if ((type != "cell" && type != "slice") || !value.is_string())
    return Garbage("no cell on the stack (" + entry.dump().substr(0, 80) + ")");
  auto boc = Base64Decode(value.get<std::string>());
  if (!boc) return Garbage("the cell is not base64");
  std::string bits = RootCellBits(*boc);
  if (bits.size() < 267 || bits.compare(0, 3, "100") != 0)
    return Garbage("the cell holds no addr_std");
  int workchain = static_cast<std::int8_t>(std::stoi(bits.substr(3, 8), nullptr, 2));
  std::string account;
  for (std::size_t i = 11; i < 267; i += 8)
    account += static_cast<char>(std::stoi(bits.substr(i, 8), nullptr, 2));
  return std::to_string(workchain) + ":" + ToHex(account);
}

}  // namespace instamarket
