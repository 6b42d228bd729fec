#include "adapters/position_cursor.h"

#include <algorithm>
#include <charconv>
#include <sstream>

namespace instamarket {
namespace {
constexpr char kFloorKey[] = "^";  // not a key any feed uses
}  // namespace

ChainCursor PositionCursor::Starting(std::int64_t floor) {
  return ChainCursor{floor, std::string(kFloorKey) + "@" + std::to_string(floor)};
}

PositionCursor::PositionCursor(const ChainCursor& cursor, std::int64_t window)
    : position_(cursor.position), window_(window) {
  std::istringstream in(cursor.state);
  for (std::string entry; in >> entry;) {
    auto at = entry.rfind('@');
    std::int64_t position = position_;
    if (at != std::string::npos) {
      std::from_chars(entry.data() + at + 1, entry.data() + entry.size(), position);
      entry.resize(at);
    }
    if (entry == kFloorKey) {
      floor_ = position;
    } else {
      taken_[entry] = position;
    }
  }
}

std::int64_t PositionCursor::QueryFrom() const {
  return std::max(floor_, position_ > window_ ? position_ - window_ : 0);
}

bool PositionCursor::Seen(std::int64_t position, const std::string& key) const {
  return position < QueryFrom() || taken_.count(key) > 0;
}

Status PositionCursor::Take(std::int64_t position, const std::string& key) {
  if (key.empty() || key.find_first_of(" \t\n\r\v\f@^") != std::string::npos)
    return MakeError(ErrorCode::kUnavailable,
                     "a feed record's key is not storable in the cursor: " + key.substr(0, 80));
  taken_[key] = position;
  if (position <= position_) return OkStatus();
  position_ = position;
  for (auto it = taken_.begin(); it != taken_.end();) {
    it = it->second < QueryFrom() ? taken_.erase(it) : std::next(it);
  }
  return OkStatus();
}

ChainCursor PositionCursor::ToChainCursor() const {
  std::string state;
  if (floor_ > (position_ > window_ ? position_ - window_ : 0)) {
    state = std::string(kFloorKey) + "@" + std::to_string(floor_);
  }
  for (const auto& [key, position] : taken_) {
    if (!state.empty()) state += ' ';
    state += key + "@" + std::to_string(position);
  }
  return ChainCursor{position_, state};
}

}  // namespace instamarket
