#include "core/money.h"

#include <gtest/gtest.h>

namespace instamarket {
namespace {

std::int64_t Micros(const char* text) {
  auto m = Money::Parse(text);
  EXPECT_TRUE(m.ok()) << text << ": " << (m.ok() ? "" : m.error().message);
  return m.ok() ? m->micros() : -999;
}

TEST(MoneyTest, ParsesDecimalsExactly) {
  EXPECT_EQ(Micros("0"), 0);
  EXPECT_EQ(Micros("12"), 12'000'000);
  EXPECT_EQ(Micros("12.34"), 12'340'000);
  EXPECT_EQ(Micros("0.1"), 100'000);
  EXPECT_EQ(Micros("0.000001"), 1);
  EXPECT_EQ(Micros("1.2500000"), 1'250'000);  // trailing zeros beyond 6 places are fine
  EXPECT_EQ(Micros("-5.5"), -5'500'000);
  EXPECT_EQ(Micros("1e2"), 100'000'000);
  EXPECT_EQ(Micros("2.5E-5"), 25);
}

TEST(MoneyTest, RejectsWhatWouldRound) {
  EXPECT_FALSE(Money::Parse("0.0000001").ok());
  EXPECT_FALSE(Money::Parse("1.0000001").ok());
  EXPECT_FALSE(Money::Parse("1.5e-6").ok());
}

TEST(MoneyTest, RejectsNonNumbers) {
  for (const char* bad : {"", "abc", "1.", ".5", "1..2", "1,5", "--1", "1e", "1e999", "NaN", "inf",
                          "0x10", " 1", "1 "}) {
    EXPECT_FALSE(Money::Parse(bad).ok()) << bad;
  }
}

TEST(MoneyTest, RejectsOverflow) {
  EXPECT_TRUE(Money::Parse("9223372036854.775807").ok());
  EXPECT_FALSE(Money::Parse("9223372036854.775808").ok());
  EXPECT_FALSE(Money::Parse("100000000000000000000").ok());
}

TEST(MoneyTest, RendersExactJsonNumbers) {
  EXPECT_EQ(Money::FromMicros(50'000'000).ToJsonNumber(), "50.0");
  EXPECT_EQ(Money::FromMicros(12'340'000).ToJsonNumber(), "12.34");
  EXPECT_EQ(Money::FromMicros(1).ToJsonNumber(), "0.000001");
  EXPECT_EQ(Money::FromMicros(0).ToJsonNumber(), "0.0");
  EXPECT_EQ(Money::FromMicros(-1'200'000).ToJsonNumber(), "-1.2");
  EXPECT_EQ(Money::FromMicros(INT64_MIN).ToJsonNumber(), "-9223372036854.775808");
}

TEST(MoneyTest, RoundTripsThroughText) {
  for (std::int64_t micros :
       {std::int64_t{0}, std::int64_t{1}, std::int64_t{999'999}, std::int64_t{1'000'000},
        std::int64_t{123'456'789}, std::int64_t{INT64_MAX}}) {
    auto m = Money::FromMicros(micros);
    auto parsed = Money::Parse(m.ToJsonNumber());
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->micros(), micros);
  }
}

TEST(MoneyTest, CheckedArithmeticRefusesOverflow) {
  auto max = Money::FromMicros(INT64_MAX);
  EXPECT_FALSE(max.CheckedAdd(Money::FromMicros(1)).has_value());
  EXPECT_FALSE(Money::FromMicros(INT64_MIN).CheckedSub(Money::FromMicros(1)).has_value());
  EXPECT_FALSE(max.CheckedMul(2).has_value());
  EXPECT_EQ(Money::FromMicros(1'234'000).CheckedMul(10)->micros(), 12'340'000);
}

}  // namespace
}  // namespace instamarket
