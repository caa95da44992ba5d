// The FUSE edge of the mount: the libfuse low-level operations table over a Filesystem, and the
// one place where errors become errno values (ToErrno; docs/mount.md has the table). It fills
// replies (attributes from --uid/--gid/--file-mode/--dir-mode, kernel cache timeouts from
// --metadata-ttl, keep_cache), pages readdir/readdirplus through a DirHandle's snapshot and
// refuses at once what the mount does not do (rename, links, mknod, xattrs, fallocate).
//
// The session's userdata is the FuseFilesystem; libfuse calls the operations from its worker
// threads. Thread-safe, as the Filesystem is. Read replies are written from the read-ahead
// buffers themselves (prefetch::PinnedBytes), with no copy in between.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "fs/filesystem.h"
#include "trainload/status.h"

struct fuse_lowlevel_ops;
struct fuse_session;

namespace trainload::fs {

// The errno reporting `status` to the kernel: FsError reasons (fs_error.h), then S3 reasons
// (NoSuchKey -> ENOENT, AccessDenied -> EACCES, PreconditionFailed -> EIO, ...), then the
// status code; EIO for anything else. Never 0 for an error status.
int ToErrno(const Status& status);

class FuseFilesystem final : public KernelCache {
 public:
  // `fs` must outlive this object. `log_errors`: print unexpected failures (those reported as
  // EIO or EACCES) to stderr.
  FuseFilesystem(Filesystem& fs, bool log_errors);
  FuseFilesystem(const FuseFilesystem&) = delete;
  FuseFilesystem& operator=(const FuseFilesystem&) = delete;

  // The operations table to hand fuse_session_new() with `this` as userdata.
  static const fuse_lowlevel_ops& Operations();
  // The session to send kernel notifications on; set once it exists, before it is mounted.
  void set_session(fuse_session* session) { session_ = session; }

  void InvalidateEntry(InodeId parent, const std::string& name) override;

  Filesystem& fs() { return fs_; }
  // Kernel entry and attribute timeout, in seconds.
  double cache_timeout() const { return cache_timeout_; }
  bool log_errors() const { return log_errors_; }

 private:
  Filesystem& fs_;
  fuse_session* session_ = nullptr;
  const double cache_timeout_;
  const bool log_errors_;
};

}  // namespace trainload::fs
