#include "cli/path_filter.h"

#include <gtest/gtest.h>

namespace trainload::cli {
namespace {

using Kind = PathFilter::Kind;

TEST(GlobMatchTest, StarCrossesSlashes) {
  EXPECT_TRUE(GlobMatch("*", "a/b/c.txt"));
  EXPECT_TRUE(GlobMatch("*.txt", "a/b/c.txt"));
  EXPECT_TRUE(GlobMatch("a/*", "a/b/c"));
  EXPECT_TRUE(GlobMatch("*/c.txt", "a/b/c.txt"));
  EXPECT_FALSE(GlobMatch("*.txt", "a/b/c.txt.gz"));
  EXPECT_TRUE(GlobMatch("*.txt*", "a/b/c.txt.gz"));
  EXPECT_TRUE(GlobMatch("", ""));
  EXPECT_FALSE(GlobMatch("", "a"));
  EXPECT_TRUE(GlobMatch("**", ""));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXXbYYbZc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "aXXbYYbZ"));
}

TEST(GlobMatchTest, WholePathOnlyAndCaseSensitive) {
  EXPECT_FALSE(GlobMatch("b", "a/b"));
  EXPECT_FALSE(GlobMatch("a", "a/b"));
  EXPECT_FALSE(GlobMatch("*.TXT", "x.txt"));
}

TEST(GlobMatchTest, QuestionMarkIsOneCodePoint) {
  EXPECT_TRUE(GlobMatch("file?.bin", "file1.bin"));
  EXPECT_FALSE(GlobMatch("file?.bin", "file12.bin"));
  EXPECT_TRUE(GlobMatch("?", "/"));
  // "é" is two bytes in UTF-8 and one character to the user.
  EXPECT_TRUE(GlobMatch("caf?", "caf\xc3\xa9"));
  EXPECT_TRUE(GlobMatch("\xe4\xb8\xad*", "\xe4\xb8\xad\xe6\x96\x87.txt"));
}

TEST(GlobMatchTest, Sets) {
  EXPECT_TRUE(GlobMatch("part-[0-9].bin", "part-7.bin"));
  EXPECT_FALSE(GlobMatch("part-[0-9].bin", "part-x.bin"));
  EXPECT_TRUE(GlobMatch("[!a]*", "b.txt"));
  EXPECT_FALSE(GlobMatch("[!a]*", "a.txt"));
  EXPECT_TRUE(GlobMatch("[]]", "]"));
  EXPECT_TRUE(GlobMatch("[!]]", "x"));
  EXPECT_TRUE(GlobMatch("[-a]", "-"));
  EXPECT_TRUE(GlobMatch("[a-]", "-"));
  EXPECT_TRUE(GlobMatch("[\xc3\xa9x]", "\xc3\xa9"));
  // '^' is an ordinary member in fnmatch, not negation.
  EXPECT_TRUE(GlobMatch("[^a]", "^"));
  EXPECT_FALSE(GlobMatch("[^a]", "b"));
}

TEST(GlobMatchTest, UnclosedBracketIsLiteralAndNoEscapes) {
  EXPECT_TRUE(GlobMatch("a[b", "a[b"));
  EXPECT_FALSE(GlobMatch("a[b", "ab"));
  EXPECT_TRUE(GlobMatch("a\\*", "a\\xyz"));
  EXPECT_FALSE(GlobMatch("a\\*", "a*"));
}

TEST(PathFilterTest, DefaultIncludesEverything) {
  PathFilter filter;
  EXPECT_TRUE(filter.empty());
  EXPECT_TRUE(filter.Includes("anything/at/all"));
}

TEST(PathFilterTest, LaterFiltersWin) {
  PathFilter only_txt;
  only_txt.Add(Kind::kExclude, "*");
  only_txt.Add(Kind::kInclude, "*.txt");
  EXPECT_TRUE(only_txt.Includes("a.txt"));
  EXPECT_TRUE(only_txt.Includes("dir/b.txt"));
  EXPECT_FALSE(only_txt.Includes("c.bin"));

  PathFilter nothing;
  nothing.Add(Kind::kInclude, "*.txt");
  nothing.Add(Kind::kExclude, "*");
  EXPECT_FALSE(nothing.Includes("a.txt"));
  EXPECT_FALSE(nothing.Includes("c.bin"));
}

TEST(PathFilterTest, ExcludeADirectoryThenIncludeOneFileBack) {
  PathFilter filter;
  filter.Add(Kind::kExclude, "logs/*");
  filter.Add(Kind::kInclude, "logs/keep.log");
  EXPECT_TRUE(filter.Includes("data/x"));
  EXPECT_FALSE(filter.Includes("logs/a.log"));
  EXPECT_FALSE(filter.Includes("logs/sub/b.log"));
  EXPECT_TRUE(filter.Includes("logs/keep.log"));
  // The pattern is matched against the relative path from its start.
  EXPECT_TRUE(filter.Includes("data/logs/a.log"));
}

}  // namespace
}  // namespace trainload::cli
