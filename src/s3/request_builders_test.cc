#include "s3/request_builders.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "s3/request_xml.h"

namespace trainload::s3 {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

TEST(CompleteMultipartUploadBody, ExactBytes) {
  EXPECT_EQ(CompleteMultipartUploadBody(
                {{1, "a54357aff0632cce46d942af68356b38", "", ""},
                 {2, "\"0c78aef83f66abc1fa1e8477f296d394\"", "ChecksumCRC64NVME", "AAAAAAAAAAA="}}),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Part><PartNumber>1</PartNumber>"
            "<ETag>&quot;a54357aff0632cce46d942af68356b38&quot;</ETag></Part>"
            "<Part><PartNumber>2</PartNumber>"
            "<ETag>&quot;0c78aef83f66abc1fa1e8477f296d394&quot;</ETag>"
            "<ChecksumCRC64NVME>AAAAAAAAAAA=</ChecksumCRC64NVME></Part>"
            "</CompleteMultipartUpload>");
}

TEST(CompleteMultipartUploadBody, TheServersParserReadsEveryPart) {
  std::vector<PartToComplete> parts;
  for (uint32_t number = 1; number <= 10000; ++number) {
    PartToComplete& part = parts.emplace_back();
    part.part_number = number;
    part.etag = "etag-" + std::to_string(number);
    if (number % 2 == 0) {
      part.checksum_name = "ChecksumCRC32C";
      part.checksum_value = "crc+/" + std::to_string(number) + "==";
    }
  }
  const auto parsed = ParseCompleteMultipartUpload(CompleteMultipartUploadBody(parts));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
  ASSERT_EQ(parsed->size(), parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    EXPECT_EQ((*parsed)[i].part_number, parts[i].part_number);
    EXPECT_EQ((*parsed)[i].etag, parts[i].etag);
    if (parts[i].checksum_name.empty()) {
      EXPECT_THAT((*parsed)[i].checksums, IsEmpty());
    } else {
      EXPECT_THAT((*parsed)[i].checksums,
                  ElementsAre(Pair(parts[i].checksum_name, parts[i].checksum_value)));
    }
  }
}

const std::vector<std::string>& TrickyKeys() {
  static const std::vector<std::string> keys = {
      "plain.txt",
      "a&b<c>d\"e'f",
      "&amp;&lt; literal entities",
      "]]> and <![CDATA[",
      "\xC3\xBCnic\xC3\xB8"
      "de/\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E/\xF0\x9F\x98\x80",
      " leading and trailing ",
      " ",
      "cr\r only",
      "crlf\r\n and lf\n and tab\t",
      "ctrl\x01\x02\x1b\x1f",
      "100% + plus",
      "dir//double/../dots/",
  };
  return keys;
}

TEST(DeleteObjectsBody, KeysSurviveTheServersParser) {
  for (bool quiet : {false, true}) {
    const auto parsed = ParseDelete(DeleteObjectsBody(TrickyKeys(), quiet));
    ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
    EXPECT_EQ(parsed->quiet, quiet);
    ASSERT_EQ(parsed->objects.size(), TrickyKeys().size());
    for (size_t i = 0; i < TrickyKeys().size(); ++i) {
      EXPECT_EQ(parsed->objects[i].key, TrickyKeys()[i]);
      EXPECT_EQ(parsed->objects[i].version_id, "");
      EXPECT_FALSE(parsed->objects[i].etag.has_value());
    }
  }
}

TEST(DeleteObjectsBody, ExactBytes) {
  EXPECT_EQ(DeleteObjectsBody({"a&b", "cr\r"}, /*quiet=*/true),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>"
            "<Object><Key>a&amp;b</Key></Object><Object><Key>cr&#xd;</Key></Object></Delete>");
  EXPECT_EQ(DeleteObjectsBody({"k"}, /*quiet=*/false),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Object><Key>k</Key></Object></Delete>");
}

TEST(DeleteObjectsBody, AThousandKeysParse) {
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i) keys.push_back("shard-" + std::to_string(i) + ".tar");
  const auto parsed = ParseDelete(DeleteObjectsBody(keys, true));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
  ASSERT_EQ(parsed->objects.size(), 1000u);
  EXPECT_EQ(parsed->objects[999].key, "shard-999.tar");
}

TEST(CreateBucketBody, EmptyForUsEast1) {
  EXPECT_EQ(CreateBucketBody(""), "");
  EXPECT_EQ(CreateBucketBody("us-east-1"), "");
}

TEST(CreateBucketBody, LocationConstraintElsewhere) {
  const std::string body = CreateBucketBody("eu-west-1");
  EXPECT_EQ(body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>");
  for (const char* region : {"eu-west-1", "ap-southeast-2", "us-west-2", "EU"}) {
    const auto parsed = ParseCreateBucketConfiguration(CreateBucketBody(region));
    ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
    EXPECT_EQ(parsed->location_constraint, region);
    EXPECT_EQ(parsed->bucket_type, "");
  }
  const auto us_east = ParseCreateBucketConfiguration(CreateBucketBody("us-east-1"));
  ASSERT_TRUE(us_east.has_value());
  EXPECT_EQ(us_east->location_constraint, "");
}

}  // namespace
}  // namespace trainload::s3
