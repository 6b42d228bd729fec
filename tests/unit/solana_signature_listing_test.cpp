// Reading getSignaturesForAddress pages (recorded mainnet answer and hostile variations) and
// holding a listing in bounded memory.
#include "adapters/solana_signature_listing.h"

#include <gtest/gtest.h>

#include <fstream>

namespace instamarket {
namespace {

constexpr char kAccount[] = "3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui";

nlohmann::json RecordedPage() {
  std::ifstream in(std::string(INSTAMARKET_SOURCE_DIR) +
                   "/tests/fixtures/chains/solana-getSignaturesForAddress.json");
  return nlohmann::json::parse(in)["result"];
}

constexpr std::int64_t kRecordedNewestSlot = 405577592;

TEST(SolanaSignaturesPage, ReadsARecordedPage) {
  auto read = ReadSignaturesPage(RecordedPage(), kAccount, kRecordedNewestSlot);
  ASSERT_TRUE(read.ok()) << read.error().message;
  ASSERT_EQ(read->size(), 10u);
  EXPECT_EQ((*read)[0].slot, kRecordedNewestSlot);
  EXPECT_EQ((*read)[0].account, kAccount);
  EXPECT_FALSE((*read)[0].failed);
  EXPECT_TRUE((*read)[1].failed);
}

void ExpectRefused(const nlohmann::json& page, std::int64_t finalized, const char* why) {
  auto read = ReadSignaturesPage(page, kAccount, finalized);
  EXPECT_FALSE(read.ok()) << why;
  if (!read.ok()) {
    EXPECT_EQ(read.error().code, ErrorCode::kUnavailable) << why;
  }
}

TEST(SolanaSignaturesPage, AnEntryThatIsNoSignatureIsRefusedEvenWhenFailed) {
  // A failed entry is never fetched: only this check keeps it out of the cursor, whose
  // separators it would break.
  for (const char* bad : {"a:b|c", "", "0OIl", "pEPu4fKF5cR286LHNJ7RLMbRY9rBxX1KS6fk7EZcor4R:"}) {
    auto page = RecordedPage();
    page[1]["signature"] = bad;
    ExpectRefused(page, kRecordedNewestSlot, bad);
  }
  auto page = RecordedPage();
  page[1]["signature"] = std::string(1 << 20, '1');  // huge
  ExpectRefused(page, kRecordedNewestSlot, "a megabyte signature");
}

TEST(SolanaSignaturesPage, AnEntryAboveTheNodesFinalizedSlotIsRefused) {
  auto page = RecordedPage();
  ExpectRefused(page, kRecordedNewestSlot - 1, "the newest one slot above the finalized slot");
  page[3]["slot"] = 1'000'000'000'000'000;  // 10^15
  ExpectRefused(page, kRecordedNewestSlot, "slot 10^15");
  page[3]["slot"] = -1;
  ExpectRefused(page, kRecordedNewestSlot, "a negative slot");
  ExpectRefused(nlohmann::json::object(), kRecordedNewestSlot, "not a list");
}

SolanaListedSignature At(std::int64_t slot) {
  return SolanaListedSignature{kAccount, "sig" + std::to_string(slot), slot, false};
}

TEST(SolanaListingWindow, HoldsTheOldestUpToTheCap) {
  SolanaListingWindow window(3);
  for (std::int64_t slot : {90, 80, 70, 60, 50}) ASSERT_TRUE(window.AddOlder(At(slot)).ok());
  EXPECT_TRUE(window.truncated());
  EXPECT_EQ(window.oldest().slot, 50);
  auto held = window.Take();
  ASSERT_EQ(held.size(), 3u);  // the oldest three, oldest first: taken in order
  EXPECT_EQ(held[0].slot, 50);
  EXPECT_EQ(held[1].slot, 60);
  EXPECT_EQ(held[2].slot, 70);
}

TEST(SolanaListingWindow, UnderTheCapNothingIsDropped) {
  SolanaListingWindow window(3);
  for (std::int64_t slot : {90, 80, 80}) ASSERT_TRUE(window.AddOlder(At(slot)).ok());
  EXPECT_FALSE(window.truncated());
  EXPECT_EQ(window.Take().size(), 3u);
}

TEST(SolanaListingWindow, ANewerEntryAfterAnOlderIsRefused) {
  SolanaListingWindow window(3);
  ASSERT_TRUE(window.AddOlder(At(80)).ok());
  auto added = window.AddOlder(At(81));
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace instamarket
