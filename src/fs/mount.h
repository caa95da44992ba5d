// One `trainload mount`: the objects a mount owns, from the S3 client to the FUSE session, and
// the process around it (docs/mount.md, "Running").
//
// Mount::Create builds, in order, the client, the block cache (--cache), the prefetcher, the
// file system and the FUSE session, checks that the bucket and prefix can be listed, and mounts:
// when it returns the mount point is live (requests wait for Run to serve them). Run serves them
// on libfuse's multi-threaded loop until the file system is unmounted (fusermount3 -u, umount)
// or the process gets SIGINT, SIGTERM or SIGHUP, then unmounts. Destruction tears down in the
// reverse order, so no reader outlives its prefetcher.
//
// MountAndServe is the whole command: in the foreground, Create then Run in this process; in
// the background (the default), the process forks first (before any thread exists) and the
// parent returns only once the child has mounted, or with the child's error, so a script can
// use the mount point as soon as the command returns.
//
// A Mount is used from one thread (the loop's threads are its own).
#pragma once

#include <memory>
#include <string>

#include "common/time_format.h"
#include "fs/mount_options.h"
#include "trainload/client.h"
#include "trainload/client_options.h"
#include "trainload/status.h"

struct fuse_session;

namespace trainload::cache {
class BlockCache;
}
namespace trainload::prefetch {
class Prefetcher;
}

namespace trainload::fs {

class Filesystem;
class FuseFilesystem;

class Mount {
 public:
  // Errors: the mount point is not a directory, the client cannot be created, the bucket or
  // prefix cannot be listed (NoSuchBucket, AccessDenied, ...), the cache directory is unusable,
  // or the kernel refused the mount (no /dev/fuse, not permitted); each message names it.
  static Result<std::unique_ptr<Mount>> Create(const MountOptions& options,
                                               const ClientOptions& client_options);
  ~Mount();
  Mount(const Mount&) = delete;
  Mount& operator=(const Mount&) = delete;

  // Serves until unmounted or signalled, then unmounts. Errors: the loop failed.
  Status Run();

  // One line of what the mount did, as name=value pairs: GET requests, bytes from S3 and from
  // the cache, peak read-ahead memory, cache hits, misses, evictions and corrupt blocks found.
  std::string Summary() const;

  // Why the kernel read-ahead (MountOptions::kernel_read_ahead_kb) could not be set, or "":
  // the mount works all the same, with smaller READ requests.
  const std::string& warning() const { return warning_; }

 private:
  explicit Mount(const MountOptions& options);

  const MountOptions options_;
  std::unique_ptr<Client> client_;
  std::unique_ptr<cache::BlockCache> cache_;
  std::unique_ptr<prefetch::Prefetcher> prefetcher_;
  SystemClock clock_;
  std::unique_ptr<Filesystem> filesystem_;
  std::unique_ptr<FuseFilesystem> fuse_filesystem_;
  fuse_session* session_ = nullptr;
  bool mounted_ = false;
  bool signal_handlers_ = false;
  std::string warning_;
};

// Runs `trainload mount` as described above. In the background the parent returns Ok once the
// mount is live; the child never returns (it exits when the mount ends).
Status MountAndServe(const MountOptions& options, const ClientOptions& client_options);

}  // namespace trainload::fs
