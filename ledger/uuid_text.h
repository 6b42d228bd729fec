#pragma once

#include <cctype>
#include <string>

namespace instamarket {

// Whether `s` is a UUID in its canonical text form (8-4-4-4-12 hex), as ids from clients must be
// before they reach a ::uuid cast (which would fail the statement instead of answering 404).
inline bool IsUuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-')) return false;
    if (!dash && !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

}  // namespace instamarket
