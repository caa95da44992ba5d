#include "server/storage/list_walker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "server/storage/index_keys.h"

namespace trainload::storage {
namespace {

using namespace std::string_literals;

// Sorted keys in a vector; counts how many rows the walk touched and how many seeks it made.
class VectorCursor final : public ListCursor {
 public:
  explicit VectorCursor(std::vector<std::string> keys) : keys_(std::move(keys)) {
    std::sort(keys_.begin(), keys_.end());
  }
  bool Valid() const override { return pos_ < keys_.size(); }
  std::string_view Key() const override { return keys_[pos_]; }
  void Next() override {
    ++pos_;
    ++steps_;
  }
  void SeekPastPrefix(std::string_view prefix) override {
    ++seeks_;
    std::string successor = PrefixSuccessor(prefix);
    pos_ = successor.empty() ? keys_.size() : LowerBound(successor);
  }
  void SeekTo(std::string_view key) { pos_ = LowerBound(key); }

  size_t steps_ = 0;
  size_t seeks_ = 0;

 private:
  size_t LowerBound(std::string_view key) const {
    return std::lower_bound(keys_.begin(), keys_.end(), key) - keys_.begin();
  }
  std::vector<std::string> keys_;
  size_t pos_ = 0;
};

struct Page {
  std::vector<std::string> entries;  // rows as "k:<key>", prefixes as "p:<prefix>"
  bool truncated = false;
};

Page Walk(VectorCursor& cursor, std::string_view prefix, std::string_view delimiter,
          std::string_view start_after, size_t max) {
  Page page;
  WalkOptions options{prefix, delimiter, start_after, max};
  auto result = WalkListing(
      cursor, options,
      [&](const ListCursor& c) {
        page.entries.push_back("k:" + std::string(c.Key()));
        return Status::Ok();
      },
      [&](std::string p) { page.entries.push_back("p:" + p); });
  EXPECT_TRUE(result);
  page.truncated = result->truncated;
  EXPECT_EQ(result->entries, page.entries.size());
  return page;
}

const std::vector<std::string> kTree = {"a",    "a/b", "a/c/d", "a/c/e", "a b",   "a%", "a+",
                                        "a//b", "b",   "b/x",   "c/y",   "c/z/w", "d"};

TEST(ListWalkerTest, InterleavesKeysAndPrefixesInByteOrder) {
  VectorCursor cursor(kTree);
  Page page = Walk(cursor, "", "/", "", 1000);
  EXPECT_FALSE(page.truncated);
  EXPECT_EQ(page.entries, (std::vector<std::string>{"k:a", "k:a b", "k:a%", "k:a+", "p:a/", "k:b",
                                                    "p:b/", "p:c/", "k:d"}));
}

TEST(ListWalkerTest, PrefixAndDelimiterGroupOneLevelDown) {
  VectorCursor cursor(kTree);
  cursor.SeekTo("a/");
  Page page = Walk(cursor, "a/", "/", "", 1000);
  EXPECT_EQ(page.entries, (std::vector<std::string>{"p:a//", "k:a/b", "p:a/c/"}));
}

TEST(ListWalkerTest, PrefixesCountTowardsTheLimitAndTruncate) {
  VectorCursor cursor(kTree);
  Page page = Walk(cursor, "", "/", "", 5);
  EXPECT_TRUE(page.truncated);
  EXPECT_EQ(page.entries.back(), "p:a/");
  // The next page starts after the prefix: the group is not returned again.
  cursor.SeekTo("a/\0"s);
  Page next = Walk(cursor, "", "/", "a/", 5);
  EXPECT_FALSE(next.truncated);
  EXPECT_EQ(next.entries, (std::vector<std::string>{"k:b", "p:b/", "p:c/", "k:d"}));
}

TEST(ListWalkerTest, ExactlyFullPageIsNotTruncated) {
  VectorCursor cursor({"x", "y"});
  EXPECT_FALSE(Walk(cursor, "", "", "", 2).truncated);
  VectorCursor cursor2({"x", "y"});
  Page zero = Walk(cursor2, "", "", "", 0);
  EXPECT_TRUE(zero.entries.empty());
  EXPECT_FALSE(zero.truncated) << "S3 answers max-keys=0 with IsTruncated=false";
}

TEST(ListWalkerTest, StartAfterInsideAGroupSkipsThatGroup) {
  VectorCursor cursor(kTree);
  cursor.SeekTo("a/c/d\0"s);
  Page page = Walk(cursor, "", "/", "a/c/d", 1000);
  EXPECT_EQ(page.entries, (std::vector<std::string>{"k:b", "p:b/", "p:c/", "k:d"}));
}

TEST(ListWalkerTest, MultiCharacterAndNonSlashDelimiters) {
  VectorCursor cursor({"x--1--a", "x--1--b", "x--2", "x-3", "y"});
  EXPECT_EQ(Walk(cursor, "", "--", "", 1000).entries,
            (std::vector<std::string>{"p:x--", "k:x-3", "k:y"}));
  VectorCursor cursor2({"2024|01|a", "2024|02|b", "2025|x", "plain"});
  EXPECT_EQ(Walk(cursor2, "", "|", "", 1000).entries,
            (std::vector<std::string>{"p:2024|", "p:2025|", "k:plain"}));
}

TEST(ListWalkerTest, GroupsAreSkippedWithOneSeekNotByWalkingTheirKeys) {
  std::vector<std::string> keys;
  for (int group = 0; group < 10; ++group) {
    for (int i = 0; i < 1000; ++i) {
      keys.push_back("g" + std::to_string(group) + "/" + std::to_string(i));
    }
  }
  VectorCursor cursor(keys);
  Page page = Walk(cursor, "", "/", "", 1000);
  ASSERT_EQ(page.entries.size(), 10u);
  EXPECT_EQ(page.entries.front(), "p:g0/");
  EXPECT_EQ(cursor.seeks_, 10u);
  EXPECT_EQ(cursor.steps_, 0u);
}

TEST(ListWalkerTest, DelimiterRightAfterPrefixAndAllFfGroups) {
  VectorCursor cursor({"p//x", "p/a", "\xff/1", "\xff/2"});
  cursor.SeekTo("p/");
  EXPECT_EQ(Walk(cursor, "p/", "/", "", 1000).entries,
            (std::vector<std::string>{"p:p//", "k:p/a"}));
  VectorCursor ff({"\xff\xff", "\xff\xff\xff", "\xff\xffz"});
  // Every key starts with the delimiter: one group, and no successor to seek to.
  EXPECT_EQ(Walk(ff, "", "\xff", "", 1000).entries, (std::vector<std::string>{"p:\xff"}));
}

TEST(ListWalkerTest, RowCallbackErrorStopsTheWalk) {
  VectorCursor cursor({"a", "b"});
  WalkOptions options{"", "", "", 10};
  auto result = WalkListing(
      cursor, options, [](const ListCursor&) { return DataLoss("corrupt row"); },
      [](std::string) {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace trainload::storage
