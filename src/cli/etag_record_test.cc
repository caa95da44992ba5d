#include "cli/etag_record.h"

#include <gtest/gtest.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace trainload::cli {
namespace {

namespace fs = std::filesystem;

class EtagRecordTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "etag-record-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& relative, const std::string& bytes) {
    fs::create_directories((fs::path(dir_) / relative).parent_path());
    std::ofstream(fs::path(dir_) / relative, std::ios::binary) << bytes;
  }
  std::string dir_;
};

TEST_F(EtagRecordTest, ManifestRoundTripsAcrossOpens) {
  Write("a/b.bin", "12345");
  {
    auto records = EtagRecords::Open(dir_, EtagRecordMode::kManifest);
    ASSERT_TRUE(records.has_value()) << records.error().ToString();
    EXPECT_FALSE((*records)->uses_xattrs());
    ASSERT_TRUE((*records)->Record("a/b.bin", 5, 1000, "etag-1").ok());
    EXPECT_EQ((*records)->Lookup("a/b.bin", 5, 1000), "etag-1");
    ASSERT_TRUE((*records)->Flush().ok());
  }
  EXPECT_TRUE(fs::exists(fs::path(dir_) / kManifestName));
  auto reopened = EtagRecords::Open(dir_, EtagRecordMode::kManifest);
  ASSERT_TRUE(reopened.has_value());
  EXPECT_EQ((*reopened)->Lookup("a/b.bin", 5, 1000), "etag-1");
  // The entry stops counting once the file no longer has the recorded size or time.
  EXPECT_EQ((*reopened)->Lookup("a/b.bin", 6, 1000), std::nullopt);
  EXPECT_EQ((*reopened)->Lookup("a/b.bin", 5, 2000), std::nullopt);
  EXPECT_EQ((*reopened)->Lookup("other", 5, 1000), std::nullopt);
}

TEST_F(EtagRecordTest, XattrLivesOnTheFile) {
  auto records = EtagRecords::Open(dir_, EtagRecordMode::kAuto);
  ASSERT_TRUE(records.has_value());
  if (!(*records)->uses_xattrs()) GTEST_SKIP() << "no user xattrs on " << dir_;
  Write("f", "abc");
  ASSERT_TRUE((*records)->Record("f", 3, 1000, "0123abcd").ok());
  char value[64];
  ssize_t n = ::getxattr((dir_ + "/f").c_str(), kEtagXattr, value, sizeof value);
  ASSERT_EQ(n, 8);
  EXPECT_EQ(std::string(value, 8), "0123abcd");
  EXPECT_EQ((*records)->Lookup("f", 3, 1000), "0123abcd");
  // A new file put in place by rename (what a download does) has no record.
  Write("g", "abc");
  fs::rename(fs::path(dir_) / "g", fs::path(dir_) / "f");
  EXPECT_EQ((*records)->Lookup("f", 3, 1000), std::nullopt);
  EXPECT_FALSE(fs::exists(fs::path(dir_) / kManifestName));
  // No probe file is left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(EtagRecordTest, MalformedManifestIsAnErrorNamingIt) {
  std::ofstream(fs::path(dir_) / kManifestName) << "{not json";
  auto records = EtagRecords::Open(dir_, EtagRecordMode::kAuto);
  ASSERT_FALSE(records.has_value());
  EXPECT_NE(records.error().message().find(kManifestName), std::string::npos);
}

}  // namespace
}  // namespace trainload::cli
