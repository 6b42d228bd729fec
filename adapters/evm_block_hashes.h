#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "adapters/transfer.h"
#include "core/chain_cursor.h"
#include "core/result.h"

namespace instamarket {

// The hashes of blocks an EVM network's watcher has already scanned (as final), kept in its
// cursor's opaque state so that the ledger stores them atomically with the position. Each poll
// checks the newest against the node: a different hash means the chain replaced blocks we took
// as final (a reorg deeper than the configured finality), and the scan walks back to the newest
// kept block the node still has. Only range ends are kept (one per scan, not every block): a
// walk back to a kept block below the true common ancestor rescans a little more, which the
// ledger's idempotence makes harmless. Old entries are thinned (every other one of the older
// half) so that kMaxKept entries reach far back; the state stays under ~10 KB.
struct KeptBlock {
  std::int64_t height = 0;
  std::string hash;  // lowercase "0x" + 64 hex digits

  friend bool operator==(const KeptBlock&, const KeptBlock&) = default;
};

class ScannedBlockHashes {
 public:
  static constexpr std::size_t kMaxKept = 128;

  // "" (a cursor from before hashes were kept, or a fresh one) is none kept. kInvalidArgument
  // when the text is not what Encode writes.
  static Result<ScannedBlockHashes> Decode(const std::string& state);
  std::string Encode() const;

  // Keeps `hash` as the block at `height`, above every kept one (entries at or above `height`
  // are dropped first). kInvalidArgument for a hash that is not 32 bytes of hex.
  Status Keep(std::int64_t height, const std::string& hash);
  // Forgets the blocks above `height` (they were replaced).
  void DropAbove(std::int64_t height);

  const std::vector<KeptBlock>& blocks() const { return blocks_; }
  // The first position never scanned before: blocks below it were taken as final once, so a
  // scan below it is a re-scan after a reorg. Never goes down.
  std::int64_t high_water() const { return high_water_; }
  void RaiseHighWater(std::int64_t position) { high_water_ = std::max(high_water_, position); }

 private:
  std::vector<KeptBlock> blocks_;  // ascending heights
  std::int64_t high_water_ = 0;
};

// "0x" + 64 lowercase hex digits: a hash from a node that is not one is garbage, never a
// reorg.
bool IsEvmBlockHash(const std::string& s);

// A node's answer to eth_getBlockByNumber(height, false): the block's hash (lowercased), or
// nullopt for null (no such block). kUnavailable for anything else: not an object, no hash,
// another block's number, a hash that is not 32 bytes of hex. A hostile answer is never a reorg.
Result<std::optional<std::string>> ParseBlockHashReply(const nlohmann::json& reply,
                                                       std::int64_t height);

// The node's canonical hash of the block at `height`, asked fresh (never from a cache), or
// nullopt when the node has no block there (yet). kUnavailable when the call fails.
using BlockHashAt = std::function<Result<std::optional<std::string>>(std::int64_t height)>;

// Blocks the chain replaced after we had scanned them as final.
struct DeepReorg {
  std::int64_t replaced_height = 0;  // the newest kept block, which the node no longer has
  std::string kept_hash;             // what we had scanned there
  std::string node_hash;             // what the node has there now
  // The newest kept block the node still has: the scan resumes above it. When none of the kept
  // blocks is still there (a reorg deeper than what is kept), the oldest kept height - 1 and
  // ancestor_found false: the scan resumes at the oldest kept block, and anything below it is
  // not re-checked (the log says so).
  std::int64_t ancestor_height = 0;
  std::string ancestor_hash;
  bool ancestor_found = true;
};

// Compares the newest kept block with the node's; on a mismatch walks back through the kept
// blocks (newest first) to the newest the node still has. nullopt: the chain continues what we
// scanned, or the node has no block at the newest kept height yet (a node behind: nothing is
// decided) — unless the node's own final height (when given) is at or above it: then it is
// unavailable, as is a node with no block at a lower kept height; neither is a reorg.
Result<std::optional<DeepReorg>> FindDeepReorg(
    const ScannedBlockHashes& kept, const BlockHashAt& node_hash_at,
    std::int64_t node_final_height = std::numeric_limits<std::int64_t>::min());

// One poll's continuity checks, around an EVM adapter's scan of [cursor.position, next):
//   Begin  before scanning: the kept hashes from cursor.state; on a deep reorg it fills
//          batch.deep_reorg and moves batch.next back (the caller returns that batch, scanning
//          nothing); otherwise pins the hash of the final block.
//   End    after scanning: keeps the hash of the last scanned block in batch.next.state (the
//          pin when that is the final block; otherwise asked, and the pin asked again: a chain
//          that changed during the scan is unavailable), and sets batch.rescanning_below when
//          the range lies below the high water.
// A pin taken before the logs means logs of a fork other than the pinned block's are caught by
// the next poll's check of that block. Blocking; one per poll.
class ScanContinuity {
 public:
  explicit ScanContinuity(BlockHashAt node_hash_at) : node_hash_at_(std::move(node_hash_at)) {}

  Status Begin(const ChainCursor& cursor, std::int64_t final_height, ChainBatch& batch);
  Status End(const ChainCursor& cursor, ChainBatch& batch);

 private:
  Result<std::string> MustHave(std::int64_t height);

  BlockHashAt node_hash_at_;
  ScannedBlockHashes kept_;
  std::int64_t pinned_height_ = -1;
  std::string pinned_hash_;
};

}  // namespace instamarket
