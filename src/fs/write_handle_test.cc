#include "fs/write_handle.h"

#include <gtest/gtest.h>

#include <string>

#include "fs/fake_client_testing.h"

namespace trainload::fs {
namespace {

std::span<const std::byte> Bytes(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

class WriteHandleTest : public testing::Test {
 protected:
  WriteHandleTest() { client_.CreateBucketNow("b"); }
  std::unique_ptr<WriteHandle> Open(const std::string& key) {
    return std::make_unique<WriteHandle>(client_.OpenWriter("b", key, {}).value(), "s3://b/" + key);
  }
  FakeClient client_;
};

TEST_F(WriteHandleTest, SequentialWritesBecomeTheObjectAtCommit) {
  auto handle = Open("dir/f.bin");
  EXPECT_EQ(handle->Write(0, Bytes("hello ")).value(), 6u);
  EXPECT_EQ(handle->Write(6, Bytes("world")).value(), 11u);
  EXPECT_EQ(handle->size(), 11u);
  EXPECT_FALSE(client_.ObjectData("b", "dir/f.bin").has_value()) << "visible before commit";
  auto put = handle->Commit();
  ASSERT_TRUE(put.has_value()) << put.error().ToString();
  EXPECT_FALSE(put->etag.empty());
  EXPECT_EQ(client_.ObjectData("b", "dir/f.bin"), "hello world");
  EXPECT_TRUE(handle->committed());
  // A second commit (flush then release) answers the same.
  EXPECT_EQ(handle->Commit().value().etag, put->etag);
}

TEST_F(WriteHandleTest, EmptyObject) {
  auto handle = Open("empty");
  ASSERT_TRUE(handle->Commit().has_value());
  EXPECT_EQ(client_.ObjectData("b", "empty"), "");
}

TEST_F(WriteHandleTest, OutOfOrderWriteAbandonsTheUpload) {
  for (uint64_t offset : {0ull, 2ull, 4ull, 1000ull}) {
    const std::string key = "f" + std::to_string(offset);
    auto handle = Open(key);
    ASSERT_TRUE(handle->Write(0, Bytes("abc")).has_value());
    auto result = handle->Write(offset, Bytes("X"));
    ASSERT_FALSE(result.has_value()) << offset;
    EXPECT_EQ(result.error().reason(), "OutOfOrderWrite");
    EXPECT_NE(result.error().message().find("s3://b/" + key), std::string::npos);
    // Even a write at the right place is refused now, and close reports the error.
    EXPECT_EQ(handle->Write(3, Bytes("d")).error().reason(), "OutOfOrderWrite");
    auto put = handle->Commit();
    ASSERT_FALSE(put.has_value());
    EXPECT_EQ(put.error().reason(), "OutOfOrderWrite");
    EXPECT_FALSE(client_.ObjectData("b", key).has_value()) << "a partial object appeared";
  }
}

TEST_F(WriteHandleTest, WritesAfterCommitFail) {
  auto handle = Open("f");
  ASSERT_TRUE(handle->Write(0, Bytes("abc")).has_value());
  ASSERT_TRUE(handle->Commit().has_value());
  auto late = handle->Write(3, Bytes("d"));
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().reason(), "BadHandle");
  EXPECT_EQ(client_.ObjectData("b", "f"), "abc");
}

TEST_F(WriteHandleTest, UploadErrorIsReturnedAndNothingAppears) {
  auto handle = Open("f");
  ASSERT_TRUE(handle->Write(0, Bytes("abc")).has_value());
  client_.FailEverything(Unavailable("PutObject s3://b/f: giving up after 10 attempts"));
  auto put = handle->Commit();
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error().code(), StatusCode::kUnavailable);
  EXPECT_NE(put.error().message().find("s3://b/f"), std::string::npos);
  client_.FailEverything(Status::Ok());
  EXPECT_FALSE(handle->Commit().has_value());
  EXPECT_FALSE(client_.ObjectData("b", "f").has_value());
}

TEST_F(WriteHandleTest, DestroyingWithoutCommitLeavesNothing) {
  {
    auto handle = Open("f");
    ASSERT_TRUE(handle->Write(0, Bytes("abc")).has_value());
  }
  EXPECT_FALSE(client_.ObjectData("b", "f").has_value());
}

}  // namespace
}  // namespace trainload::fs
