// The process environment as the client sees it: environment variables, small files (the AWS
// config and credentials files) and the home directory. Configuration resolution reads the world
// only through this interface, so tests run it against a FakeEnvironment instead of the real
// process state.
//
// SystemEnvironment reads the real process: thread-safe as long as nothing calls setenv/putenv
// concurrently. FakeEnvironment is thread-compatible: set it up first, then its const methods may
// be called from any thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "trainload/status.h"

namespace trainload::client {

class Environment {
 public:
  virtual ~Environment() = default;

  // The value of environment variable `name`; nullopt when it is not set. A variable set to the
  // empty string is returned as "" (callers decide whether empty means unset).
  virtual std::optional<std::string> Get(std::string_view name) const = 0;

  // The whole content of the file at `path`. kNotFound when there is no such file; other errors
  // (permission denied, a directory, a file over 16 MiB) carry their own code. Messages name the
  // path.
  virtual Result<std::string> ReadFile(const std::string& path) const = 0;

  // The user's home directory without a trailing '/' ("/" stays "/"), or "" when none is known.
  virtual std::string HomeDir() const = 0;
};

// The real process: getenv, the file system, and $HOME (else the passwd entry of the real uid).
class SystemEnvironment final : public Environment {
 public:
  // Files larger than this are refused (config files are small; this stops /dev/zero).
  static constexpr size_t kMaxFileBytes = 16u << 20;

  std::optional<std::string> Get(std::string_view name) const override;
  Result<std::string> ReadFile(const std::string& path) const override;
  std::string HomeDir() const override;
};

// An in-memory environment for tests: variables and files are whatever was set.
class FakeEnvironment final : public Environment {
 public:
  FakeEnvironment() = default;
  // The home directory; "/home/test" unless changed.
  explicit FakeEnvironment(std::string home_dir) : home_dir_(std::move(home_dir)) {}

  FakeEnvironment& SetVar(std::string name, std::string value);
  FakeEnvironment& UnsetVar(std::string_view name);
  FakeEnvironment& SetFile(std::string path, std::string content);
  // ReadFile(path) fails with `error` (e.g. PermissionDenied) instead of returning content.
  FakeEnvironment& SetFileError(std::string path, Status error);
  FakeEnvironment& SetHomeDir(std::string home_dir);

  std::optional<std::string> Get(std::string_view name) const override;
  Result<std::string> ReadFile(const std::string& path) const override;
  std::string HomeDir() const override { return home_dir_; }

 private:
  std::string home_dir_ = "/home/test";
  std::map<std::string, std::string, std::less<>> vars_;
  std::map<std::string, Result<std::string>> files_;
};

}  // namespace trainload::client
