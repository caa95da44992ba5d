#include "cli/local_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

namespace trainload::cli {
namespace {

int64_t MtimeMs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}

}  // namespace

Result<LocalTreeWalker> LocalTreeWalker::Open(const std::string& root) {
  struct stat st;
  if (::stat(root.c_str(), &st) != 0) return Error(ErrnoStatus("cannot read " + root, errno));
  if (!S_ISDIR(st.st_mode)) return Error(InvalidArgument(root + " is not a directory"));
  LocalTreeWalker walker(root);
  TL_ASSIGN_OR_RETURN(Frame top, walker.ReadDirectory("", st.st_dev, st.st_ino));
  walker.stack_.push_back(std::move(top));
  return walker;
}

std::string LocalTreeWalker::PathOf(const std::string& relative) const {
  if (relative.empty()) return root_;
  return root_.ends_with('/') ? root_ + relative : root_ + "/" + relative;
}

Result<LocalTreeWalker::Frame> LocalTreeWalker::ReadDirectory(const std::string& relative,
                                                              dev_t dev, ino_t ino) const {
  std::string path = PathOf(relative);
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return Error(ErrnoStatus("cannot read directory " + path, errno));
  Frame frame;
  frame.relative = relative;
  frame.dev = dev;
  frame.ino = ino;
  int dir_fd = ::dirfd(dir);
  while (true) {
    errno = 0;
    struct dirent* item = ::readdir(dir);
    if (item == nullptr) {
      if (errno != 0) {
        int saved = errno;
        ::closedir(dir);
        return Error(ErrnoStatus("cannot read directory " + path, saved));
      }
      break;
    }
    std::string name = item->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (::fstatat(dir_fd, name.c_str(), &st, 0) != 0) {
      // Vanished since readdir, or a dangling link: nothing to transfer.
      continue;
    }
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) continue;
    frame.entries.push_back(Entry{.name = std::move(name),
                                  .is_dir = S_ISDIR(st.st_mode),
                                  .size = static_cast<uint64_t>(st.st_size),
                                  .mtime_ms = MtimeMs(st),
                                  .dev = st.st_dev,
                                  .ino = st.st_ino});
  }
  ::closedir(dir);
  // "name/" for directories puts each sub-tree exactly where its paths fall in byte order.
  auto sort_key = [](const Entry& e) { return e.is_dir ? e.name + "/" : e.name; };
  std::sort(frame.entries.begin(), frame.entries.end(),
            [&](const Entry& a, const Entry& b) { return sort_key(a) < sort_key(b); });
  return frame;
}

Result<std::optional<LocalFile>> LocalTreeWalker::Next() {
  while (!stack_.empty()) {
    Frame& top = stack_.back();
    if (top.next == top.entries.size()) {
      stack_.pop_back();
      continue;
    }
    const Entry entry = top.entries[top.next++];
    std::string relative = top.relative + entry.name;
    if (!entry.is_dir) {
      return LocalFile{relative, PathOf(relative), entry.size, entry.mtime_ms};
    }
    bool loop = std::any_of(stack_.begin(), stack_.end(), [&](const Frame& f) {
      return f.dev == entry.dev && f.ino == entry.ino;
    });
    if (loop) continue;
    TL_ASSIGN_OR_RETURN(Frame child, ReadDirectory(relative + "/", entry.dev, entry.ino));
    stack_.push_back(std::move(child));
  }
  return std::nullopt;
}

Result<int64_t> FileMtimeMs(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Error(ErrnoStatus("cannot stat " + path, errno));
  return MtimeMs(st);
}

Status SetFileMtimeMs(const std::string& path, int64_t mtime_ms) {
  struct timespec times[2];
  times[0].tv_sec = mtime_ms / 1000;
  times[0].tv_nsec = (mtime_ms % 1000) * 1'000'000;
  times[1] = times[0];
  if (::utimensat(AT_FDCWD, path.c_str(), times, 0) != 0) {
    return ErrnoStatus("cannot set the modification time of " + path, errno);
  }
  return Status::Ok();
}

}  // namespace trainload::cli
