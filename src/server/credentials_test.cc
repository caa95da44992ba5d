#include "server/credentials.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

namespace trainload::server {
namespace {

class CredentialsTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/trainload_cred_testXXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(CredentialsTest, GeneratesOnceWithMode0600AndReusesAfterwards) {
  auto first = LoadOrCreateCredentials(dir_);
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->key.id.size(), 20u);
  EXPECT_EQ(first->key.secret.size(), 40u);
  struct stat st;
  ASSERT_EQ(stat(first->path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto second = LoadOrCreateCredentials(dir_);
  ASSERT_TRUE(second.has_value());
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->key.id, first->key.id);
  EXPECT_EQ(second->key.secret, first->key.secret);
}

TEST_F(CredentialsTest, StoreAnswersKnownKeysAndNamesUnknownOnes) {
  CredentialStore store({{"AKID1", "s1"}, {"AKID2", "s2"}});
  EXPECT_EQ(store.SecretFor("AKID2").value_or(""), "s2");
  auto missing = store.SecretFor("NOPE");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().reason(), "InvalidAccessKeyId");
  EXPECT_NE(missing.error().message().find("NOPE"), std::string::npos);
}

TEST_F(CredentialsTest, CredentialsFileErrorsAreClear) {
  std::ofstream(dir_ / "bad") << "[default]\naws_access_key_id = X\n";
  auto bad = ReadCredentialsFile(dir_ / "bad");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("aws_secret_access_key"), std::string::npos);
  EXPECT_FALSE(ReadCredentialsFile(dir_ / "absent").has_value());
}

}  // namespace
}  // namespace trainload::server
