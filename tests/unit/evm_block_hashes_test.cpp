#include "adapters/evm_block_hashes.h"

#include <gtest/gtest.h>

#include <map>

namespace instamarket {
namespace {

// A block hash made of one repeated hex digit pair and the height, so chains are easy to tell.
std::string H(char fork, std::int64_t height) {
  std::string hex = std::to_string(height);
  return "0x" + std::string(64 - hex.size(), fork) + hex;
}

// A node: its canonical hash per height; heights above `head` it does not have.
struct FakeNode {
  std::map<std::int64_t, std::string> chain;
  int asked = 0;
  BlockHashAt Lookup() {
    return [this](std::int64_t h) -> Result<std::optional<std::string>> {
      ++asked;
      auto it = chain.find(h);
      if (it == chain.end()) return std::optional<std::string>{};
      return std::optional<std::string>{it->second};
    };
  }
  void Mine(char fork, std::int64_t from, std::int64_t to) {
    for (auto h = from; h <= to; ++h) chain[h] = H(fork, h);
  }
};

ScannedBlockHashes Kept(char fork, std::initializer_list<std::int64_t> heights) {
  ScannedBlockHashes kept;
  for (auto h : heights) EXPECT_TRUE(kept.Keep(h, H(fork, h)).ok());
  return kept;
}

TEST(EvmBlockHashesTest, EncodesAndDecodesTheKeptBlocks) {
  ScannedBlockHashes kept = Kept('a', {3, 7, 12});
  kept.RaiseHighWater(13);
  auto back = ScannedBlockHashes::Decode(kept.Encode());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->blocks(), kept.blocks());
  EXPECT_EQ(back->high_water(), 13);
  EXPECT_TRUE(ScannedBlockHashes::Decode("")->blocks().empty());  // a cursor from before
}

TEST(EvmBlockHashesTest, RefusesCorruptState) {
  EXPECT_FALSE(ScannedBlockHashes::Decode("v2 5").ok());
  EXPECT_FALSE(ScannedBlockHashes::Decode("v1 x").ok());
  EXPECT_FALSE(ScannedBlockHashes::Decode("v1 5 3:zz").ok());
  std::string twice = "v1 9 4:" + H('a', 4).substr(2) + " 4:" + H('a', 4).substr(2);
  EXPECT_FALSE(ScannedBlockHashes::Decode(twice).ok());
  ScannedBlockHashes kept;
  EXPECT_FALSE(kept.Keep(1, "0xnothex").ok());
  EXPECT_FALSE(IsEvmBlockHash("0x" + std::string(64, 'A')));  // nodes are lowercased first
}

TEST(EvmBlockHashesTest, ThinsTheOlderHalfKeepingTheOldest) {
  ScannedBlockHashes kept;
  for (std::int64_t h = 0; h < 1000; ++h) ASSERT_TRUE(kept.Keep(h, H('a', h)).ok());
  EXPECT_LE(kept.blocks().size(), ScannedBlockHashes::kMaxKept);
  EXPECT_EQ(kept.blocks().front().height, 0);
  EXPECT_EQ(kept.blocks().back().height, 999);
  EXPECT_EQ(kept.blocks()[kept.blocks().size() - 2].height, 998);  // recent ones stay dense
  EXPECT_LT(kept.Encode().size(), 10'000u);
}

TEST(EvmBlockHashesTest, ReadsABlockHashOnlyFromAWellFormedReply) {
  const std::string hash = H('a', 7);
  auto ok = ParseBlockHashReply({{"number", "0x7"}, {"hash", hash}}, 7);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(**ok, hash);
  std::string upper = "0x" + std::string(64, 'A');
  EXPECT_EQ(**ParseBlockHashReply({{"number", "0x7"}, {"hash", upper}}, 7),
            "0x" + std::string(64, 'a'));
  EXPECT_FALSE(*ParseBlockHashReply(nullptr, 7));  // no such block (yet)
  for (const nlohmann::json& bad : std::vector<nlohmann::json>{
           "0x7", nlohmann::json::array(), {{"number", "0x7"}},
           {{"number", "0x8"}, {"hash", hash}},            // another block
           {{"number", "0x7"}, {"hash", "0x1234"}},        // not 32 bytes
           {{"number", "0x7"}, {"hash", 7}},               // not a string
           {{"number", "0x7"}, {"hash", "0x" + std::string(64, 'g')}},
           {{"hash", hash}}}) {
    auto got = ParseBlockHashReply(bad, 7);
    ASSERT_FALSE(got.ok()) << bad.dump();
    EXPECT_EQ(got.error().code, ErrorCode::kUnavailable) << bad.dump();
  }
}

TEST(EvmBlockHashesTest, AContinuingChainIsNoReorg) {
  FakeNode node;
  node.Mine('a', 0, 20);
  auto found = FindDeepReorg(Kept('a', {5, 10, 15}), node.Lookup());
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(*found);
  EXPECT_EQ(node.asked, 1);  // only the newest is asked
}

TEST(EvmBlockHashesTest, ANodeWithoutTheNewestBlockDecidesNothing) {
  FakeNode node;
  node.Mine('a', 0, 12);  // behind, or the replacement chain is still shorter
  auto found = FindDeepReorg(Kept('a', {5, 10, 15}), node.Lookup());
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(*found);
}

TEST(EvmBlockHashesTest, ANodeWithoutABlockItCallsFinalIsUnavailable) {
  FakeNode node;
  node.Mine('a', 0, 12);
  // It says 20 is final, yet has no block 15: not "behind", and never a pass for the check.
  auto found = FindDeepReorg(Kept('a', {5, 10, 15}), node.Lookup(), /*node_final_height=*/20);
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.error().code, ErrorCode::kUnavailable);
}

TEST(EvmBlockHashesTest, WalksBackToTheNewestKeptBlockStillThere) {
  FakeNode node;
  node.Mine('a', 0, 11);
  node.Mine('b', 12, 30);  // blocks from 12 on replaced
  auto found = FindDeepReorg(Kept('a', {5, 10, 13, 15}), node.Lookup());
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(*found);
  const DeepReorg& r = **found;
  EXPECT_EQ(r.replaced_height, 15);
  EXPECT_EQ(r.kept_hash, H('a', 15));
  EXPECT_EQ(r.node_hash, H('b', 15));
  EXPECT_TRUE(r.ancestor_found);
  EXPECT_EQ(r.ancestor_height, 10);  // 11 is common too, but only 10 was kept: rescan 11..
  EXPECT_EQ(r.ancestor_hash, H('a', 10));
}

TEST(EvmBlockHashesTest, AReorgBelowEveryKeptBlockResumesAtTheOldest) {
  FakeNode node;
  node.Mine('b', 0, 30);
  auto found = FindDeepReorg(Kept('a', {5, 10}), node.Lookup());
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(*found);
  EXPECT_FALSE((*found)->ancestor_found);
  EXPECT_EQ((*found)->ancestor_height, 4);
}

TEST(EvmBlockHashesTest, ANodeMissingALowerBlockIsUnavailable) {
  FakeNode node;
  node.Mine('b', 12, 30);  // has 15 but not 10: lying, or a failover far behind
  auto found = FindDeepReorg(Kept('a', {10, 15}), node.Lookup());
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.error().code, ErrorCode::kUnavailable);
}

TEST(EvmBlockHashesTest, ABrokenLookupIsItsError) {
  BlockHashAt down = [](std::int64_t) -> Result<std::optional<std::string>> {
    return MakeError(ErrorCode::kUnavailable, "down");
  };
  auto found = FindDeepReorg(Kept('a', {10}), down);
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.error().code, ErrorCode::kUnavailable);
}

// The poll-level steps: a scan keeps its last block; a reorg moves the cursor back with the
// high water kept; the re-scan below it is flagged as one.
TEST(ScanContinuityTest, KeepsScannedBlocksThenRewindsAndMarksTheRescan) {
  FakeNode node;
  node.Mine('a', 0, 20);
  ScanContinuity continuity(node.Lookup());
  ChainCursor cursor{5};
  ChainBatch batch;
  batch.next = cursor;
  ASSERT_TRUE(continuity.Begin(cursor, 20, batch).ok());
  ASSERT_FALSE(batch.deep_reorg);
  batch.next.position = 11;  // the adapter scanned 5..10
  ASSERT_TRUE(continuity.End(cursor, batch).ok());
  EXPECT_EQ(batch.rescanning_below, 0);
  cursor = batch.next;
  auto kept = ScannedBlockHashes::Decode(cursor.state);
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept->blocks().size(), 1u);
  EXPECT_EQ(kept->blocks()[0], (KeptBlock{10, H('a', 10)}));
  EXPECT_EQ(kept->high_water(), 11);

  batch = {};
  batch.next = cursor;
  ASSERT_TRUE(continuity.Begin(cursor, 20, batch).ok());
  batch.next.position = 21;  // scanned 11..20 (the pinned final block)
  ASSERT_TRUE(continuity.End(cursor, batch).ok());
  cursor = batch.next;

  node.Mine('b', 15, 25);  // replaces 15..20 and grows
  batch = {};
  batch.next = cursor;
  ASSERT_TRUE(continuity.Begin(cursor, 25, batch).ok());
  ASSERT_TRUE(batch.deep_reorg);
  EXPECT_EQ(batch.deep_reorg->replaced_height, 20);
  EXPECT_EQ(batch.deep_reorg->ancestor_height, 10);
  EXPECT_EQ(batch.next.position, 11);
  cursor = batch.next;
  EXPECT_EQ(ScannedBlockHashes::Decode(cursor.state)->high_water(), 21);

  batch = {};
  batch.next = cursor;
  ASSERT_TRUE(continuity.Begin(cursor, 25, batch).ok());
  ASSERT_FALSE(batch.deep_reorg);  // 10 is still there
  batch.next.position = 26;
  ASSERT_TRUE(continuity.End(cursor, batch).ok());
  EXPECT_EQ(batch.rescanning_below, 21);
  EXPECT_EQ(ScannedBlockHashes::Decode(batch.next.state)->blocks().back(),
            (KeptBlock{25, H('b', 25)}));
}

TEST(ScanContinuityTest, AChainChangedDuringTheScanIsUnavailable) {
  FakeNode node;
  node.Mine('a', 0, 20);
  ScanContinuity continuity(node.Lookup());
  ChainCursor cursor{5};
  ChainBatch batch;
  batch.next = cursor;
  ASSERT_TRUE(continuity.Begin(cursor, 20, batch).ok());
  node.Mine('b', 8, 20);  // while the logs of 5..10 were read
  batch.next.position = 11;
  auto ended = continuity.End(cursor, batch);
  ASSERT_FALSE(ended.ok());
  EXPECT_EQ(ended.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace instamarket
