#include "api/query_params.h"

#include <charconv>

namespace instamarket {
namespace {
// Text goes to PostgreSQL, which refuses invalid UTF-8: check it here and answer 422.
bool IsValidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra = c < 0x80           ? 0
                        : (c >> 5) == 0x6  ? 1
                        : (c >> 4) == 0xe  ? 2
                        : (c >> 3) == 0x1e ? 3
                                           : 9;
    if (extra == 9 || c == 0 || i + extra >= s.size()) return false;
    std::uint32_t cp = extra == 0 ? c : c & (0x3f >> extra);
    for (std::size_t k = 1; k <= extra; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += extra + 1;
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = HexValue(text[i + 1]);
      int lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<QueryParams> QueryParams::Parse(std::string_view query) {
  QueryParams params;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto name = PercentDecode(pair.substr(0, eq));
    auto value =
        PercentDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!name || !value) {
      return MakeError(ErrorCode::kInvalidArgument, "malformed percent-encoding in the query");
    }
    if (!params.values_.emplace(*name, *value).second) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "query parameter \"" + name->substr(0, 40) + "\" is given twice");
    }
  }
  return params;
}

std::optional<std::string> QueryParams::Text(const std::string& name, std::size_t max_length,
                                             std::vector<FieldError>& errors) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  if (it->second.empty() || it->second.size() > max_length || !IsValidUtf8(it->second)) {
    errors.push_back({name, "must be 1 to " + std::to_string(max_length) + " bytes of UTF-8 text"});
    return std::nullopt;
  }
  return it->second;
}

std::int64_t QueryParams::Integer(const std::string& name, std::int64_t fallback, std::int64_t min,
                                  std::int64_t max, std::vector<FieldError>& errors) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  const std::string& text = it->second;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    errors.push_back(
        {name, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max)});
    return fallback;
  }
  return value;
}

std::optional<Money> QueryParams::Amount(const std::string& name,
                                         std::vector<FieldError>& errors) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  auto amount = Money::Parse(it->second);
  if (!amount || amount->micros() < 0) {
    errors.push_back({name, "must be a non-negative USDT amount with at most 6 decimals"});
    return std::nullopt;
  }
  return *amount;
}

}  // namespace instamarket
