#include "cli/sync_plan.h"

#include <gtest/gtest.h>

#include <vector>

namespace trainload::cli {
namespace {

TreeEntry E(std::string relative, uint64_t size = 1, int64_t mtime_ms = 0) {
  return TreeEntry{std::move(relative), size, mtime_ms};
}

EntryStream FromVector(std::vector<TreeEntry> entries) {
  auto state = std::make_shared<std::pair<std::vector<TreeEntry>, size_t>>(std::move(entries), 0);
  return [state]() -> Result<std::optional<TreeEntry>> {
    if (state->second == state->first.size()) return std::nullopt;
    return state->first[state->second++];
  };
}

TEST(NeedsCopyTest, SizeDifferenceAlwaysCopies) {
  EXPECT_TRUE(NeedsCopy(E("a", 1, 0), E("a", 2, 5000), {}));
  EXPECT_TRUE(NeedsCopy(E("a", 1, 0), E("a", 2, 5000), {.size_only = true}));
}

TEST(NeedsCopyTest, NewerSourceCopiesInWholeSeconds) {
  EXPECT_TRUE(NeedsCopy(E("a", 1, 2000), E("a", 1, 1000), {}));
  EXPECT_FALSE(NeedsCopy(E("a", 1, 1000), E("a", 1, 2000), {}));  // destination newer
  EXPECT_FALSE(NeedsCopy(E("a", 1, 1000), E("a", 1, 1000), {}));
  // A file modified at 10.700 s and uploaded within that second (LastModified 10 s) is current.
  EXPECT_FALSE(NeedsCopy(E("a", 1, 10'700), E("a", 1, 10'000), {}));
  EXPECT_FALSE(NeedsCopy(E("a", 1, 2000), E("a", 1, 1000), {.size_only = true}));
}

TEST(NeedsCopyTest, ExactTimestampsCopiesAnyDifference) {
  SyncRules exact{.exact_timestamps = true};
  EXPECT_TRUE(NeedsCopy(E("a", 1, 1000), E("a", 1, 2000), exact));
  EXPECT_TRUE(NeedsCopy(E("a", 1, 2000), E("a", 1, 1000), exact));
  EXPECT_FALSE(NeedsCopy(E("a", 1, 1500), E("a", 1, 1000), exact));
}

TEST(MergeTreesTest, VisitsEachPathOnceInOrderWithBothSides) {
  std::vector<std::string> seen;
  Status status =
      MergeTrees(FromVector({E("a"), E("a-c"), E("a/b"), E("d")}), "src",
                 FromVector({E("a-c"), E("b"), E("d"), E("e")}), "dst",
                 [&](const TreeEntry* s, const TreeEntry* d) {
                   seen.push_back((s ? s->relative : "-") + "|" + (d ? d->relative : "-"));
                   return Status::Ok();
                 });
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(seen, (std::vector<std::string>{"a|-", "a-c|a-c", "a/b|-", "-|b", "d|d", "-|e"}));
}

TEST(MergeTreesTest, EmptySides) {
  int visits = 0;
  auto count = [&](const TreeEntry*, const TreeEntry*) {
    ++visits;
    return Status::Ok();
  };
  EXPECT_TRUE(MergeTrees(FromVector({}), "s", FromVector({}), "d", count).ok());
  EXPECT_EQ(visits, 0);
  EXPECT_TRUE(MergeTrees(FromVector({E("x"), E("y")}), "s", FromVector({}), "d", count).ok());
  EXPECT_EQ(visits, 2);
}

TEST(MergeTreesTest, OutOfOrderStreamFailsNamingIt) {
  Status status = MergeTrees(FromVector({E("b"), E("a")}), "s3://bucket/p/", FromVector({}), "dir",
                             [](const TreeEntry*, const TreeEntry*) { return Status::Ok(); });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("s3://bucket/p/"), std::string::npos);
  EXPECT_NE(status.message().find("\"a\" after \"b\""), std::string::npos);
}

TEST(MergeTreesTest, StreamAndVisitErrorsStopTheMerge) {
  EntryStream broken = []() -> Result<std::optional<TreeEntry>> {
    return Error(Unavailable("listing failed"));
  };
  Status status = MergeTrees(broken, "s", FromVector({}), "d",
                             [](const TreeEntry*, const TreeEntry*) { return Status::Ok(); });
  EXPECT_EQ(status.message(), "listing failed");
  int visits = 0;
  status = MergeTrees(FromVector({E("a"), E("b")}), "s", FromVector({}), "d",
                      [&](const TreeEntry*, const TreeEntry*) {
                        ++visits;
                        return Internal("stop");
                      });
  EXPECT_EQ(status.message(), "stop");
  EXPECT_EQ(visits, 1);
}

}  // namespace
}  // namespace trainload::cli
