#include "server/storage/multipart_store.h"

#include <gtest/gtest.h>

#include "server/storage/storage_test_support.h"

namespace trainload::storage {
namespace {

using testing::Get;
using testing::PartFields;
using testing::Put;
using testing::Stage;
using testing::Uploads;

class MultipartStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*ObjectStore::Open({dir_.path(), /*fsync=*/false}, clock_));
    ASSERT_TRUE(store_->CreateBucket("bkt", "r", BucketKind::kGeneralPurpose));
  }
  UploadInfo Create(std::string key) {
    clock_.Advance(1);
    auto upload = store_->CreateUpload("bkt", key, {});
    EXPECT_TRUE(upload) << upload.error().ToString();
    return *upload;
  }
  Result<PartRecord> Part(const UploadInfo& u, uint32_t number, std::string data,
                          std::string checksum = "") {
    return store_->PutPart("bkt", u.key, u.upload_id, number, PartFields("etag-" + data, checksum),
                           *Stage(*store_, data));
  }
  size_t ObjectFiles() { return *store_->CountObjectFiles(); }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_F(MultipartStoreTest, UploadRoundTripAndIdShape) {
  ObjectAttributes attributes;
  attributes.content_type = "application/x-tar";
  attributes.user_metadata = {{"k", "v"}};
  clock_.Set(777);
  auto upload = store_->CreateUpload("bkt", "a/b", attributes, 1, true);
  ASSERT_TRUE(upload);
  EXPECT_EQ(upload->upload_id.size(), 64u);
  EXPECT_TRUE(MultipartStore::IsValidUploadId(upload->upload_id));
  EXPECT_EQ(upload->initiated_ms, 777);
  auto got = store_->GetUpload("bkt", "a/b", upload->upload_id);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, *upload);
  EXPECT_EQ(got->attributes, attributes);
  EXPECT_EQ(got->checksum_algorithm, 1);
  EXPECT_TRUE(got->checksum_full_object);
  // The id belongs to exactly this bucket and key.
  EXPECT_EQ(store_->GetUpload("bkt", "a/c", upload->upload_id).error().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->GetUpload("bkt", "a/b", "not-an-id").error().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->CreateUpload("nobucket", "k", {}).error().code(), StatusCode::kNotFound);
}

TEST_F(MultipartStoreTest, CompleteConcatenatesPartsWithoutCopying) {
  UploadInfo u = Create("big");
  ASSERT_TRUE(Part(u, 2, "BBBB", "c2"));
  ASSERT_TRUE(Part(u, 1, "AAAAA", "c1"));
  ASSERT_TRUE(Part(u, 3, "C", "c3"));
  size_t files_before = ObjectFiles();
  clock_.Set(42);
  ObjectRecord final_record;
  final_record.etag = "abc-3";
  final_record.attributes.content_type = "text/plain";
  auto done = store_->CompleteUpload("bkt", "big", u.upload_id,
                                     {{1, "etag-AAAAA"}, {2, "\"etag-BBBB\""}, {3, "etag-C"}},
                                     final_record);
  ASSERT_TRUE(done) << done.error().ToString();
  EXPECT_EQ(done->size, 10u);
  EXPECT_EQ(done->part_count, 3u);
  EXPECT_EQ(done->segments.size(), 3u);
  EXPECT_EQ(done->part_checksums, (std::vector<std::string>{"c1", "c2", "c3"}));
  EXPECT_EQ(done->etag, "abc-3");
  EXPECT_EQ(done->last_modified_ms, 42);
  EXPECT_EQ(ObjectFiles(), files_before) << "parts became segments in place";
  EXPECT_EQ(*Get(*store_, "bkt", "big"), "AAAAABBBBC");
  EXPECT_EQ(*store_->Head("bkt", "big"), *done);
  EXPECT_EQ(store_->GetUpload("bkt", "big", u.upload_id).error().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->ListUploads("bkt", {})->uploads.empty());
}

TEST_F(MultipartStoreTest, ReplacedPartFileIsRemoved) {
  UploadInfo u = Create("k");
  ASSERT_TRUE(Part(u, 1, "old"));
  EXPECT_EQ(ObjectFiles(), 1u);
  auto replaced = Part(u, 1, "newer");
  ASSERT_TRUE(replaced);
  EXPECT_EQ(replaced->size, 5u);
  EXPECT_EQ(ObjectFiles(), 1u);
  auto parts = store_->ListParts("bkt", "k", u.upload_id, 0, 1000);
  ASSERT_EQ(parts->parts.size(), 1u);
  EXPECT_EQ(parts->parts[0].etag, "etag-newer");
  // The old ETag no longer completes.
  auto stale = store_->CompleteUpload("bkt", "k", u.upload_id, {{1, "etag-old"}}, {});
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(stale.error().message().find("part 1"), std::string::npos);
}

TEST_F(MultipartStoreTest, CompleteWithSubsetDiscardsUnlistedParts) {
  UploadInfo u = Create("k");
  for (uint32_t n = 1; n <= 5; ++n) ASSERT_TRUE(Part(u, n, std::string(n, 'a' + n)));
  EXPECT_EQ(ObjectFiles(), 5u);
  auto done =
      store_->CompleteUpload("bkt", "k", u.upload_id, {{2, "etag-cc"}, {4, "etag-eeee"}}, {});
  ASSERT_TRUE(done) << done.error().ToString();
  EXPECT_EQ(*Get(*store_, "bkt", "k"), "cceeee");
  EXPECT_EQ(done->part_count, 2u);
  EXPECT_TRUE(done->part_checksums.empty());
  EXPECT_EQ(ObjectFiles(), 2u);
}

TEST_F(MultipartStoreTest, CompleteRejectsUnknownPartsWrongEtagsAndBadOrder) {
  UploadInfo u = Create("k");
  ASSERT_TRUE(Part(u, 1, "one"));
  ASSERT_TRUE(Part(u, 3, "three"));
  auto expect_invalid = [&](std::vector<CompletedPart> parts, std::string needle) {
    auto r = store_->CompleteUpload("bkt", "k", u.upload_id, parts, {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.error().message().find(needle), std::string::npos) << r.error().message();
  };
  expect_invalid({{1, "etag-one"}, {2, "etag-two"}}, "part 2 was not uploaded");
  expect_invalid({{1, "etag-one"}, {4, "x"}}, "part 4 was not uploaded");
  expect_invalid({{1, "wrong"}}, "part 1 has ETag");
  expect_invalid({{3, "etag-three"}, {1, "etag-one"}}, "ascend");
  expect_invalid({}, "no parts");
  // Nothing changed: the upload and both parts are still there, no object appeared.
  EXPECT_EQ(store_->ListParts("bkt", "k", u.upload_id, 0, 10)->parts.size(), 2u);
  EXPECT_EQ(store_->Head("bkt", "k").error().code(), StatusCode::kNotFound);
  EXPECT_TRUE(
      store_->CompleteUpload("bkt", "k", u.upload_id, {{1, "etag-one"}, {3, "etag-three"}}, {}));
  EXPECT_EQ(*Get(*store_, "bkt", "k"), "onethree");
  EXPECT_EQ(store_->CompleteUpload("bkt", "k", u.upload_id, {{1, "etag-one"}}, {}).error().code(),
            StatusCode::kNotFound)
      << "a completed upload is gone";
}

TEST_F(MultipartStoreTest, CompleteReplacesExistingObjectAndHonoursTheCheck) {
  ASSERT_TRUE(Put(*store_, "bkt", "k", "old object"));
  UploadInfo u = Create("k");
  ASSERT_TRUE(Part(u, 1, "new"));
  auto refused = store_->CompleteUpload(
      "bkt", "k", u.upload_id, {{1, "etag-new"}}, {}, [](const ObjectRecord* current) {
        return current ? FailedPrecondition("exists") : Status::Ok();
      });
  EXPECT_EQ(refused.error().message(), "exists");
  EXPECT_TRUE(store_->GetUpload("bkt", "k", u.upload_id)) << "a refused complete keeps the upload";
  ASSERT_TRUE(store_->CompleteUpload("bkt", "k", u.upload_id, {{1, "etag-new"}}, {}));
  EXPECT_EQ(*Get(*store_, "bkt", "k"), "new");
  EXPECT_EQ(ObjectFiles(), 1u) << "the replaced object's file is gone";
}

TEST_F(MultipartStoreTest, AbortRemovesPartFiles) {
  UploadInfo u = Create("k");
  for (uint32_t n = 1; n <= 3; ++n) ASSERT_TRUE(Part(u, n, "data"));
  EXPECT_EQ(ObjectFiles(), 3u);
  ASSERT_TRUE(store_->AbortUpload("bkt", "k", u.upload_id).ok());
  EXPECT_EQ(ObjectFiles(), 0u);
  EXPECT_EQ(store_->AbortUpload("bkt", "k", u.upload_id).code(), StatusCode::kNotFound);
  EXPECT_EQ(Part(u, 4, "late").error().code(), StatusCode::kNotFound);
  EXPECT_EQ(ObjectFiles(), 0u) << "a part for an aborted upload leaves no file";
}

TEST_F(MultipartStoreTest, PartNumbersAreCheckedAndEmptyPartsKeepTheirPlace) {
  UploadInfo u = Create("k");
  EXPECT_EQ(Part(u, 0, "x").error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Part(u, 10001, "x").error().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(Part(u, 10000, "x"));
  ASSERT_TRUE(store_->PutPart("bkt", "k", u.upload_id, 1, PartFields("e"), StagedData()));
  auto done = store_->CompleteUpload("bkt", "k", u.upload_id, {{1, "e"}, {10000, "etag-x"}}, {});
  ASSERT_TRUE(done);
  ASSERT_EQ(done->segments.size(), 2u);
  EXPECT_EQ(done->segments[0].size, 0u);
  EXPECT_EQ(*Get(*store_, "bkt", "k"), "x");
}

TEST_F(MultipartStoreTest, ListPartsPages) {
  UploadInfo u = Create("k");
  for (uint32_t n = 1; n <= 25; ++n) ASSERT_TRUE(Part(u, n, std::to_string(n)));
  std::vector<uint32_t> numbers;
  uint32_t marker = 0;
  int pages = 0;
  while (true) {
    auto page = store_->ListParts("bkt", "k", u.upload_id, marker, 10);
    ASSERT_TRUE(page);
    ++pages;
    for (const PartRecord& p : page->parts) {
      numbers.push_back(p.part_number);
      EXPECT_EQ(p.etag, "etag-" + std::to_string(p.part_number));
      EXPECT_EQ(p.size, std::to_string(p.part_number).size());
    }
    if (!page->truncated) break;
    marker = page->next_part_number_marker;
  }
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(numbers.size(), 25u);
  for (uint32_t n = 1; n <= 25; ++n) EXPECT_EQ(numbers[n - 1], n);
  EXPECT_EQ(store_->ListParts("bkt", "k", std::string(64, '0'), 0, 10).error().code(),
            StatusCode::kNotFound);
}

TEST_F(MultipartStoreTest, ListUploadsOrdersByKeyThenInitiationAndPages) {
  // Same key three times, created in time order; keys inserted out of order.
  UploadInfo b1 = Create("b");
  UploadInfo a = Create("a");
  UploadInfo b2 = Create("b");
  UploadInfo c = Create("dir/c");
  UploadInfo b3 = Create("b");
  UploadInfo d = Create("dir/d");
  auto all = store_->ListUploads("bkt", {});
  ASSERT_TRUE(all);
  std::vector<std::string> ids;
  for (const UploadInfo& u : all->uploads) ids.push_back(u.upload_id);
  EXPECT_EQ(ids, (std::vector<std::string>{a.upload_id, b1.upload_id, b2.upload_id, b3.upload_id,
                                           c.upload_id, d.upload_id}));

  auto grouped = store_->ListUploads("bkt", Uploads("", "/"));
  EXPECT_EQ(grouped->uploads.size(), 4u);
  EXPECT_EQ(grouped->common_prefixes, (std::vector<std::string>{"dir/"}));

  // Page by two: (a, b1) (b2, b3) (dir/c, dir/d)
  UploadQuery query = Uploads("", "", "", "", 2);
  std::vector<std::string> paged;
  int pages = 0;
  while (true) {
    auto page = store_->ListUploads("bkt", query);
    ASSERT_TRUE(page);
    ++pages;
    for (const UploadInfo& u : page->uploads) paged.push_back(u.upload_id);
    if (!page->truncated) break;
    query.key_marker = page->next_key_marker;
    query.upload_id_marker = page->next_upload_id_marker;
  }
  EXPECT_EQ(paged, ids);
  EXPECT_EQ(pages, 3);

  // key-marker alone skips every upload of that key.
  auto after_b = store_->ListUploads("bkt", Uploads("", "", "b"));
  ASSERT_EQ(after_b->uploads.size(), 2u);
  EXPECT_EQ(after_b->uploads[0].key, "dir/c");
  auto prefixed = store_->ListUploads("bkt", Uploads("dir/"));
  EXPECT_EQ(prefixed->uploads.size(), 2u);
}

}  // namespace
}  // namespace trainload::storage
