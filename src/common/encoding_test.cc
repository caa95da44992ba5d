#include "common/encoding.h"

#include <gtest/gtest.h>

namespace trainload {
namespace {

TEST(EncodingTest, HexRoundTrip) {
  EXPECT_EQ(HexEncode(std::string("\x00\x7f\xff", 3)), "007fff");
  EXPECT_EQ(HexDecode("007FfF"), std::string("\x00\x7f\xff", 3));
  EXPECT_FALSE(HexDecode("abc").has_value());
  EXPECT_FALSE(HexDecode("zz").has_value());
}

TEST(EncodingTest, Base64Rfc4648Vectors) {
  const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char* coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(Base64Encode(plain[i]), coded[i]);
    EXPECT_EQ(Base64Decode(coded[i]), std::string(plain[i]));
  }
  EXPECT_FALSE(Base64Decode("Zg=").has_value());
  EXPECT_FALSE(Base64Decode("Z=g=").has_value());
  EXPECT_FALSE(Base64Decode("Zm9v\n").has_value());
}

TEST(EncodingTest, PercentDecode) {
  EXPECT_EQ(PercentDecode("plain"), "plain");
  EXPECT_EQ(PercentDecode("a%20b%2Fc%e2%82%AC"), "a b/c\xe2\x82\xac");
  EXPECT_EQ(PercentDecode("a+b"), "a+b");
  EXPECT_EQ(PercentDecode("a+b%2B", /*plus_as_space=*/true), "a b+");
  EXPECT_FALSE(PercentDecode("%").has_value());
  EXPECT_FALSE(PercentDecode("%4").has_value());
  EXPECT_FALSE(PercentDecode("ab%zz").has_value());
  EXPECT_EQ(PercentDecode("%41%42"), "AB");
}

TEST(EncodingTest, UriEncodeIsAwsUriEncode) {
  EXPECT_EQ(UriEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(UriEncode("a b/c+d%e*"), "a%20b%2Fc%2Bd%25e%2A");
  EXPECT_EQ(UriEncode("a b/c", /*encode_slash=*/false), "a%20b/c");
  EXPECT_EQ(UriEncode("\xe2\x82\xac"), "%E2%82%AC");
  for (int c = 0; c < 256; ++c) {
    std::string one(1, static_cast<char>(c));
    EXPECT_EQ(PercentDecode(UriEncode(one)), one);
  }
}

}  // namespace
}  // namespace trainload
