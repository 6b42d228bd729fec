// The Solana cursor: one resume point per token account of the master, stored as one
// ChainCursor; the one-account format written before still reads.
#include "adapters/solana_cursor.h"

#include <gtest/gtest.h>

namespace instamarket {
namespace {

constexpr char kAta[] = "H51DXRt3ubThhdhNeDMScfkbC5X4AWzYfHaZS3JKEfPh";
constexpr char kOther[] = "9rB2Poc468mPpY9WMUmaqEPsvJah8SpPB8bKqAjjXp5H";
// From tests/fixtures/chains/solana-getSignaturesForAddress.json.
constexpr char kSig[] =
    "pEPu4fAVZ7sRm3X5jqAnrsbGF6NUUVqvHbS3CxUbYq3B1Zi7FwGu6dN3nZKBBSjeTpKLTpg4aZ5Qf7Nh1rYhsrx";

TEST(SolanaCursor, RoundTripsEveryAccountAndThePositionIsTheHighestSlot) {
  SolanaCursor c;
  c.floor = 100;
  c.accounts = {{kAta, kSig, 250}, {kOther, "", 100}};
  ChainCursor stored = WriteSolanaCursor(c);
  EXPECT_EQ(stored.position, 250);
  auto read = ReadSolanaCursor(stored, kAta);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(*read, c);
  // An account found later does not move the position back.
  c.accounts.push_back({"3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui", "", c.floor});
  EXPECT_EQ(WriteSolanaCursor(c).position, 250);
}

TEST(SolanaCursor, ReadsTheOneAccountFormat) {
  auto by_signature = ReadSolanaCursor(ChainCursor{184930610, kSig}, kAta);
  ASSERT_TRUE(by_signature.ok());
  EXPECT_EQ(by_signature->floor, 184930610);
  ASSERT_EQ(by_signature->accounts.size(), 1u);
  EXPECT_EQ(by_signature->accounts[0], (SolanaAccountCursor{kAta, kSig, 184930610}));
  auto by_slot = ReadSolanaCursor(ChainCursor{42}, kAta);
  ASSERT_TRUE(by_slot.ok());
  EXPECT_EQ(by_slot->accounts[0], (SolanaAccountCursor{kAta, "", 42}));
}

TEST(SolanaCursor, AChangedTokenAccountComesFirstAndTheOldOneStaysWatched) {
  SolanaCursor c;
  c.floor = 100;
  c.accounts = {{kOther, kSig, 250}};
  auto added = ReadSolanaCursor(WriteSolanaCursor(c), kAta);
  ASSERT_TRUE(added.ok()) << added.error().message;
  ASSERT_EQ(added->accounts.size(), 2u);
  EXPECT_EQ(added->accounts[0], (SolanaAccountCursor{kAta, "", 100}));  // down to the floor
  EXPECT_EQ(added->accounts[1], c.accounts[0]);
  c.accounts.push_back({kAta, "", 180});
  auto moved = ReadSolanaCursor(WriteSolanaCursor(c), kAta);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->accounts[0], (SolanaAccountCursor{kAta, "", 180}));
  EXPECT_EQ(moved->accounts[1], c.accounts[0]);
}

TEST(SolanaCursor, RefusesWhatItCannotRead) {
  for (const char* state :
       {"garbage", "v2|", "v2|x|H51DXRt3ubThhdhNeDMScfkbC5X4AWzYfHaZS3JKEfPh::1",
        "v2|1|H51DXRt3ubThhdhNeDMScfkbC5X4AWzYfHaZS3JKEfPh:notasig:1",
        "v2|1|H51DXRt3ubThhdhNeDMScfkbC5X4AWzYfHaZS3JKEfPh::-1",
        "v2|1|H51DXRt3ubThhdhNeDMScfkbC5X4AWzYfHaZS3JKEfPh::1|"
        "H51DXRt3ubThhdhNeDMScfkbC5X4AWzYfHaZS3JKEfPh::2"}) {
    auto read = ReadSolanaCursor(ChainCursor{1, state}, kAta);
    EXPECT_FALSE(read.ok()) << state;
    if (!read.ok()) {
      EXPECT_EQ(read.error().code, ErrorCode::kInvalidArgument);
    }
  }
}

}  // namespace
}  // namespace instamarket
