#include "adapters/position_cursor.h"

#include <sstream>

namespace instamarket {

PositionCursor::PositionCursor(const ChainCursor& cursor) : position_(cursor.position) {
  std::istringstream in(cursor.state);
  for (std::string key; in >> key;) keys_.insert(key);
}

bool PositionCursor::Seen(std::int64_t position, const std::string& key) const {
  return position < position_ || (position == position_ && keys_.count(key) > 0);
}

void PositionCursor::Take(std::int64_t position, const std::string& key) {
  if (position < position_) return;
  if (position > position_) {
    position_ = position;
    keys_.clear();
  }
  keys_.insert(key);
}

ChainCursor PositionCursor::ToChainCursor() const {
  std::string state;
  for (const auto& key : keys_) {
    if (!state.empty()) state += ' ';
    state += key;
  }
  return ChainCursor{position_, state};
}

}  // namespace instamarket
