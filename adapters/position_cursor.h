#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "adapters/transfer.h"
#include "core/chain_cursor.h"
#include "core/result.h"

namespace instamarket {

// One record of a position-ordered feed: where it is, its cursor key, and the transfer to
// credit (none when the record is not a final incoming transfer of our token).
struct FeedRecord {
  std::int64_t position = 0;
  std::string key;
  std::optional<Transfer> transfer;
};

// The cursor of a feed ordered by a position that several records may share (Tron's block
// timestamp, TON's logical time), where a record may also be listed late, a little below
// positions already taken (an index filling shards out of order, endpoints a little apart). The
// next query starts `window` below the newest position taken, and the keys of the records taken
// within that window (ChainCursor::state: "key@position ...") are skipped. A record is never lost
// to a page boundary, a restart or a late listing within the window; the ledger's unique key
// makes anything read twice count once anyway.
class PositionCursor {
 public:
  PositionCursor(const ChainCursor& cursor, std::int64_t window);
  // A cursor where nothing below `floor` counts (`start: latest`, `start: <position>`).
  static ChainCursor Starting(std::int64_t floor);

  std::int64_t position() const { return position_; }  // the newest position taken
  std::int64_t QueryFrom() const;                      // where the next query starts
  // True when the record was taken before, or lies below the window (and so was, or never
  // will be, taken).
  bool Seen(std::int64_t position, const std::string& key) const;
  // Records a taken record. kUnavailable for a key the state cannot hold (empty, or with
  // whitespace, '@' or '^', its separators): a listing's key must never forge a floor or a
  // position in the stored state.
  Status Take(std::int64_t position, const std::string& key);
  // Whether the state holds `key`'s own entry (not merely text containing it).
  bool Holds(const std::string& key) const { return taken_.count(key) > 0; }
  // Nothing below `floor` counts from now on (a lower floor than the current one is ignored).
  void RaiseFloor(std::int64_t floor) { floor_ = std::max(floor_, floor); }
  ChainCursor ToChainCursor() const;

 private:
  std::int64_t position_ = 0;
  std::int64_t window_ = 0;
  std::int64_t floor_ = 0;                     // nothing below it counts
  std::map<std::string, std::int64_t> taken_;  // key -> position, within the window
};

}  // namespace instamarket
