#include "client/environment.h"

#include <gtest/gtest.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace trainload::client {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "envtest.XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

TEST(FakeEnvironmentTest, VariablesFilesAndHome) {
  FakeEnvironment env;
  EXPECT_EQ(env.HomeDir(), "/home/test");
  EXPECT_EQ(env.Get("AWS_REGION"), std::nullopt);
  env.SetVar("AWS_REGION", "eu-west-1").SetVar("EMPTY", "");
  EXPECT_EQ(env.Get("AWS_REGION"), "eu-west-1");
  EXPECT_EQ(env.Get("EMPTY"), "");  // set but empty is not unset
  env.UnsetVar("AWS_REGION");
  EXPECT_EQ(env.Get("AWS_REGION"), std::nullopt);

  env.SetFile("/home/test/.aws/config", "[default]\n");
  EXPECT_EQ(env.ReadFile("/home/test/.aws/config").value(), "[default]\n");
  Result<std::string> missing = env.ReadFile("/home/test/.aws/credentials");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.error().message().find("/home/test/.aws/credentials"), std::string::npos);

  env.SetFileError("/secret", PermissionDenied("open /secret: Permission denied"));
  EXPECT_EQ(env.ReadFile("/secret").error().code(), StatusCode::kPermissionDenied);

  EXPECT_EQ(FakeEnvironment("/root").HomeDir(), "/root");
  EXPECT_EQ(env.SetHomeDir("").HomeDir(), "");
}

TEST(SystemEnvironmentTest, ReadsVariables) {
  SystemEnvironment env;
  const char* path = std::getenv("PATH");
  ASSERT_NE(path, nullptr);
  EXPECT_EQ(env.Get("PATH"), std::string(path));
  EXPECT_EQ(env.Get("TRAINLOAD_SURELY_UNSET_VARIABLE_4711"), std::nullopt);
  // The name is a view: only its own characters count.
  std::string_view prefix = std::string_view("PATHX").substr(0, 4);
  EXPECT_EQ(env.Get(prefix), std::string(path));
}

TEST(SystemEnvironmentTest, ReadsFiles) {
  TempDir dir;
  SystemEnvironment env;
  std::string file = dir.path() + "/config";
  std::string content("[default]\nregion = us-west-2\n\0binary", 36);
  WriteFile(file, content);
  EXPECT_EQ(env.ReadFile(file).value(), content);

  Result<std::string> missing = env.ReadFile(dir.path() + "/none");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.error().message().find(dir.path() + "/none"), std::string::npos);

  Result<std::string> directory = env.ReadFile(dir.path());
  ASSERT_FALSE(directory.has_value());
  EXPECT_EQ(directory.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(directory.error().message().find("is a directory"), std::string::npos);

  std::string big = dir.path() + "/big";
  WriteFile(big, "");
  ASSERT_EQ(::truncate(big.c_str(), SystemEnvironment::kMaxFileBytes + 1), 0);
  Result<std::string> too_big = env.ReadFile(big);
  ASSERT_FALSE(too_big.has_value());
  EXPECT_EQ(too_big.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(too_big.error().message().find("larger than"), std::string::npos);
  std::string exact = dir.path() + "/exact";
  WriteFile(exact, "");
  ASSERT_EQ(::truncate(exact.c_str(), SystemEnvironment::kMaxFileBytes), 0);
  EXPECT_EQ(env.ReadFile(exact).value().size(), SystemEnvironment::kMaxFileBytes);
}

// HOME is process state; the test restores it.
class HomeGuard {
 public:
  HomeGuard() {
    if (const char* home = std::getenv("HOME")) saved_ = home;
  }
  ~HomeGuard() {
    if (saved_) {
      ::setenv("HOME", saved_->c_str(), 1);
    } else {
      ::unsetenv("HOME");
    }
  }

 private:
  std::optional<std::string> saved_;
};

TEST(SystemEnvironmentTest, HomeFromHomeElsePasswd) {
  HomeGuard guard;
  SystemEnvironment env;
  ::setenv("HOME", "/tmp/some/home//", 1);
  EXPECT_EQ(env.HomeDir(), "/tmp/some/home");
  ::setenv("HOME", "/", 1);
  EXPECT_EQ(env.HomeDir(), "/");

  struct passwd* entry = ::getpwuid(::getuid());
  std::string expected = entry != nullptr && entry->pw_dir != nullptr ? entry->pw_dir : "";
  while (expected.size() > 1 && expected.back() == '/') expected.pop_back();
  ::setenv("HOME", "", 1);
  EXPECT_EQ(env.HomeDir(), expected);
  ::unsetenv("HOME");
  EXPECT_EQ(env.HomeDir(), expected);
}

}  // namespace
}  // namespace trainload::client
