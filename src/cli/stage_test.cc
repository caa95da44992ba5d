#include "cli/stage.h"

#include <gtest/gtest.h>

namespace trainload::cli {
namespace {

TEST(StagePathForKeyTest, CleanRelativeKeysMapToThemselves) {
  for (const char* key : {"a", "a/b", "dir/sub dir/file (1).txt", "percent%20literal.txt",
                          "unicode-\xc3\xa9-\xe4\xb8\xad.bin", "..hidden", "a/..b/c..", ".dotfile",
                          "x.trainload-abc123", "...", "a/.../b"}) {
    auto path = StagePathForKey(key);
    ASSERT_TRUE(path.has_value()) << key << ": " << path.error().message();
    EXPECT_EQ(*path, key);
  }
}

TEST(StagePathForKeyTest, RefusesKeysThatEscapeOrAliasNamingThem) {
  const std::string nul_key("a\0b", 3);
  for (const std::string& key :
       {std::string(".."), std::string("../etc/passwd"), std::string("a/../../x"),
        std::string("a/.."), std::string("/etc/passwd"), std::string("//x"), std::string("a//b"),
        std::string("a/./b"), std::string("."), std::string("./a"), std::string("a/"),
        std::string(""), nul_key, std::string(".trainload-stage.json")}) {
    auto path = StagePathForKey(key);
    ASSERT_FALSE(path.has_value()) << key;
    EXPECT_EQ(path.error().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(path.error().message().find("key \"" + key + "\""), std::string::npos)
        << path.error().message();
  }
}

TEST(StagePathForKeyTest, SaysWhy) {
  EXPECT_NE(StagePathForKey("a/../../x").error().message().find("escape"), std::string::npos);
  EXPECT_NE(StagePathForKey("/abs").error().message().find("absolute"), std::string::npos);
}

TEST(IsStageTempNameTest, MatchesTheClientsTempFiles) {
  EXPECT_TRUE(IsStageTempName("file.bin.trainload-a1B2c3"));
  EXPECT_TRUE(IsStageTempName("x.trainload-XXXXXX"));
  EXPECT_TRUE(IsStageTempName(".xattr-probe.trainload-Zz09aa"));
  EXPECT_TRUE(IsStageTempName(".trainload-stage.json.tmp"));
  EXPECT_FALSE(IsStageTempName(".trainload-abcdef"));  // no name before the marker
  EXPECT_FALSE(IsStageTempName("file.trainload-abc12"));
  EXPECT_FALSE(IsStageTempName("file.trainload-abc1234"));
  EXPECT_FALSE(IsStageTempName("file.trainload-abc-12"));
  EXPECT_FALSE(IsStageTempName("file.bin"));
  EXPECT_FALSE(IsStageTempName(".trainload-stage.json"));
}

}  // namespace
}  // namespace trainload::cli
