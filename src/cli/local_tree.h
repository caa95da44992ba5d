// A local directory tree walked as S3 lists a bucket: files only, in byte order of their
// '/'-separated path relative to the root, so a sorted listing and a local tree can be merged in
// one pass (sync). Directories are read one at a time, so memory grows with the depth and the
// widest directory, not with the tree.
//
// Byte order of whole paths is not the order of a plain recursive walk ("a-c" < "a/b" because
// '-' < '/'): each directory's entries are sorted with a '/' appended to sub-directory names.
//
// Symbolic links are followed (as the AWS CLI does by default); a link back to a directory
// being walked is skipped. Sockets, FIFOs and devices are skipped.
//
// Not thread-safe (one walker per thread).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "trainload/status.h"

namespace trainload::cli {

struct LocalFile {
  std::string relative;  // "dir/file.txt"
  std::string path;      // root joined with relative
  uint64_t size = 0;
  int64_t mtime_ms = 0;
};

class LocalTreeWalker {
 public:
  // Errors: `root` missing or not a directory (naming it).
  static Result<LocalTreeWalker> Open(const std::string& root);

  // The next file; nullopt at the end. An error (a directory that cannot be read, a file that
  // cannot be stat'ed) names the path; the walk has moved past it and may go on.
  Result<std::optional<LocalFile>> Next();

 private:
  struct Entry {
    std::string name;
    bool is_dir = false;
    uint64_t size = 0;
    int64_t mtime_ms = 0;
    dev_t dev = 0;
    ino_t ino = 0;
  };
  struct Frame {
    std::string relative;  // "" for the root, else "dir/sub/"
    std::vector<Entry> entries;
    size_t next = 0;
    dev_t dev = 0;
    ino_t ino = 0;
  };

  explicit LocalTreeWalker(std::string root) : root_(std::move(root)) {}
  std::string PathOf(const std::string& relative) const;
  // Reads and sorts one directory; errors name it.
  Result<Frame> ReadDirectory(const std::string& relative, dev_t dev, ino_t ino) const;

  std::string root_;
  std::vector<Frame> stack_;
};

// mtime of `path` in milliseconds since the epoch, following links; errors name the path.
Result<int64_t> FileMtimeMs(const std::string& path);
// Sets the modification (and access) time of `path` to `mtime_ms`.
Status SetFileMtimeMs(const std::string& path, int64_t mtime_ms);

}  // namespace trainload::cli
