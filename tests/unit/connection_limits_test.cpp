#include "api/connection_limits.h"

#include <gtest/gtest.h>

namespace instamarket {
namespace {

using Admission = ConnectionLimits::Admission;

TEST(ConnectionLimitsTest, CapsEachAddressAndTheTotal) {
  ConnectionLimits limits(5, 2);
  EXPECT_EQ(limits.TryAdmit("10.0.0.1", false), Admission::kAdmitted);
  EXPECT_EQ(limits.TryAdmit("10.0.0.1", false), Admission::kAdmitted);
  EXPECT_EQ(limits.TryAdmit("10.0.0.1", false), Admission::kOverAddress);
  EXPECT_EQ(limits.TryAdmit("10.0.0.2", false), Admission::kAdmitted);
  EXPECT_EQ(limits.TryAdmit("10.0.0.2", false), Admission::kAdmitted);
  EXPECT_EQ(limits.TryAdmit("10.0.0.3", false), Admission::kAdmitted);
  EXPECT_EQ(limits.open(), 5u);
  EXPECT_EQ(limits.TryAdmit("10.0.0.4", false), Admission::kOverTotal);
  limits.Release("10.0.0.1");
  EXPECT_EQ(limits.open_from("10.0.0.1"), 1u);
  EXPECT_EQ(limits.TryAdmit("10.0.0.4", false), Admission::kAdmitted);
  EXPECT_EQ(limits.TryAdmit("10.0.0.1", false), Admission::kOverTotal);
}

TEST(ConnectionLimitsTest, AProxyPassesTheAddressCapNotTheTotal) {
  ConnectionLimits limits(3, 1);
  EXPECT_EQ(limits.TryAdmit("10.0.0.9", true), Admission::kAdmitted);
  EXPECT_EQ(limits.TryAdmit("10.0.0.9", true), Admission::kAdmitted);
  EXPECT_EQ(limits.TryAdmit("10.0.0.9", true), Admission::kAdmitted);
  EXPECT_EQ(limits.TryAdmit("10.0.0.9", true), Admission::kOverTotal);
}

TEST(ConnectionLimitsTest, ReleasedAddressesAreForgotten) {
  ConnectionLimits limits(10, 10);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(limits.TryAdmit("a", false), Admission::kAdmitted);
  for (int i = 0; i < 3; ++i) limits.Release("a");
  limits.Release("a");  // an extra release changes nothing
  EXPECT_EQ(limits.open(), 0u);
  EXPECT_EQ(limits.open_from("a"), 0u);
}

TEST(ClientAddressKeyTest, Ipv6CountsByItsSlash64) {
  EXPECT_EQ(ClientAddressKey("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(ClientAddressKey("::ffff:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(ClientAddressKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(ClientAddressKey("2001:db8:1:2::1"), ClientAddressKey("2001:db8:1:2:ffff::9"));
  EXPECT_NE(ClientAddressKey("2001:db8:1:2::1"), ClientAddressKey("2001:db8:1:3::1"));
  EXPECT_EQ(ClientAddressKey(""), "");
}

}  // namespace
}  // namespace instamarket
