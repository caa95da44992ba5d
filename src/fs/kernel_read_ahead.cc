#include "fs/kernel_read_ahead.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace trainload::fs {
namespace {

bool IsOctal(char c) { return c >= '0' && c <= '7'; }

// mountinfo's octal escapes (\040 for a space) back to bytes.
std::string Unescape(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() && IsOctal(field[i + 1]) &&
        IsOctal(field[i + 2]) && IsOctal(field[i + 3])) {
      out.push_back(static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                                      (field[i + 3] - '0')));
      i += 3;
      continue;
    }
    out.push_back(field[i]);
  }
  return out;
}

}  // namespace

std::optional<std::string> FindMountDevice(std::string_view mountinfo,
                                           std::string_view mountpoint) {
  // Each line: id parent major:minor root mountpoint options ... (proc(5)).
  std::optional<std::string> device;
  while (!mountinfo.empty()) {
    size_t eol = mountinfo.find('\n');
    std::string_view line = mountinfo.substr(0, eol);
    mountinfo = eol == std::string_view::npos ? std::string_view() : mountinfo.substr(eol + 1);
    std::string_view fields[5];
    size_t n = 0;
    while (n < 5 && !line.empty()) {
      size_t space = line.find(' ');
      fields[n++] = line.substr(0, space);
      line = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    }
    // The last match wins: a later mount on the same path hides the earlier ones.
    if (n == 5 && Unescape(fields[4]) == mountpoint) device = std::string(fields[2]);
  }
  return device;
}

Status SetKernelReadAhead(const std::string& mountpoint, uint32_t kib) {
  std::ifstream in("/proc/self/mountinfo");
  std::stringstream text;
  text << in.rdbuf();
  std::optional<std::string> device = FindMountDevice(text.str(), mountpoint);
  const std::string what = "setting the kernel read-ahead of " + mountpoint;
  if (!device.has_value()) {
    return Status(StatusCode::kNotFound, what + ": not in /proc/self/mountinfo");
  }
  const std::string path = "/sys/class/bdi/" + *device + "/read_ahead_kb";
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(what + ": " + path, errno);
  const std::string value = std::to_string(kib) + "\n";
  ssize_t written = write(fd, value.data(), value.size());
  int error = errno;
  close(fd);
  if (written != static_cast<ssize_t>(value.size())) {
    return ErrnoStatus(what + ": writing " + path, written < 0 ? error : EIO);
  }
  return Status::Ok();
}

}  // namespace trainload::fs
