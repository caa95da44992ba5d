#include "server/multipart_digests.h"

#include <gtest/gtest.h>

#include "common/digest.h"
#include "common/encoding.h"

namespace trainload::server {
namespace {

PartDigest Part(const std::string& data, ChecksumAlgorithm algorithm) {
  return PartDigest{Md5(data), ComputeChecksum(algorithm, data), data.size()};
}

TEST(MultipartDigestsTest, ETagIsMd5OfPartMd5sWithCount) {
  std::string a(5 << 20, 'a'), b = "tail";
  std::vector<PartDigest> parts = {Part(a, ChecksumAlgorithm::kCrc32),
                                   Part(b, ChecksumAlgorithm::kCrc32)};
  std::string expected = HexEncode(Md5(Md5(a) + Md5(b))) + "-2";
  EXPECT_EQ(MultipartETag(parts), expected);
}

TEST(MultipartDigestsTest, FullObjectCrcEqualsCrcOfWholeObject) {
  std::string a(100000, 'x'), b(12345, 'y'), c = "end";
  for (ChecksumAlgorithm alg : {ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c,
                                ChecksumAlgorithm::kCrc64Nvme}) {
    std::vector<PartDigest> parts = {Part(a, alg), Part(b, alg), Part(c, alg)};
    EXPECT_EQ(FullObjectChecksum(alg, parts), ComputeChecksum(alg, a + b + c));
  }
  EXPECT_FALSE(FullObjectChecksum(ChecksumAlgorithm::kSha256,
                                  {Part(a, ChecksumAlgorithm::kSha256)}));
}

TEST(MultipartDigestsTest, CompositeIsChecksumOfChecksums) {
  std::string a = "first part", b = "second";
  auto alg = ChecksumAlgorithm::kSha256;
  std::vector<PartDigest> parts = {Part(a, alg), Part(b, alg)};
  EXPECT_EQ(CompositeChecksum(alg, parts),
            ComputeChecksum(alg, ComputeChecksum(alg, a) + ComputeChecksum(alg, b)));
}

TEST(MultipartDigestsTest, MissingPartChecksumGivesNone) {
  std::vector<PartDigest> parts = {Part("a", ChecksumAlgorithm::kCrc32), PartDigest{Md5("b"), "", 1}};
  EXPECT_FALSE(CompositeChecksum(ChecksumAlgorithm::kCrc32, parts));
  EXPECT_FALSE(FullObjectChecksum(ChecksumAlgorithm::kCrc32, parts));
}

}  // namespace
}  // namespace trainload::server
