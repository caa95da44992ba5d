#include "client/environment.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

namespace trainload::client {
namespace {

std::string WithoutTrailingSlash(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

}  // namespace

std::optional<std::string> SystemEnvironment::Get(std::string_view name) const {
  // getenv needs a NUL-terminated name; a view may not have one.
  const char* value = std::getenv(std::string(name).c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

Result<std::string> SystemEnvironment::ReadFile(const std::string& path) const {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error(ErrnoStatus("open " + path, errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Status status = ErrnoStatus("stat " + path, errno);
    ::close(fd);
    return Error(std::move(status));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Error(InvalidArgument(path + " is a directory, not a file"));
  }
  std::string content;
  std::vector<char> buffer(64 << 10);
  while (true) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      Status status = ErrnoStatus("read " + path, errno);
      ::close(fd);
      return Error(std::move(status));
    }
    if (n == 0) break;
    // Checked while reading rather than from st_size: pipes and /proc files report 0.
    if (content.size() + static_cast<size_t>(n) > kMaxFileBytes) {
      ::close(fd);
      return Error(InvalidArgument(path + " is larger than " + std::to_string(kMaxFileBytes) +
                                   " bytes; not a config file"));
    }
    content.append(buffer.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  return content;
}

std::string SystemEnvironment::HomeDir() const {
  // $HOME first, as the AWS SDKs do (and so that tests and containers can move it).
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return WithoutTrailingSlash(home);
  }
  long size_hint = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(size_hint > 0 ? static_cast<size_t>(size_hint) : 16384);
  struct passwd entry {};
  struct passwd* found = nullptr;
  while (::getpwuid_r(::getuid(), &entry, buffer.data(), buffer.size(), &found) == ERANGE &&
         buffer.size() < (1u << 20)) {
    buffer.resize(buffer.size() * 2);
  }
  if (found == nullptr || found->pw_dir == nullptr || found->pw_dir[0] == '\0') return "";
  return WithoutTrailingSlash(found->pw_dir);
}

FakeEnvironment& FakeEnvironment::SetVar(std::string name, std::string value) {
  vars_.insert_or_assign(std::move(name), std::move(value));
  return *this;
}

FakeEnvironment& FakeEnvironment::UnsetVar(std::string_view name) {
  if (auto it = vars_.find(name); it != vars_.end()) vars_.erase(it);
  return *this;
}

FakeEnvironment& FakeEnvironment::SetFile(std::string path, std::string content) {
  files_.insert_or_assign(std::move(path), std::move(content));
  return *this;
}

FakeEnvironment& FakeEnvironment::SetFileError(std::string path, Status error) {
  files_.insert_or_assign(std::move(path), Error(std::move(error)));
  return *this;
}

FakeEnvironment& FakeEnvironment::SetHomeDir(std::string home_dir) {
  home_dir_ = std::move(home_dir);
  return *this;
}

std::optional<std::string> FakeEnvironment::Get(std::string_view name) const {
  auto it = vars_.find(name);
  if (it == vars_.end()) return std::nullopt;
  return it->second;
}

Result<std::string> FakeEnvironment::ReadFile(const std::string& path) const {
  auto it = files_.find(path);
  if (it == files_.end()) return Error(NotFound("open " + path + ": No such file or directory"));
  return it->second;
}

}  // namespace trainload::client
