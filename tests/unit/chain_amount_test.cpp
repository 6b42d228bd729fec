#include "core/chain_amount.h"

#include <gtest/gtest.h>

namespace instamarket {
namespace {

TEST(HexToDecimalTest, ConvertsQuantitiesAndWords) {
  EXPECT_EQ(*HexToDecimal("0x0"), "0");
  EXPECT_EQ(*HexToDecimal("0x5f5e100"), "100000000");
  EXPECT_EQ(*HexToDecimal("0x00000000000000000000000000000000000000000000000161e232e52c760007"),
            "25500000000000000007");
  EXPECT_EQ(*HexToDecimal("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
            "115792089237316195423570985008687907853269984665640564039457584007913129639935");
  EXPECT_FALSE(HexToDecimal("5f").ok());
  EXPECT_FALSE(HexToDecimal("0x").ok());
  EXPECT_FALSE(HexToDecimal("0xzz").ok());
  EXPECT_FALSE(HexToDecimal("0x1" + std::string(64, '0')).ok());  // 257 bits
}

TEST(ToMicrosTest, SixDecimalsAreExact) {
  auto m = ToMicros({"100010000", 6});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->amount.micros(), 100'010'000);
  EXPECT_EQ(m->dust_raw, "0");
}

TEST(ToMicrosTest, EighteenDecimalsKeepTheDustApart) {
  auto m = ToMicros({"25500000000000000007", 18});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->amount.micros(), 25'500'000);
  EXPECT_EQ(m->dust_raw, "7");
  auto tiny = ToMicros({"999999999999", 18});  // below one micro-USDT
  EXPECT_EQ(tiny->amount.micros(), 0);
  EXPECT_EQ(tiny->dust_raw, "999999999999");
  EXPECT_EQ(ToMicros({"1000000000000", 18})->amount.micros(), 1);
}

TEST(ToMicrosTest, FewerDecimalsScaleUp) {
  EXPECT_EQ(ToMicros({"125", 2})->amount.micros(), 1'250'000);
  EXPECT_EQ(ToMicros({"0", 0})->amount.micros(), 0);
}

TEST(ToMicrosTest, RefusesWhatDoesNotFit) {
  EXPECT_FALSE(ToMicros({"9223372036854775808", 6}).ok());
  EXPECT_TRUE(ToMicros({"9223372036854775807", 6}).ok());
  EXPECT_FALSE(
      ToMicros(
          {"115792089237316195423570985008687907853269984665640564039457584007913129639935", 18})
          .ok());
  EXPECT_FALSE(ToMicros({"12a", 6}).ok());
  EXPECT_FALSE(ToMicros({"", 6}).ok());
}

TEST(DecimalToRawTest, ScalesExactly) {
  EXPECT_EQ(*DecimalToRaw("100.01", 18), "100010000000000000000");
  EXPECT_EQ(*DecimalToRaw("0.000001", 6), "1");
  EXPECT_FALSE(DecimalToRaw("0.0000001", 6).ok());
  EXPECT_FALSE(DecimalToRaw("1e5", 6).ok());
}

TEST(RawToDecimalTextTest, PlacesThePointExactly) {
  EXPECT_EQ(RawToDecimalText("1500000", 6), "1.5");
  EXPECT_EQ(RawToDecimalText("-1500000", 6), "-1.5");
  EXPECT_EQ(RawToDecimalText("1", 18), "0.000000000000000001");
  EXPECT_EQ(RawToDecimalText("-1", 18), "-0.000000000000000001");
  EXPECT_EQ(RawToDecimalText("100010000000000000000", 18), "100.01");
  EXPECT_EQ(RawToDecimalText("0", 6), "0");
  EXPECT_EQ(RawToDecimalText("-0", 6), "0");
  EXPECT_EQ(RawToDecimalText("7", 0), "7");
  EXPECT_EQ(RawToDecimalText("12x", 6), "12x");
  EXPECT_EQ(RawToDecimalText("", 6), "");
}

}  // namespace
}  // namespace instamarket
