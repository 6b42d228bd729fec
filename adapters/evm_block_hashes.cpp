#include "adapters/evm_block_hashes.h"

#include <algorithm>
#include <charconv>
#include <sstream>

#include "adapters/evm_adapter.h"
#include "adapters/json_field.h"

namespace instamarket {
namespace {

constexpr char kVersion[] = "v1";

}  // namespace

bool IsEvmBlockHash(const std::string& s) {
  return s.size() == 66 && s[0] == '0' && s[1] == 'x' &&
         std::all_of(s.begin() + 2, s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

namespace {

Error BadState(const std::string& why) {
  return MakeError(ErrorCode::kInvalidArgument, "the cursor's block hashes are corrupt: " + why);
}

bool ParseHeight(const std::string& s, std::int64_t* out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size() && *out >= 0;
}

}  // namespace

// "v1 HIGH_WATER HEIGHT:HEX64 HEIGHT:HEX64 ..." (hashes without their 0x, ascending heights).
Result<ScannedBlockHashes> ScannedBlockHashes::Decode(const std::string& state) {
  ScannedBlockHashes out;
  if (state.empty()) return out;
  std::istringstream in(state);
  std::string word;
  if (!(in >> word) || word != kVersion) return BadState("unknown version");
  if (!(in >> word) || !ParseHeight(word, &out.high_water_)) return BadState("no high water");
  while (in >> word) {
    auto colon = word.find(':');
    KeptBlock b;
    if (colon == std::string::npos || !ParseHeight(word.substr(0, colon), &b.height))
      return BadState("a block without a height");
    b.hash = "0x" + word.substr(colon + 1);
    if (!IsEvmBlockHash(b.hash)) return BadState("a block hash is not 32 bytes of hex");
    if (!out.blocks_.empty() && out.blocks_.back().height >= b.height)
      return BadState("heights out of order");
    out.blocks_.push_back(std::move(b));
  }
  if (out.blocks_.size() > kMaxKept) return BadState("too many blocks");
  return out;
}

std::string ScannedBlockHashes::Encode() const {
  if (blocks_.empty() && high_water_ == 0) return "";
  std::string out = std::string(kVersion) + " " + std::to_string(high_water_);
  for (const auto& b : blocks_) out += " " + std::to_string(b.height) + ":" + b.hash.substr(2);
  return out;
}

Status ScannedBlockHashes::Keep(std::int64_t height, const std::string& hash) {
  if (!IsEvmBlockHash(hash) || height < 0) {
    return MakeError(ErrorCode::kInvalidArgument, "not a block hash: \"" + hash + "\"");
  }
  DropAbove(height - 1);
  blocks_.push_back(KeptBlock{height, hash});
  if (blocks_.size() > kMaxKept) {
    // Every other entry of the older half goes (the oldest stays): the kept blocks then reach
    // exponentially far back, while the recent ones, where reorgs happen, stay dense.
    std::vector<KeptBlock> thinned;
    const std::size_t older = blocks_.size() / 2;
    for (std::size_t i = 0; i < blocks_.size(); ++i)
      if (i >= older || i % 2 == 0) thinned.push_back(std::move(blocks_[i]));
    blocks_ = std::move(thinned);
  }
  return OkStatus();
}

void ScannedBlockHashes::DropAbove(std::int64_t height) {
  while (!blocks_.empty() && blocks_.back().height > height) blocks_.pop_back();
}

Result<std::optional<std::string>> ParseBlockHashReply(const nlohmann::json& reply,
                                                       std::int64_t height) {
  auto garbage = [&](const std::string& what) {
    return MakeError(ErrorCode::kUnavailable,
                     "unexpected RPC reply: block " + std::to_string(height) + ": " + what);
  };
  if (reply.is_null()) return std::optional<std::string>{};
  if (!reply.is_object() || !JsonField(reply, "hash").is_string()) return garbage("no hash");
  auto number = ParseEvmQuantity(JsonField(reply, "number"), "block number");
  if (!number) return number.error();
  if (*number != height) return garbage("another block's number");
  std::string hash = JsonField(reply, "hash").get<std::string>();
  for (char& c : hash) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!IsEvmBlockHash(hash)) return garbage("a hash that is not 32 bytes of hex");
  return std::optional<std::string>{hash};
}

Result<std::optional<DeepReorg>> FindDeepReorg(const ScannedBlockHashes& kept,
                                               const BlockHashAt& node_hash_at,
                                               std::int64_t node_final_height) {
  const auto& blocks = kept.blocks();
  if (blocks.empty()) return std::optional<DeepReorg>{};
  const KeptBlock& newest = blocks.back();
  auto now = node_hash_at(newest.height);
  if (!now) return now.error();
  if (!*now && newest.height <= node_final_height) {
    // Final on that node, yet it has no such block: a node that lies, or another backend.
    return MakeError(
        ErrorCode::kUnavailable,
        "the node has no block " + std::to_string(newest.height) + " below its final height");
  }
  if (!*now || **now == newest.hash) return std::optional<DeepReorg>{};
  DeepReorg reorg;
  reorg.replaced_height = newest.height;
  reorg.kept_hash = newest.hash;
  reorg.node_hash = **now;
  for (auto it = blocks.rbegin() + 1; it != blocks.rend(); ++it) {
    auto there = node_hash_at(it->height);
    if (!there) return there.error();
    if (!*there) {
      // It had that block a moment ago (it has a higher one): a node that lies or a failover
      // to one far behind. Decide nothing now.
      return MakeError(
          ErrorCode::kUnavailable,
          "the node has no block " + std::to_string(it->height) + " but has a higher one");
    }
    if (**there == it->hash) {
      reorg.ancestor_height = it->height;
      reorg.ancestor_hash = it->hash;
      return std::optional<DeepReorg>{reorg};
    }
  }
  reorg.ancestor_found = false;
  reorg.ancestor_height = blocks.front().height - 1;
  return std::optional<DeepReorg>{reorg};
}

Result<std::string> ScanContinuity::MustHave(std::int64_t height) {
  auto hash = node_hash_at_(height);
  if (!hash) return hash.error();
  if (!*hash) {
    return MakeError(ErrorCode::kUnavailable,
                     "the node has no block " + std::to_string(height) + " below its final height");
  }
  return **hash;
}

Status ScanContinuity::Begin(const ChainCursor& cursor, std::int64_t final_height,
                             ChainBatch& batch) {
  auto kept = ScannedBlockHashes::Decode(cursor.state);
  if (!kept) return kept.error();
  kept_ = std::move(*kept);
  pinned_height_ = -1;
  auto reorg = FindDeepReorg(kept_, node_hash_at_, final_height);
  if (!reorg) return reorg.error();
  if (*reorg) {
    const DeepReorg& r = **reorg;
    kept_.DropAbove(r.ancestor_height);
    kept_.RaiseHighWater(cursor.position);
    batch.next = ChainCursor{r.ancestor_height + 1, kept_.Encode()};
    batch.deep_reorg = ChainReorg{r.replaced_height, r.kept_hash,     r.node_hash,
                                  r.ancestor_height, r.ancestor_hash, r.ancestor_found};
    batch.reached_final_head = false;
    return OkStatus();
  }
  if (cursor.position <= final_height) {
    auto pinned = MustHave(final_height);
    if (!pinned) return pinned.error();
    pinned_height_ = final_height;
    pinned_hash_ = *pinned;
  }
  return OkStatus();
}

Status ScanContinuity::End(const ChainCursor& cursor, ChainBatch& batch) {
  if (batch.next.position <= cursor.position || pinned_height_ < 0) {
    batch.next.state = cursor.state;
    return OkStatus();
  }
  // The newest kept block again: had the chain been replaced between Begin's check and the pin
  // (or two backends answered them), the scan read another fork than the kept hashes.
  if (!kept_.blocks().empty()) {
    const KeptBlock& newest = kept_.blocks().back();
    auto now = MustHave(newest.height);
    if (!now) return now.error();
    if (*now != newest.hash) {
      return MakeError(ErrorCode::kUnavailable, "block " + std::to_string(newest.height) +
                                                    " changed while the range above it was "
                                                    "scanned");
    }
  }
  const std::int64_t last = batch.next.position - 1;
  std::string last_hash = pinned_hash_;
  if (last != pinned_height_) {
    auto asked = MustHave(last);
    if (!asked) return asked.error();
    last_hash = *asked;
    auto again = MustHave(pinned_height_);
    if (!again) return again.error();
    if (*again != pinned_hash_) {
      return MakeError(ErrorCode::kUnavailable, "block " + std::to_string(pinned_height_) +
                                                    " changed while the range below it was "
                                                    "scanned");
    }
  }
  if (cursor.position < kept_.high_water()) batch.rescanning_below = kept_.high_water();
  if (auto kept = kept_.Keep(last, last_hash); !kept) return kept;
  kept_.RaiseHighWater(batch.next.position);
  batch.next.state = kept_.Encode();
  return OkStatus();
}

}  // namespace instamarket
