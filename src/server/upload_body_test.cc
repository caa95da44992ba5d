// ChecksumFromHeaders: which x-amz-checksum-* request headers describe the body.
#include "server/upload_body.h"

#include <gtest/gtest.h>

#include <string>

#include "http/headers.h"

namespace trainload::server {
namespace {

http::Headers With(std::initializer_list<std::pair<std::string, std::string>> fields) {
  http::Headers headers;
  for (const auto& [name, value] : fields) headers.Add(name, value);
  return headers;
}

TEST(ChecksumFromHeadersTest, ReadsTheOneChecksumHeader) {
  // CRC32 of "hello world" is 0x0D4A1185.
  auto got = ChecksumFromHeaders(With({{"x-amz-checksum-crc32", "DUoRhQ=="}}));
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->algorithm, ChecksumAlgorithm::kCrc32);
  EXPECT_EQ((*got)->raw, std::string("\x0d\x4a\x11\x85", 4));
}

TEST(ChecksumFromHeadersTest, OptionsSharingThePrefixAreNotChecksums) {
  auto got = ChecksumFromHeaders(With({{"x-amz-checksum-mode", "ENABLED"},
                                       {"x-amz-checksum-type", "FULL_OBJECT"},
                                       {"x-amz-checksum-algorithm", "CRC32"}}));
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  EXPECT_FALSE(got->has_value());
}

// botocore 1.43 can send SHA512, MD5 and XXHASH checksums; accepting one unverified would store a
// body the client believes was checked.
TEST(ChecksumFromHeadersTest, UnimplementedAlgorithmIsRefused) {
  for (const char* name : {"x-amz-checksum-sha512", "x-amz-checksum-md5",
                           "x-amz-checksum-xxhash64"}) {
    auto got = ChecksumFromHeaders(With({{name, "AAAAAAAAAAA="}}));
    ASSERT_FALSE(got.has_value()) << name;
    EXPECT_EQ(got.error().reason(), "InvalidRequest") << name;
    EXPECT_NE(got.error().message().find(name), std::string::npos) << got.error().ToString();
  }
}

TEST(ChecksumFromHeadersTest, TwoChecksumsAreRefused) {
  auto got = ChecksumFromHeaders(
      With({{"x-amz-checksum-crc32", "DUoRhQ=="}, {"x-amz-checksum-sha1", "AAAA"}}));
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().reason(), "InvalidRequest");
}

}  // namespace
}  // namespace trainload::server
