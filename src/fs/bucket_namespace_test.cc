#include "fs/bucket_namespace.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "fs/fake_client_testing.h"
#include "s3/error_code.h"

namespace trainload::fs {
namespace {

using std::chrono::milliseconds;

class FakeClock final : public Clock {
 public:
  int64_t NowMillis() const override { return now; }
  int64_t now = 1'000'000;
};

class BucketNamespaceTest : public testing::Test {
 protected:
  BucketNamespaceTest() { client_.CreateBucketNow("b"); }

  BucketNamespace Make(milliseconds ttl, bool immutable = false) {
    return BucketNamespace(
        client_, NamespaceOptions{.bucket = "b", .metadata_ttl = ttl, .immutable = immutable},
        clock_);
  }
  uint64_t Requests() {
    auto c = client_.counters();
    return c.heads + c.lists + c.gets;
  }
  static std::vector<std::string> Names(const DirectoryListing& listing) {
    std::vector<std::string> out;
    for (const auto& e : listing.entries) {
      out.push_back(e.name + (e.kind == InodeKind::kDirectory ? "/" : ""));
    }
    return out;
  }

  FakeClient client_;
  FakeClock clock_;
};

TEST(IsValidNameTest, RejectsWhatCannotBeAFileName) {
  EXPECT_TRUE(IsValidName("a"));
  EXPECT_TRUE(IsValidName("with space %20 +"));
  EXPECT_TRUE(IsValidName("..."));
  EXPECT_TRUE(IsValidName(std::string(255, 'x')));
  EXPECT_FALSE(IsValidName(std::string(256, 'x')));
  EXPECT_FALSE(IsValidName(""));
  EXPECT_FALSE(IsValidName("."));
  EXPECT_FALSE(IsValidName(".."));
  EXPECT_FALSE(IsValidName("a/b"));
  EXPECT_FALSE(IsValidName(std::string("a\0b", 3)));
}

TEST_F(BucketNamespaceTest, LookupOfAnObjectIsAFileWithItsAttributes) {
  std::string etag = client_.PutObject("b", "data/x.bin", "12345", 1'700'000'123'000);
  auto ns = Make(milliseconds(0));
  auto entry = ns.Lookup("data/", "x.bin");
  ASSERT_TRUE(entry.has_value()) << entry.error().ToString();
  ASSERT_TRUE(entry->has_value());
  EXPECT_EQ((*entry)->name, "x.bin");
  EXPECT_EQ((*entry)->kind, InodeKind::kFile);
  EXPECT_EQ((*entry)->attributes.size, 5u);
  EXPECT_EQ((*entry)->attributes.etag, etag);
  EXPECT_EQ((*entry)->attributes.mtime_ms, 1'700'000'123'000);
}

TEST_F(BucketNamespaceTest, DirectoryShadowsObjectOfTheSameName) {
  client_.PutObject("b", "a", "file a");
  client_.PutObject("b", "a/inner", "x");
  client_.PutObject("b", "marker-only/", "");
  client_.PutObject("b", "deep/x/y/z", "z");
  auto ns = Make(milliseconds(0));
  for (const char* name : {"a", "marker-only", "deep"}) {
    auto entry = ns.Lookup("", name);
    ASSERT_TRUE(entry.has_value() && entry->has_value()) << name;
    EXPECT_EQ((*entry)->kind, InodeKind::kDirectory) << name;
  }
}

TEST_F(BucketNamespaceTest, MissingAndInvalidNamesAreAbsent) {
  client_.PutObject("b", "d/./x", "x");
  auto ns = Make(milliseconds(0));
  auto missing = ns.Lookup("", "nothing");
  ASSERT_TRUE(missing.has_value());
  EXPECT_FALSE(missing->has_value());
  client_.ResetCounters();
  for (const char* name : {".", "..", "", "a/b"}) {
    auto entry = ns.Lookup("d/", name);
    ASSERT_TRUE(entry.has_value());
    EXPECT_FALSE(entry->has_value()) << name;
  }
  EXPECT_EQ(Requests(), 0u);
}

TEST_F(BucketNamespaceTest, ErrorsOtherThanNoSuchKeyAreReturned) {
  client_.PutObject("b", "x", "x");
  auto ns = Make(milliseconds(0));
  client_.FailEverything(s3::MakeError(s3::ErrorCode::kAccessDenied, "HeadObject s3://b/x"));
  auto entry = ns.Lookup("", "x");
  ASSERT_FALSE(entry.has_value());
  EXPECT_EQ(entry.error().reason(), "AccessDenied");
  auto listing = ns.List("");
  ASSERT_FALSE(listing.has_value());
  EXPECT_EQ(listing.error().reason(), "AccessDenied");
}

TEST_F(BucketNamespaceTest, ListingIsSortedDeduplicatedAndHidesInvalidKeys) {
  for (const char* key : {"d/a", "d/a-b", "d/a.txt", "d/a/inner", "d/", "d//x", "d/./y", "d/../z",
                          "d/zz/", "d/b c", "d/sub/deeper/k", "e/other"}) {
    client_.PutObject("b", key, "v");
  }
  auto ns = Make(milliseconds(0));
  auto listing = ns.List("d/");
  ASSERT_TRUE(listing.has_value()) << listing.error().ToString();
  EXPECT_EQ(Names(**listing),
            (std::vector<std::string>{"a/", "a-b", "a.txt", "b c", "sub/", "zz/"}));
  const DirectoryEntry* file = (*listing)->Find("a.txt");
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->attributes.size, 1u);
  EXPECT_EQ((*listing)->Find("nope"), nullptr);
  auto empty = ns.List("absent/");
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE((*empty)->entries.empty());
}

TEST_F(BucketNamespaceTest, ListingPagesThroughLargeDirectories) {
  // The file "k01000" and the directory "k01000/" land on different pages.
  for (int i = 0; i < 2500; ++i) {
    char name[16];
    std::snprintf(name, sizeof(name), "k%05d", i);
    client_.PutObject("b", std::string("big/") + name, "x");
  }
  client_.PutObject("b", "big/k01000/child", "x");
  auto ns = Make(milliseconds(0));
  auto listing = ns.List("big/");
  ASSERT_TRUE(listing.has_value());
  ASSERT_EQ((*listing)->entries.size(), 2500u);
  EXPECT_EQ((*listing)->Find("k01000")->kind, InodeKind::kDirectory);
  EXPECT_EQ((*listing)->entries.back().name, "k02499");
  EXPECT_GE(client_.counters().lists, 3u);
}

TEST_F(BucketNamespaceTest, LookupsAreCachedForTheTtlIncludingAbsentNames) {
  client_.PutObject("b", "x", "1");
  auto ns = Make(milliseconds(1000));
  ASSERT_TRUE(ns.Lookup("", "x").value().has_value());
  ASSERT_FALSE(ns.Lookup("", "y").value().has_value());
  client_.ResetCounters();
  client_.PutObject("b", "y", "now it exists");
  client_.PutObject("b", "x", "changed!");
  clock_.now += 999;
  EXPECT_EQ(ns.Lookup("", "x").value()->attributes.size, 1u);
  EXPECT_FALSE(ns.Lookup("", "y").value().has_value());
  EXPECT_EQ(Requests(), 0u);
  clock_.now += 1;
  EXPECT_EQ(ns.Lookup("", "x").value()->attributes.size, 8u);
  EXPECT_TRUE(ns.Lookup("", "y").value().has_value());
  EXPECT_GT(Requests(), 0u);
}

TEST_F(BucketNamespaceTest, ZeroTtlAlwaysAsks) {
  client_.PutObject("b", "x", "1");
  auto ns = Make(milliseconds(0));
  ASSERT_TRUE(ns.List("").has_value());
  client_.ResetCounters();
  ASSERT_TRUE(ns.Lookup("", "x").value().has_value());
  ASSERT_TRUE(ns.Lookup("", "x").value().has_value());
  ASSERT_TRUE(ns.List("").has_value());
  EXPECT_EQ(client_.counters().heads, 2u);
  EXPECT_EQ(client_.counters().lists, 3u);
}

TEST_F(BucketNamespaceTest, ImmutableNeverExpires) {
  client_.PutObject("b", "d/x", "1");
  auto ns = Make(milliseconds(0), /*immutable=*/true);
  ASSERT_TRUE(ns.List("d/").has_value());
  client_.ResetCounters();
  clock_.now += 365LL * 24 * 3600 * 1000;
  EXPECT_TRUE(ns.Lookup("d/", "x").value().has_value());
  EXPECT_FALSE(ns.Lookup("d/", "y").value().has_value());
  EXPECT_EQ((*ns.List("d/"))->entries.size(), 1u);
  EXPECT_EQ(Requests(), 0u);
}

TEST_F(BucketNamespaceTest, FreshListingAnswersLookupsWithoutRequests) {
  client_.PutObject("b", "d/f1", "1");
  client_.PutObject("b", "d/sub/f2", "22");
  auto ns = Make(milliseconds(5000));
  ASSERT_TRUE(ns.List("d/").has_value());
  client_.ResetCounters();
  auto f1 = ns.Lookup("d/", "f1").value();
  ASSERT_TRUE(f1.has_value());
  EXPECT_EQ(f1->kind, InodeKind::kFile);
  EXPECT_EQ(ns.Lookup("d/", "sub").value()->kind, InodeKind::kDirectory);
  EXPECT_FALSE(ns.Lookup("d/", "absent").value().has_value());
  EXPECT_EQ(Requests(), 0u);
}

TEST_F(BucketNamespaceTest, ManyLookupsInOneDirectoryListItOnce) {
  for (int i = 0; i < 20; ++i) client_.PutObject("b", "d/f" + std::to_string(i), "data");
  client_.PutObject("b", "d/sub/x", "1");
  BucketNamespace ns(client_, NamespaceOptions{.bucket = "b", .metadata_ttl = milliseconds(5000)},
                     clock_);
  for (int i = 0; i < 20; ++i) {
    auto entry = ns.Lookup("d/", "f" + std::to_string(i));
    ASSERT_TRUE(entry.has_value() && entry->has_value()) << i;
    EXPECT_EQ((*entry)->kind, InodeKind::kFile);
    EXPECT_EQ((*entry)->attributes.size, 4u);
  }
  EXPECT_EQ(ns.Lookup("d/", "sub").value()->kind, InodeKind::kDirectory);
  EXPECT_FALSE(ns.Lookup("d/", "absent").value().has_value());
  // Three lookups asked S3 (a HEAD and a LIST each), the fourth listed the directory, and
  // the rest came from that listing.
  EXPECT_EQ(client_.counters().heads, 3u);
  EXPECT_EQ(client_.counters().lists, 4u);
}

TEST_F(BucketNamespaceTest, DirectoryTooLargeToListKeepsPerNameLookups) {
  for (int i = 0; i < 20; ++i) client_.PutObject("b", "d/f" + std::to_string(i), "data");
  BucketNamespace ns(client_,
                     NamespaceOptions{.bucket = "b",
                                      .metadata_ttl = milliseconds(5000),
                                      .list_after_misses = 2,
                                      .max_listed_entries = 5},
                     clock_);
  for (int i = 0; i < 20; ++i) {
    auto entry = ns.Lookup("d/", "f" + std::to_string(i));
    ASSERT_TRUE(entry.has_value() && entry->has_value()) << i;
  }
  EXPECT_FALSE(ns.Lookup("d/", "absent").value().has_value());
  // One listing was tried and abandoned; every name was asked for on its own.
  EXPECT_EQ(client_.counters().heads, 21u);
  EXPECT_EQ(client_.counters().lists, 21u + 1u);
}

TEST_F(BucketNamespaceTest, LookupsFromManyThreadsAgreeWithTheBucket) {
  for (int i = 0; i < 64; ++i) client_.PutObject("b", "d/f" + std::to_string(i), "data");
  BucketNamespace ns(
      client_,
      NamespaceOptions{.bucket = "b", .metadata_ttl = milliseconds(5000), .list_after_misses = 1},
      clock_);
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < 64; i += 8) {
        auto entry = ns.Lookup("d/", "f" + std::to_string(i));
        if (!entry.has_value() || !entry->has_value() || (*entry)->attributes.size != 4) ++wrong;
        auto absent = ns.Lookup("d/", "g" + std::to_string(i));
        if (!absent.has_value() || absent->has_value()) ++wrong;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(client_.counters().heads, 0u);
}

TEST_F(BucketNamespaceTest, WritesThroughTheMountAreSeenAtOnce) {
  auto ns = Make(milliseconds(60'000));
  ASSERT_FALSE(ns.Lookup("", "new").value().has_value());
  ASSERT_FALSE(ns.Lookup("new/", "file").value().has_value());
  ASSERT_TRUE(ns.List("").has_value());
  client_.PutObject("b", "new/file", "abc");
  ns.ObjectWritten("new/file", InodeAttributes{.size = 3, .mtime_ms = 7, .etag = "e"});
  client_.ResetCounters();
  auto file = ns.Lookup("new/", "file").value();
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(file->attributes.etag, "e");
  EXPECT_EQ(Requests(), 0u);
  // The ancestor cached as absent and the stale root listing are asked again.
  EXPECT_EQ(ns.Lookup("", "new").value()->kind, InodeKind::kDirectory);
  EXPECT_EQ(Names(**ns.List("")), std::vector<std::string>{"new/"});

  ASSERT_TRUE(client_.Delete("b", "new/file").ok());
  ns.ObjectDeleted("new/file");
  EXPECT_FALSE(ns.Lookup("new/", "file").value().has_value());
  EXPECT_TRUE((*ns.List(""))->entries.empty());
}

TEST_F(BucketNamespaceTest, ForgetDropsCachedFacts) {
  client_.PutObject("b", "x", "1");
  auto ns = Make(milliseconds(60'000));
  ASSERT_TRUE(ns.Lookup("", "x").value().has_value());
  client_.PutObject("b", "x", "22");
  ns.Forget("x");
  EXPECT_EQ(ns.Lookup("", "x").value()->attributes.size, 2u);
}

}  // namespace
}  // namespace trainload::fs
