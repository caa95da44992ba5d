#include "cli/s3_uri.h"

#include <gtest/gtest.h>

namespace trainload::cli {
namespace {

TEST(S3UriTest, SplitsBucketAndKeyVerbatim) {
  auto uri = ParseS3Uri("s3://bucket/dir/sub dir/file (1).txt");
  ASSERT_TRUE(uri.has_value());
  EXPECT_EQ(uri->bucket, "bucket");
  EXPECT_EQ(uri->key, "dir/sub dir/file (1).txt");
  EXPECT_FALSE(uri->IsPrefix());

  // No decoding or normalization: these are the keys as S3 stores them.
  EXPECT_EQ(ParseS3Uri("s3://b/percent%20literal")->key, "percent%20literal");
  EXPECT_EQ(ParseS3Uri("s3://b/a//b/../c")->key, "a//b/../c");
  EXPECT_EQ(ParseS3Uri("s3://b//leading")->key, "/leading");
}

TEST(S3UriTest, BucketAloneAndPrefixes) {
  auto bare = ParseS3Uri("s3://bucket");
  ASSERT_TRUE(bare.has_value());
  EXPECT_EQ(bare->bucket, "bucket");
  EXPECT_EQ(bare->key, "");
  EXPECT_TRUE(bare->IsPrefix());
  EXPECT_EQ(bare->ToString(), "s3://bucket/");

  auto slash = ParseS3Uri("s3://bucket/");
  ASSERT_TRUE(slash.has_value());
  EXPECT_EQ(slash->key, "");

  auto prefix = ParseS3Uri("s3://my.bucket-1/data/train/");
  ASSERT_TRUE(prefix.has_value());
  EXPECT_EQ(prefix->bucket, "my.bucket-1");
  EXPECT_EQ(prefix->key, "data/train/");
  EXPECT_TRUE(prefix->IsPrefix());
  EXPECT_EQ(prefix->ToString(), "s3://my.bucket-1/data/train/");
}

TEST(S3UriTest, RejectsMalformedNamingTheText) {
  for (const char* text : {"s3://", "s3:///key", "bucket/key", "S3://b/k", "s3:/b/k",
                           "s3://my bucket/k", "s3://b?x/k"}) {
    auto uri = ParseS3Uri(text);
    ASSERT_FALSE(uri.has_value()) << text;
    EXPECT_EQ(uri.error().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_NE(uri.error().message().find(text), std::string::npos) << uri.error().message();
  }
}

TEST(LocationTest, KindsOfLocation) {
  auto s3 = ParseLocation("s3://b/k");
  ASSERT_TRUE(s3.has_value());
  EXPECT_TRUE(s3->is_s3());
  EXPECT_EQ(s3->s3.key, "k");
  EXPECT_EQ(s3->ToString(), "s3://b/k");

  auto dash = ParseLocation("-");
  ASSERT_TRUE(dash.has_value());
  EXPECT_TRUE(dash->is_stdio());

  for (const char* path : {"data", "./data/", "/abs/path", "s3", "s3:", "dir/with://inside"}) {
    auto local = ParseLocation(path);
    ASSERT_TRUE(local.has_value()) << path;
    EXPECT_TRUE(local->is_local()) << path;
    EXPECT_EQ(local->path, path);
  }
}

TEST(LocationTest, RejectsOtherSchemesAndEmpty) {
  EXPECT_FALSE(ParseLocation("").has_value());
  auto gs = ParseLocation("gs://bucket/key");
  ASSERT_FALSE(gs.has_value());
  EXPECT_NE(gs.error().message().find("gs://bucket/key"), std::string::npos);
  EXPECT_FALSE(ParseLocation("S3://bucket/key").has_value());
  EXPECT_FALSE(ParseLocation("s3://").has_value());
}

TEST(KeyArithmeticTest, DirectoryPrefix) {
  EXPECT_EQ(DirectoryPrefix(""), "");
  EXPECT_EQ(DirectoryPrefix("data"), "data/");
  EXPECT_EQ(DirectoryPrefix("data/"), "data/");
  EXPECT_EQ(DirectoryPrefix("a/b"), "a/b/");
}

TEST(KeyArithmeticTest, BaseNameAndJoin) {
  EXPECT_EQ(KeyBaseName("a/b/c.txt"), "c.txt");
  EXPECT_EQ(KeyBaseName("c.txt"), "c.txt");
  EXPECT_EQ(KeyBaseName("dir/"), "");
  EXPECT_EQ(JoinKey("", "x/y"), "x/y");
  EXPECT_EQ(JoinKey("p", "x"), "p/x");
  EXPECT_EQ(JoinKey("p/", "x"), "p/x");
}

}  // namespace
}  // namespace trainload::cli
