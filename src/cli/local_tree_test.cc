#include "cli/local_tree.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <vector>

namespace trainload::cli {
namespace {

namespace fs = std::filesystem;

class LocalTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "local-tree-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    root_ = templ;
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const std::string& relative, const std::string& bytes) {
    fs::path path = fs::path(root_) / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
  }
  std::vector<std::string> Walk() {
    std::vector<std::string> out;
    auto walker = LocalTreeWalker::Open(root_);
    EXPECT_TRUE(walker.has_value());
    while (true) {
      auto next = walker->Next();
      EXPECT_TRUE(next.has_value());
      if (!next.has_value() || !next->has_value()) break;
      out.push_back((*next)->relative);
    }
    return out;
  }
  std::string root_;
};

TEST_F(LocalTreeTest, FilesInByteOrderOfTheWholePath) {
  for (const char* f : {"a/b", "a-c", "a0", "b", "a/z/y", "a/c", "A", "\xc3\xa9"}) Write(f, "x");
  fs::create_directories(fs::path(root_) / "empty" / "dirs");
  std::vector<std::string> walked = Walk();
  std::vector<std::string> sorted = walked;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(walked, sorted);
  EXPECT_EQ(walked,
            (std::vector<std::string>{"A", "a-c", "a/b", "a/c", "a/z/y", "a0", "b", "\xc3\xa9"}));
}

TEST_F(LocalTreeTest, SizesTimesAndPaths) {
  Write("d/file", "12345");
  ASSERT_TRUE(SetFileMtimeMs(root_ + "/d/file", 1'700'000'000'123).ok());
  auto walker = LocalTreeWalker::Open(root_);
  ASSERT_TRUE(walker.has_value());
  auto file = walker->Next();
  ASSERT_TRUE(file.has_value() && file->has_value());
  EXPECT_EQ((*file)->relative, "d/file");
  EXPECT_EQ((*file)->path, root_ + "/d/file");
  EXPECT_EQ((*file)->size, 5u);
  EXPECT_EQ((*file)->mtime_ms, 1'700'000'000'123);
  EXPECT_EQ(FileMtimeMs(root_ + "/d/file").value(), 1'700'000'000'123);
}

TEST_F(LocalTreeTest, FollowsLinksButNotLoops) {
  Write("real/f", "x");
  fs::create_directory_symlink(root_ + "/real", root_ + "/link");
  fs::create_directory_symlink(root_, root_ + "/real/up");  // a loop back to the root
  EXPECT_EQ(Walk(), (std::vector<std::string>{"link/f", "real/f"}));
}

TEST_F(LocalTreeTest, MissingRootOrFileRootIsAnError) {
  auto missing = LocalTreeWalker::Open(root_ + "/nope");
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message().find(root_ + "/nope"), std::string::npos);
  Write("file", "x");
  EXPECT_FALSE(LocalTreeWalker::Open(root_ + "/file").has_value());
}

}  // namespace
}  // namespace trainload::cli
