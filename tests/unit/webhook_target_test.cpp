#include "webhooks/webhook_target.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace instamarket {
namespace {

struct Row {
  const char* ip;
  bool is_public;
  const char* what;
};

void ExpectAll(const std::vector<Row>& rows) {
  for (const auto& row : rows) {
    EXPECT_EQ(IsPublicAddress(row.ip), row.is_public) << row.ip << " (" << row.what << ")";
  }
}

TEST(IsPublicAddressTest, Ipv4Ranges) {
  ExpectAll({
      {"8.8.8.8", true, "public"},
      {"1.1.1.1", true, "public"},
      {"100.63.255.255", true, "just below CGNAT"},
      {"100.128.0.0", true, "just above CGNAT"},
      {"172.15.255.255", true, "just below 172.16/12"},
      {"172.32.0.0", true, "just above 172.16/12"},
      {"192.0.1.1", true, "between IETF and TEST-NET-1"},
      {"198.17.255.255", true, "just below benchmarking"},
      {"198.20.0.0", true, "just above benchmarking"},
      {"223.255.255.255", true, "last unicast"},
      {"0.0.0.0", false, "this host (Linux connects it to loopback)"},
      {"0.1.2.3", false, "this network"},
      {"10.0.0.1", false, "private"},
      {"100.64.0.1", false, "CGNAT"},
      {"100.127.255.255", false, "CGNAT"},
      {"127.0.0.1", false, "loopback"},
      {"127.255.255.254", false, "loopback"},
      {"169.254.169.254", false, "link-local (cloud metadata)"},
      {"172.16.0.1", false, "private"},
      {"172.31.255.255", false, "private"},
      {"192.0.0.1", false, "IETF protocol assignments"},
      {"192.0.2.1", false, "TEST-NET-1"},
      {"192.88.99.1", false, "6to4 relay anycast"},
      {"192.168.1.1", false, "private"},
      {"198.18.0.1", false, "benchmarking"},
      {"198.19.255.255", false, "benchmarking"},
      {"198.51.100.1", false, "TEST-NET-2"},
      {"203.0.113.1", false, "TEST-NET-3"},
      {"224.0.0.1", false, "multicast"},
      {"239.255.255.250", false, "multicast"},
      {"240.0.0.1", false, "reserved"},
      {"255.255.255.255", false, "broadcast"},
  });
}

TEST(IsPublicAddressTest, Ipv6Ranges) {
  ExpectAll({
      {"2606:4700:4700::1111", true, "public"},
      {"2a00:1450:4001::1", true, "public"},
      {"2001:200::1", true, "just above 2001::/23"},
      {"2001:db9::1", true, "just above documentation"},
      {"3ffe::1", true, "below 3fff::/20"},
      {"3fff:1000::1", true, "just above 3fff::/20"},
      {"::", false, "unspecified (Linux connects it to loopback)"},
      {"::1", false, "loopback"},
      {"fc00::1", false, "unique-local"},
      {"fd12:3456:789a::1", false, "unique-local"},
      {"fe80::1", false, "link-local"},
      {"febf::1", false, "link-local"},
      {"fec0::1", false, "site-local"},
      {"ff02::1", false, "multicast"},
      {"ff0e::1", false, "global multicast"},
      {"100::1", false, "discard-only"},
      {"2001:db8::1", false, "documentation"},
      {"3fff::1", false, "documentation (RFC 9637)"},
      {"3fff:fff::1", false, "documentation (RFC 9637)"},
      {"2001::1", false, "Teredo"},
      {"2001:0:4136:e378:8000:63bf:3fff:fdd2", false, "Teredo"},
      {"2001:2::1", false, "benchmarking"},
      {"2001:10::1", false, "ORCHID"},
      {"2001:1ff::1", false, "IETF protocol assignments"},
      {"4000::1", false, "outside global unicast"},
      {"e000::1", false, "outside global unicast"},
  });
}

TEST(IsPublicAddressTest, Ipv6FormsCarryingIpv4AreJudgedByTheIpv4Address) {
  ExpectAll({
      {"::ffff:8.8.8.8", true, "v4-mapped public"},
      {"::ffff:127.0.0.1", false, "v4-mapped loopback"},
      {"::ffff:7f00:1", false, "v4-mapped loopback, hex"},
      {"::ffff:10.0.0.1", false, "v4-mapped private"},
      {"::ffff:169.254.169.254", false, "v4-mapped link-local"},
      {"::ffff:0.0.0.0", false, "v4-mapped this host"},
      {"::8.8.8.8", false, "v4-compatible (deprecated), even public"},
      {"::127.0.0.1", false, "v4-compatible loopback"},
      {"::ffff:0:127.0.0.1", false, "IPv4-translated"},
      {"64:ff9b::8.8.8.8", true, "NAT64 of a public address"},
      {"64:ff9b::7f00:1", false, "NAT64 of loopback"},
      {"64:ff9b::a00:1", false, "NAT64 of 10.0.0.1"},
      {"64:ff9b::a9fe:a9fe", false, "NAT64 of link-local"},
      {"64:ff9b:1::8.8.8.8", false, "local-use NAT64: the IPv4 address may sit anywhere"},
      {"64:ff9b:1:ffff::1", false, "local-use NAT64"},
      {"2002:808:808::1", true, "6to4 of 8.8.8.8"},
      {"2002:7f00:1::", false, "6to4 of 127.0.0.1"},
      {"2002:7f00:1::1", false, "6to4 of 127.0.0.1"},
      {"2002:a00:1::", false, "6to4 of 10.0.0.1"},
      {"2002:c0a8:101::", false, "6to4 of 192.168.1.1"},
      {"2002:a9fe:a9fe::", false, "6to4 of link-local"},
      {"2002::", false, "6to4 of 0.0.0.0"},
      {"2002:c058:6301::", false, "6to4 of the relay anycast"},
  });
}

TEST(IsPublicAddressTest, NotAnAddressIsNotPublic) {
  ExpectAll({
      {"", false, "empty"},
      {"example.com", false, "a name"},
      {"2130706433", false, "a number is not inet_pton text"},
      {"fe80::1%eth0", false, "scoped"},
      {"1.2.3.4.5", false, "five parts"},
  });
}

TEST(CheckWebhookUrlTest, RefusesEveryFormOfANonPublicLiteral) {
  for (const char* url : {"http://localhost/",
                          "http://LOCALHOST:8080/",
                          "http://localhost./",
                          "http://a.b.localhost/",
                          "http://127.0.0.1/",
                          "http://2130706433/",
                          "http://0177.0.0.1/",
                          "http://0x7f.0.0.1/",
                          "http://0x7f000001/",
                          "http://127.1/",
                          "http://0/",
                          "http://0.0.0.0/",
                          "http://127.0.0.1./",
                          "http://[::]/",
                          "http://[::1]/",
                          "http://[::ffff:127.0.0.1]/",
                          "http://[::ffff:7f00:1]/",
                          "http://[::127.0.0.1]/",
                          "http://[2002:7f00:1::]/",
                          "http://[64:ff9b::7f00:1]/",
                          "http://[64:ff9b:1::1]/",
                          "http://[2001::1]/",
                          "http://[fd00::1]/",
                          "http://[fe80::1]/",
                          "https://169.254.169.254/latest/meta-data/",
                          "http://012.0.0.1/",
                          "http://0xa9.0xfe.0xa9.0xfe/"}) {
    auto status = CheckWebhookUrl(url, false);
    EXPECT_FALSE(status.ok()) << url;
    EXPECT_TRUE(CheckWebhookUrl(url, true).ok()) << url << " with allow_private";
  }
}

TEST(CheckWebhookUrlTest, NamesTheAddressItRead) {
  auto status = CheckWebhookUrl("http://0x7f.1:8080/hook", false);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("127.0.0.1"), std::string::npos) << status.error().message;
}

TEST(CheckWebhookUrlTest, AcceptsPublicTargets) {
  for (const char* url : {"https://example.com/hook", "http://8.8.8.8:8080/x", "http://134744072/",
                          "https://[2606:4700:4700::1111]/", "https://[2002:808:808::1]/",
                          "https://[64:ff9b::8.8.8.8]/", "https://hooks.example.com./path?q=1",
                          "https://localhost.example.com/"}) {
    auto status = CheckWebhookUrl(url, false);
    EXPECT_TRUE(status.ok()) << url << ": " << (status.ok() ? "" : status.error().message);
  }
}

TEST(CheckWebhookUrlTest, RefusesMalformedUrls) {
  for (const char* url : {"ftp://example.com/", "http://user@example.com/", "http:///x",
                          "http://[::1/", "http://example.com:0/", "http://example.com:65536/",
                          "http://example.com:/", "http://exa mple.com/", "gopher://x/"}) {
    EXPECT_FALSE(CheckWebhookUrl(url, true).ok()) << url;
  }
}

}  // namespace
}  // namespace instamarket
