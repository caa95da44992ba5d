#include "server/storage/object_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "server/storage/storage_test_support.h"

namespace trainload::storage {
namespace {

using namespace std::string_literals;
using testing::AllKeys;
using testing::Get;
using testing::PartFields;
using testing::Put;
using testing::Query;
using testing::ReadAll;
using testing::Record;
using testing::Stage;

class ObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Reopen();
    ASSERT_TRUE(store_->CreateBucket("bkt", "us-east-1", BucketKind::kGeneralPurpose));
  }
  void Reopen() {
    store_.reset();
    auto store = ObjectStore::Open({dir_.path(), /*fsync=*/false}, clock_);
    ASSERT_TRUE(store) << store.error().ToString();
    store_ = std::move(*store);
  }
  size_t ObjectFiles() { return *store_->CountObjectFiles(); }
  ListPage List(ListQuery query) {
    auto page = store_->List("bkt", query);
    EXPECT_TRUE(page) << page.error().ToString();
    return page ? *page : ListPage{};
  }
  static std::vector<std::string> Keys(const ListPage& page) {
    std::vector<std::string> keys;
    for (const ObjectRecord& r : page.objects) keys.push_back(r.key);
    return keys;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<ObjectStore> store_;
};

// ---- buckets

TEST_F(ObjectStoreTest, BucketLifecycle) {
  clock_.Set(5000);
  auto created = store_->CreateBucket("dir--use1-az4--x-s3", "us-east-1", BucketKind::kDirectory);
  ASSERT_TRUE(created);
  EXPECT_EQ(created->created_ms, 5000);
  auto got = store_->GetBucket("dir--use1-az4--x-s3");
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, *created);
  EXPECT_EQ(store_->CreateBucket("bkt", "eu-west-1", BucketKind::kGeneralPurpose).error().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->GetBucket("nope").error().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteBucket("nope").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->CreateBucket("", "r", BucketKind::kGeneralPurpose).error().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_->DeleteBucket("dir--use1-az4--x-s3").ok());
  EXPECT_EQ(store_->GetBucket("dir--use1-az4--x-s3").error().code(), StatusCode::kNotFound);
}

TEST_F(ObjectStoreTest, ListBucketsInByteOrderWithPrefixAndPaging) {
  for (std::string name : {"b2", "a1", "b1", "c", "b10"}) {
    ASSERT_TRUE(store_->CreateBucket(name, "r", BucketKind::kGeneralPurpose));
  }
  auto all = store_->ListBuckets("", "", 100);
  ASSERT_TRUE(all);
  std::vector<std::string> names;
  for (const BucketInfo& b : all->buckets) names.push_back(b.name);
  EXPECT_EQ(names, (std::vector<std::string>{"a1", "b1", "b10", "b2", "bkt", "c"}));
  EXPECT_FALSE(all->truncated);

  auto first = store_->ListBuckets("b", "", 2);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->buckets.size(), 2u);
  EXPECT_TRUE(first->truncated);
  EXPECT_EQ(first->next_marker, "b10");
  auto second = store_->ListBuckets("b", first->next_marker, 2);
  ASSERT_EQ(second->buckets.size(), 2u);
  EXPECT_EQ(second->buckets[0].name, "b2");
  EXPECT_EQ(second->buckets[1].name, "bkt");
  EXPECT_FALSE(second->truncated);
}

TEST_F(ObjectStoreTest, DeleteBucketRefusesWhileObjectsExist) {
  ASSERT_TRUE(Put(*store_, "bkt", "k", "v"));
  Status s = store_->DeleteBucket("bkt");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("bucket not empty"), std::string::npos) << s.message();
  EXPECT_TRUE(s.reason().empty());
  ASSERT_TRUE(store_->Delete("bkt", "k").value());
  EXPECT_TRUE(store_->DeleteBucket("bkt").ok());
  EXPECT_EQ(Put(*store_, "bkt", "k", "v").error().code(), StatusCode::kNotFound);
  EXPECT_EQ(ObjectFiles(), 0u) << "the refused put removed its staged file";
}

TEST_F(ObjectStoreTest, DeleteBucketAbortsUploadsAndARecreatedBucketIsEmpty) {
  auto upload = store_->CreateUpload("bkt", "big", {});
  ASSERT_TRUE(upload);
  ASSERT_TRUE(store_->PutPart("bkt", "big", upload->upload_id, 1, {}, *Stage(*store_, "part")));
  EXPECT_EQ(ObjectFiles(), 1u);
  ASSERT_TRUE(store_->DeleteBucket("bkt").ok());
  EXPECT_EQ(ObjectFiles(), 0u);
  ASSERT_TRUE(store_->CreateBucket("bkt", "r", BucketKind::kGeneralPurpose));
  EXPECT_EQ(store_->GetUpload("bkt", "big", upload->upload_id).error().code(),
            StatusCode::kNotFound);
  EXPECT_TRUE(store_->ListUploads("bkt", {})->uploads.empty());
  EXPECT_TRUE(List({}).objects.empty());
}

// ---- objects

TEST_F(ObjectStoreTest, EveryRecordFieldRoundTripsThroughCommitHeadListAndOpen) {
  ObjectRecord record;
  record.key = "dir/file name.txt";
  record.etag = "5d41402abc4b2a76b9719d911017c592";
  record.attributes.content_type = "text/plain";
  record.attributes.content_encoding = "identity";
  record.attributes.content_disposition = "inline";
  record.attributes.content_language = "fr";
  record.attributes.cache_control = "no-cache";
  record.attributes.expires = "Wed, 21 Oct 2015 07:28:00 GMT";
  record.attributes.user_metadata = {{"a", "1"}, {"b", "two words"}};
  record.attributes.storage_class = "STANDARD_IA";
  record.checksum = StoredChecksum{2, "\x01\x02\x03\x04", true};
  record.last_modified_ms = 1;  // ignored: the store sets it
  record.size = 999;            // ignored: the store sets it
  clock_.Set(1'234'567);
  auto committed = store_->Commit("bkt", record, *Stage(*store_, "hello"));
  ASSERT_TRUE(committed) << committed.error().ToString();
  EXPECT_EQ(committed->size, 5u);
  EXPECT_EQ(committed->last_modified_ms, 1'234'567);
  ASSERT_EQ(committed->segments.size(), 1u);
  EXPECT_EQ(committed->segments[0].size, 5u);

  ObjectRecord expected = record;
  expected.size = 5;
  expected.last_modified_ms = 1'234'567;
  expected.segments = committed->segments;
  EXPECT_EQ(*committed, expected);
  EXPECT_EQ(*store_->Head("bkt", record.key), expected);
  ListPage page = List({});
  ASSERT_EQ(page.objects.size(), 1u);
  EXPECT_EQ(page.objects[0], expected);
  auto reader = store_->OpenObject("bkt", record.key);
  ASSERT_TRUE(reader);
  EXPECT_EQ((*reader)->record(), expected);
  EXPECT_EQ(*ReadAll(**reader), "hello");

  Reopen();
  EXPECT_EQ(*store_->Head("bkt", record.key), expected);
  EXPECT_EQ(*Get(*store_, "bkt", record.key), "hello");
}

TEST_F(ObjectStoreTest, KeysAreBytesAndNestedNamesCoexist) {
  const std::vector<std::string> keys = {
      "a", "a/b", "a/b/c", "../x", "a//b", "%2F", "sp ace", "nul\0inside"s, std::string(1024, 'k')};
  for (const std::string& key : keys) ASSERT_TRUE(Put(*store_, "bkt", key, "v:" + key)) << key;
  for (const std::string& key : keys) EXPECT_EQ(*Get(*store_, "bkt", key), "v:" + key);
  EXPECT_EQ(Put(*store_, "bkt", std::string(1025, 'k'), "x").error().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Put(*store_, "bkt", "", "x").error().code(), StatusCode::kInvalidArgument);
  // Nothing on disk is named after a key.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.path())) {
    EXPECT_EQ(entry.path().string().find("../x"), std::string::npos);
  }
}

TEST_F(ObjectStoreTest, MissingBucketAndMissingKeyAreNotFound) {
  EXPECT_EQ(store_->Head("bkt", "nope").error().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Head("nobucket", "k").error().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->OpenObject("bkt", "nope").error().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->List("nobucket", {}).error().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Delete("nobucket", "k").error().code(), StatusCode::kNotFound);
  auto deleted = store_->Delete("bkt", "nope");
  ASSERT_TRUE(deleted) << "a missing key is not an error";
  EXPECT_FALSE(*deleted);
}

TEST_F(ObjectStoreTest, OverwriteRemovesOldFileButOpenReaderKeepsOldBytes) {
  ASSERT_TRUE(Put(*store_, "bkt", "k", "version one"));
  auto reader = store_->OpenObject("bkt", "k");
  ASSERT_TRUE(reader);
  ASSERT_TRUE(Put(*store_, "bkt", "k", "version two!"));
  EXPECT_EQ(ObjectFiles(), 1u) << "the replaced file was unlinked at commit";
  EXPECT_EQ(*ReadAll(**reader), "version one");
  EXPECT_EQ(*Get(*store_, "bkt", "k"), "version two!");
  ASSERT_TRUE(*store_->Delete("bkt", "k"));
  EXPECT_EQ(ObjectFiles(), 0u);
  EXPECT_EQ(*ReadAll(**reader), "version one");
}

TEST_F(ObjectStoreTest, ZeroByteObjectsHaveNoDataFile) {
  auto committed = store_->Commit("bkt", Record("dir/"), StagedData());
  ASSERT_TRUE(committed);
  EXPECT_TRUE(committed->segments.empty());
  ASSERT_TRUE(Put(*store_, "bkt", "empty-from-writer", ""));
  EXPECT_EQ(ObjectFiles(), 0u);
  EXPECT_EQ(*Get(*store_, "bkt", "empty-from-writer"), "");
  EXPECT_EQ(store_->Head("bkt", "dir/")->size, 0u);
}

TEST_F(ObjectStoreTest, CommitCheckSeesCurrentRecordAndCanRefuse) {
  auto if_none_match = [](const ObjectRecord* current) {
    return current ? FailedPrecondition("exists") : Status::Ok();
  };
  ASSERT_TRUE(Put(*store_, "bkt", "k", "first", if_none_match));
  auto second = Put(*store_, "bkt", "k", "second", if_none_match);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().message(), "exists") << "the check's status comes back unchanged";
  EXPECT_EQ(*Get(*store_, "bkt", "k"), "first");
  EXPECT_EQ(ObjectFiles(), 1u) << "the refused data file was removed";

  auto if_match = [](std::string etag) {
    return [etag](const ObjectRecord* current) {
      return current && current->etag == etag ? Status::Ok() : FailedPrecondition("etag");
    };
  };
  EXPECT_FALSE(Put(*store_, "bkt", "k", "third", if_match("wrong")));
  ASSERT_TRUE(Put(*store_, "bkt", "k", "third", if_match("etag-5")));
  EXPECT_EQ(*Get(*store_, "bkt", "k"), "third");
  EXPECT_EQ(store_->Delete("bkt", "missing", if_match("x")).error().message(), "etag");
  EXPECT_TRUE(store_->Delete("bkt", "k", if_match("etag-5")).value());
}

TEST_F(ObjectStoreTest, AppendKeepsSegmentsAndTheEditSeesTheCurrentObject) {
  auto append = [&](std::string data, uint64_t offset) {
    std::vector<StagedData> staged;
    staged.push_back(*Stage(*store_, data));
    return store_->CommitSegments(
        "bkt", Record("log"), std::move(staged), CommitMode::kAppend,
        [offset](const ObjectRecord* current, ObjectRecord& next) {
          uint64_t size = current ? current->size : 0;
          if (size != offset) return InvalidArgument("write offset " + std::to_string(offset));
          next.etag = "appended-" + std::to_string(current ? current->segments.size() : 0);
          next.part_count = 99;  // metadata is the edit's to set
          next.size = 12345;     // ...but not the size
          return Status::Ok();
        });
  };
  ASSERT_TRUE(append("abc", 0));
  ASSERT_TRUE(append("defg", 3));
  EXPECT_EQ(append("x", 3).error().code(), StatusCode::kInvalidArgument);
  auto last = append("hi", 7);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->size, 9u);
  EXPECT_EQ(last->etag, "appended-2");
  EXPECT_EQ(last->part_count, 99u);
  EXPECT_EQ(last->segments.size(), 3u);
  EXPECT_EQ(*Get(*store_, "bkt", "log"), "abcdefghi");
  EXPECT_EQ(ObjectFiles(), 3u);
  // A replace drops all three.
  ASSERT_TRUE(Put(*store_, "bkt", "log", "new"));
  EXPECT_EQ(ObjectFiles(), 1u);
}

TEST_F(ObjectStoreTest, CopyRangeCopiesAcrossSegments) {
  std::vector<StagedData> staged;
  staged.push_back(*Stage(*store_, "0123"));
  staged.push_back(*Stage(*store_, "4567"));
  staged.push_back(*Stage(*store_, "89"));
  ASSERT_TRUE(
      store_->CommitSegments("bkt", Record("src"), std::move(staged), CommitMode::kReplace));
  auto reader = *store_->OpenObject("bkt", "src");
  auto copy = store_->CopyRange(*reader, 2, 7);
  ASSERT_TRUE(copy) << copy.error().ToString();
  EXPECT_EQ(copy->size(), 7u);
  ASSERT_TRUE(store_->Commit("bkt", Record("dst"), std::move(*copy)));
  EXPECT_EQ(*Get(*store_, "bkt", "dst"), "2345678");
  EXPECT_EQ(store_->CopyRange(*reader, 5, 6).error().code(), StatusCode::kOutOfRange);
}

TEST_F(ObjectStoreTest, WindowedOpenReadsOnlyItsRange) {
  std::vector<StagedData> staged;
  for (std::string part : {"aaaa", "bbbb", "cccc"}) staged.push_back(*Stage(*store_, part));
  ASSERT_TRUE(store_->CommitSegments("bkt", Record("k"), std::move(staged), CommitMode::kReplace));
  auto reader = store_->OpenObject("bkt", "k", ByteWindow{5, 2});
  ASSERT_TRUE(reader);
  std::string out(2, '\0');
  ASSERT_EQ(*(*reader)->ReadAt(5, std::as_writable_bytes(std::span(out))), 2u);
  EXPECT_EQ(out, "bb");
  EXPECT_EQ((*reader)->Extents(0, 100).size(), 1u);
}

// ---- listing

TEST_F(ObjectStoreTest, ListingIsInUtf8ByteOrder) {
  const std::vector<std::string> keys = {"a/b",  "a",    "a b", "a%",    "a+",          "a\xc3\xa9",
                                         "a//b", "../x", "B",   "a\x7f", "\xe2\x82\xac"};
  for (const std::string& key : keys) ASSERT_TRUE(Put(*store_, "bkt", key, "x"));
  std::vector<std::string> expected = keys;
  std::sort(expected.begin(), expected.end());  // std::string compares bytes as unsigned
  EXPECT_EQ(expected, (std::vector<std::string>{"../x", "B", "a", "a b", "a%", "a+", "a//b", "a/b",
                                                "a\x7f", "a\xc3\xa9", "\xe2\x82\xac"}));
  EXPECT_EQ(*AllKeys(*store_, "bkt"), expected);
  EXPECT_EQ(*AllKeys(*store_, "bkt", 1), expected);
}

TEST_F(ObjectStoreTest, PrefixDelimiterAndStartAfter) {
  for (std::string key : {"photos/2024/a.jpg", "photos/2024/b.jpg", "photos/2025/c.jpg",
                          "photos/index.html", "photos", "photosx", "videos/v.mp4", "z"}) {
    ASSERT_TRUE(Put(*store_, "bkt", key, "x"));
  }
  ListPage top = List(Query("", "/"));
  EXPECT_EQ(Keys(top), (std::vector<std::string>{"photos", "photosx", "z"}));
  EXPECT_EQ(top.common_prefixes, (std::vector<std::string>{"photos/", "videos/"}));

  ListPage photos = List(Query("photos/", "/"));
  EXPECT_EQ(Keys(photos), (std::vector<std::string>{"photos/index.html"}));
  EXPECT_EQ(photos.common_prefixes, (std::vector<std::string>{"photos/2024/", "photos/2025/"}));

  ListPage after = List(Query("photos/", "/", "photos/2024/a"));
  EXPECT_EQ(after.common_prefixes, (std::vector<std::string>{"photos/2025/"}))
      << "a prefix <= start-after is not returned";
  ListPage flat = List(Query("photos/", "", "photos/2024/a.jpg"));
  EXPECT_EQ(Keys(flat), (std::vector<std::string>{"photos/2024/b.jpg", "photos/2025/c.jpg",
                                                  "photos/index.html"}));
  // start_after before the prefix is irrelevant; after everything, empty.
  EXPECT_EQ(Keys(List(Query("v", "", "a"))), (std::vector<std::string>{"videos/v.mp4"}));
  EXPECT_TRUE(List(Query("photos/", "", "q")).objects.empty());
  ListPage other_delimiter = List(Query("", "o"));
  EXPECT_EQ(Keys(other_delimiter), (std::vector<std::string>{"z"}));
  EXPECT_EQ(other_delimiter.common_prefixes, (std::vector<std::string>{"pho", "video"}));
}

TEST_F(ObjectStoreTest, KeyCountCountsPrefixesAndPagesResumeFromNextMarker) {
  for (std::string key : {"a/1", "a/2", "b", "c/1", "d", "e/1"}) {
    ASSERT_TRUE(Put(*store_, "bkt", key, "x"));
  }
  std::vector<std::string> seen;
  ListQuery query = Query("", "/", "", 2);
  int pages = 0;
  while (true) {
    ListPage page = List(query);
    ++pages;
    size_t key_count = page.objects.size() + page.common_prefixes.size();
    EXPECT_LE(key_count, 2u);
    for (const auto& p : page.common_prefixes) seen.push_back(p);
    for (const auto& o : page.objects) seen.push_back(o.key);
    if (!page.truncated) break;
    EXPECT_EQ(key_count, 2u);
    query.start_after = page.next_marker;
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"a/", "b", "c/", "d", "e/"}));
  EXPECT_EQ(pages, 3);
  ListPage zero = List(Query("", "", "", 0));
  EXPECT_TRUE(zero.objects.empty());
  EXPECT_FALSE(zero.truncated);
}

TEST_F(ObjectStoreTest, Paging2500KeysBy1000AndBy7GivesEachKeyOnceInOrder) {
  std::vector<std::string> expected;
  for (int i = 0; i < 2500; ++i) {
    char key[32];
    std::snprintf(key, sizeof(key), "key/%05d", (i * 7919) % 2500);  // inserted out of order
    ASSERT_TRUE(store_->Commit("bkt", Record(key), StagedData()));
    expected.push_back(key);
  }
  std::sort(expected.begin(), expected.end());
  for (size_t page_size : {1000u, 7u}) {
    std::vector<std::string> keys;
    ListQuery query = Query("", "", "", page_size);
    size_t pages = 0;
    while (true) {
      ListPage page = List(query);
      ++pages;
      for (const auto& o : page.objects) keys.push_back(o.key);
      if (!page.truncated) break;
      ASSERT_EQ(page.objects.size(), page_size);
      query.start_after = page.next_marker;
    }
    EXPECT_EQ(keys, expected) << "page size " << page_size;
    EXPECT_EQ(pages, (2500 + page_size - 1) / page_size);
  }
  EXPECT_EQ(List(Query("", "", "", 5000)).objects.size(), kMaxListKeys) << "capped at 1000";
}

TEST_F(ObjectStoreTest, HundredThousandKeysUnderTenPrefixesListAsTenGroups) {
  for (int group = 0; group < 10; ++group) {
    for (int i = 0; i < 10000; ++i) {
      std::string key = "dir" + std::to_string(group) + "/sub/" + std::to_string(i);
      ASSERT_TRUE(store_->Commit("bkt", Record(key), StagedData()));
    }
  }
  ASSERT_TRUE(Put(*store_, "bkt", "dir5", "file beside the directory"));
  ListPage page = List(Query("", "/"));
  EXPECT_FALSE(page.truncated);
  EXPECT_EQ(Keys(page), (std::vector<std::string>{"dir5"}));
  std::vector<std::string> expected;
  for (int group = 0; group < 10; ++group) expected.push_back("dir" + std::to_string(group) + "/");
  EXPECT_EQ(page.common_prefixes, expected);
  ListPage deeper = List(Query("dir3/", "/"));
  EXPECT_EQ(deeper.common_prefixes, (std::vector<std::string>{"dir3/sub/"}));
  EXPECT_EQ(List(Query("dir3/sub/")).objects.size(), 1000u);
}

// ---- restart and recovery

TEST_F(ObjectStoreTest, ReopenBumpsGenerationEmptiesTmpAndSweepsOldOrphans) {
  ASSERT_TRUE(Put(*store_, "bkt", "kept", "data"));
  uint64_t first_generation = store_->generation();
  // An orphan: a finished file never committed (as after a crash before the index write).
  { (void)Stage(*store_, "orphan")->Release(); }
  // A temp file in flight.
  auto writer = *store_->NewWriter();
  ASSERT_TRUE(writer->Append("half").ok());
  std::ofstream(dir_.path() / "tmp" / "leftover") << "junk";
  EXPECT_EQ(ObjectFiles(), 2u);
  EXPECT_EQ(*store_->WaitForSweep(), 0u) << "nothing is older than the first generation";

  Reopen();
  EXPECT_GT(store_->generation(), first_generation);
  EXPECT_EQ(*store_->CountTmpFiles(), 0u);
  EXPECT_EQ(*store_->WaitForSweep(), 1u);
  EXPECT_EQ(ObjectFiles(), 1u);
  EXPECT_EQ(*Get(*store_, "bkt", "kept"), "data");
  writer.reset();  // its temp file is already gone; destroying it is harmless
}

TEST_F(ObjectStoreTest, SweepLeavesReferencedOldFilesAndPartsAlone) {
  ASSERT_TRUE(Put(*store_, "bkt", "a", "object"));
  auto upload = *store_->CreateUpload("bkt", "mp", {});
  ASSERT_TRUE(store_->PutPart("bkt", "mp", upload.upload_id, 1, PartFields("e1"),
                              *Stage(*store_, "part one")));
  Reopen();
  EXPECT_EQ(*store_->WaitForSweep(), 0u);
  EXPECT_EQ(ObjectFiles(), 2u);
  auto done =
      store_->CompleteUpload("bkt", "mp", upload.upload_id, {{1, "\"e1\""}}, Record("", "final"));
  ASSERT_TRUE(done) << done.error().ToString();
  EXPECT_EQ(*Get(*store_, "bkt", "mp"), "part one");
}

}  // namespace
}  // namespace trainload::storage
