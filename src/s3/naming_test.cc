#include "s3/naming.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "s3/error_code.h"

namespace trainload::s3 {
namespace {

std::string ReasonOf(const Status& s) { return s.reason(); }

TEST(NamingTest, AcceptsValidBucketNames) {
  for (const std::string& name : std::vector<std::string>{
           "abc", "my-bucket.data", "a1b2c3", "bucket--usw2-az1--x-s3", std::string(63, 'a')}) {
    EXPECT_TRUE(ValidateBucketName(name).ok()) << name;
  }
}

TEST(NamingTest, RejectsInvalidBucketNamesWithInvalidBucketName) {
  for (const char* name : {"ab", "Upper", "under_score", "-start", "end-", "a..b", "192.168.1.1",
                           "xn--abc", "thing-s3alias", "sp ace", "nozone--x-s3",
                           "dot.ted--use1-az4--x-s3"}) {
    Status s = ValidateBucketName(name);
    EXPECT_EQ(ReasonOf(s), "InvalidBucketName") << name;
    EXPECT_NE(s.message().find(name), std::string::npos) << s.message();
  }
  EXPECT_EQ(ReasonOf(ValidateBucketName(std::string(64, 'a'))), "InvalidBucketName");
}

TEST(NamingTest, DirectoryBucketNames) {
  EXPECT_TRUE(IsDirectoryBucketName("data--use1-az4--x-s3"));
  EXPECT_FALSE(IsDirectoryBucketName("data"));
}

TEST(NamingTest, KeysAreBytesUpTo1024) {
  EXPECT_TRUE(ValidateObjectKey("a").ok());
  EXPECT_TRUE(ValidateObjectKey("../../etc/passwd").ok());
  EXPECT_TRUE(ValidateObjectKey("a//b %2F + caf\xc3\xa9 \xf0\x9f\x98\x80").ok());
  EXPECT_TRUE(ValidateObjectKey(std::string(1024, 'k')).ok());
  EXPECT_EQ(ReasonOf(ValidateObjectKey(std::string(1025, 'k'))), "KeyTooLongError");
  EXPECT_EQ(ReasonOf(ValidateObjectKey("")), "InvalidArgument");
}

TEST(NamingTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xe2\x82\xac"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xff"));
}

}  // namespace
}  // namespace trainload::s3
