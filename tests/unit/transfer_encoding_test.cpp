#include "api/transfer_encoding.h"

#include <gtest/gtest.h>

namespace instamarket {
namespace {

int StatusOf(std::string_view value, unsigned version = 11, bool content_length = false) {
  return CheckTransferEncoding(true, value, version, content_length).status;
}

TEST(TransferEncodingTest, OnlyPlainChunkedIsRead) {
  EXPECT_EQ(CheckTransferEncoding(false, "", 11, true).status, 0);
  EXPECT_EQ(StatusOf("chunked"), 0);
  EXPECT_EQ(StatusOf("Chunked"), 0);
  EXPECT_EQ(StatusOf(" chunked ,"), 0);  // empty list elements are ignored (RFC 9110 5.6.1)
}

TEST(TransferEncodingTest, UnknownLengthIs400) {
  EXPECT_EQ(StatusOf("gzip"), 400);
  EXPECT_EQ(StatusOf("identity"), 400);
  EXPECT_EQ(StatusOf("chunked, gzip"), 400);
  EXPECT_EQ(StatusOf("chunked;ext=1"), 400);
  EXPECT_EQ(StatusOf(""), 400);
  EXPECT_EQ(StatusOf(" , "), 400);
  EXPECT_EQ(StatusOf("chunked, chunked"), 400);
  EXPECT_EQ(StatusOf("chunked", 10), 400);
  EXPECT_EQ(StatusOf("chunked", 11, true), 400);
  EXPECT_EQ(StatusOf("gzip", 11, true), 400);
}

TEST(TransferEncodingTest, ACodingBeforeChunkedIs501) {
  auto verdict = CheckTransferEncoding(true, "gzip, chunked", 11, false);
  EXPECT_EQ(verdict.status, 501);
  EXPECT_NE(verdict.detail.find("\"gzip\""), std::string::npos);
  EXPECT_EQ(StatusOf("deflate,chunked"), 501);
}

}  // namespace
}  // namespace instamarket
