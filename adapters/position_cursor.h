#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "adapters/transfer.h"
#include "core/chain_cursor.h"

namespace instamarket {

// One record of a position-ordered feed: where it is, its cursor key, and the transfer to
// credit (none when the record is not a final incoming transfer of our token).
struct FeedRecord {
  std::int64_t position = 0;
  std::string key;
  std::optional<Transfer> transfer;
};

// The cursor of a feed ordered by a position that several records may share (Tron's block
// timestamp, TON's logical time): the next query starts at `position` itself, and the keys of the
// records already taken at that position (ChainCursor::state, space-separated) are skipped.
// Asking from the position inclusively means a record is never lost to a page boundary or a
// restart between two records of one position.
class PositionCursor {
 public:
  explicit PositionCursor(const ChainCursor& cursor);

  std::int64_t position() const { return position_; }
  // True when a record at `position` with `key` was taken before.
  bool Seen(std::int64_t position, const std::string& key) const;
  // Records a taken record; positions only move forward.
  void Take(std::int64_t position, const std::string& key);
  ChainCursor ToChainCursor() const;

 private:
  std::int64_t position_ = 0;
  std::set<std::string> keys_;  // taken at position_
};

}  // namespace instamarket
