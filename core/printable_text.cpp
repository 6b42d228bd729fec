#include "core/printable_text.h"

namespace instamarket {

std::string PrintableUtf8(std::string_view text, std::size_t max_bytes) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = c < 0x80         ? 1
                      : (c >> 5) == 6  ? 2
                      : (c >> 4) == 14 ? 3
                      : (c >> 3) == 30 ? 4
                                       : 0;
    bool valid = len > 0 && i + len <= text.size();
    for (std::size_t k = 1; valid && k < len; ++k) {
      valid = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
    }
    std::string_view piece;
    if (!valid) {
      piece = "\xef\xbf\xbd";  // U+FFFD
      len = 1;
    } else if (len == 1 && (c < 0x20 || c == 0x7f)) {
      piece = " ";
    } else {
      piece = text.substr(i, len);
    }
    if (out.size() + piece.size() > max_bytes) break;
    out += piece;
    i += len;
  }
  return out;
}

}  // namespace instamarket
