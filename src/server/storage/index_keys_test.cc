#include "server/storage/index_keys.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace trainload::storage {
namespace {

using namespace std::string_literals;

// Keys that stress byte order: prefixes of each other, NUL, 0xFF, UTF-8, '/' runs.
const std::vector<std::string> kKeys = {
    "a",    "a\0"s, "a\0\0"s,    "a\0b"s, "a\x01",     "a b",  "a%", "a+",  "a/",
    "a//b", "a/b",  "a\xc3\xa9", "a\xff", "a\xff\xff", "../x", "b",  "\0"s, "\xff"};

TEST(IndexKeysTest, ObjectRowsSortLikeKeysAndStayInsideTheirBucket) {
  std::vector<std::string> sorted_keys = kKeys;
  std::sort(sorted_keys.begin(), sorted_keys.end());
  std::vector<std::string> rows;
  for (const std::string& bucket : {"a"s, "ab"s, "b"s}) {
    for (const std::string& key : kKeys) rows.push_back(ObjectRow(bucket, key));
  }
  std::sort(rows.begin(), rows.end());
  // Rows of one bucket are contiguous, prefixed by ObjectRowPrefix, in key byte order.
  size_t i = 0;
  for (const std::string& bucket : {"a"s, "ab"s, "b"s}) {
    std::string prefix = ObjectRowPrefix(bucket);
    auto first = std::find_if(rows.begin(), rows.end(),
                              [&](const std::string& r) { return r.starts_with(prefix); });
    ASSERT_NE(first, rows.end());
    for (size_t k = 0; k < sorted_keys.size(); ++k) {
      ASSERT_EQ(*(first + k), prefix + sorted_keys[k]) << "bucket " << bucket << " index " << k;
    }
    i += sorted_keys.size();
  }
  EXPECT_EQ(i, rows.size());
}

TEST(IndexKeysTest, UploadRowsParseBackAndSortByKeyThenUploadId) {
  std::vector<std::string> sorted_keys = kKeys;
  std::sort(sorted_keys.begin(), sorted_keys.end());
  std::vector<std::string> rows;
  for (const std::string& key : kKeys) {
    for (const std::string& id : {"01"s, "00"s, "ff"s}) rows.push_back(UploadRow("bkt", key, id));
  }
  std::sort(rows.begin(), rows.end());
  std::string prefix = UploadRowPrefix("bkt");
  size_t i = 0;
  for (const std::string& key : sorted_keys) {
    for (const std::string& id : {"00"s, "01"s, "ff"s}) {
      ASSERT_TRUE(rows[i].starts_with(prefix));
      auto parts = ParseUploadRowSuffix(std::string_view(rows[i]).substr(prefix.size()));
      ASSERT_TRUE(parts) << i;
      EXPECT_EQ(parts->key, key);
      EXPECT_EQ(parts->upload_id, id);
      EXPECT_TRUE(rows[i].starts_with(UploadRowExactKeyPrefix("bkt", key)));
      ++i;
    }
  }
  EXPECT_FALSE(ParseUploadRowSuffix("abc"));        // no terminator
  EXPECT_FALSE(ParseUploadRowSuffix("a\0\x05x"s));  // bad escape
}

TEST(IndexKeysTest, UploadKeyPrefixMatchesExactlyTheKeysWithThatPrefix) {
  for (const std::string& prefix : kKeys) {
    std::string row_prefix = UploadRowKeyPrefix("b", prefix);
    for (const std::string& key : kKeys) {
      EXPECT_EQ(UploadRow("b", key, "id").starts_with(row_prefix), key.starts_with(prefix))
          << "key " << key << " prefix " << prefix;
    }
  }
}

TEST(IndexKeysTest, PartRowsSortNumerically) {
  EXPECT_LT(PartRow("u", 2), PartRow("u", 10));
  EXPECT_LT(PartRow("u", 255), PartRow("u", 256));
  std::string row = PartRow("u", 10000);
  EXPECT_EQ(ParsePartRowSuffix(std::string_view(row).substr(PartRowPrefix("u").size())), 10000u);
  EXPECT_FALSE(ParsePartRowSuffix("abc"));
}

TEST(IndexKeysTest, PrefixSuccessor) {
  EXPECT_EQ(PrefixSuccessor("a/"), "a0");
  EXPECT_EQ(PrefixSuccessor("a\xff"), "b");
  EXPECT_EQ(PrefixSuccessor("\xff\xff"), "");
  EXPECT_EQ(PrefixSuccessor(""), "");
  // Greater than every extension, not greater than the next sibling.
  EXPECT_GT(PrefixSuccessor("a/"), "a/\xff\xff\xff");
  EXPECT_LE(PrefixSuccessor("a/"), "a0");
}

TEST(IndexKeysTest, TablesDoNotOverlap) {
  std::vector<std::string> prefixes = {
      BucketRowPrefix(), ObjectRowPrefix("b"), UploadRowPrefix("b"), PartRowPrefix("u"),
      FileRefRow(""),    GarbageRowPrefix(),   MetaRow("")};
  for (size_t i = 0; i < prefixes.size(); ++i) {
    for (size_t j = 0; j < prefixes.size(); ++j) {
      if (i != j) {
        EXPECT_NE(prefixes[i][0], prefixes[j][0]);
      }
    }
  }
}

}  // namespace
}  // namespace trainload::storage
