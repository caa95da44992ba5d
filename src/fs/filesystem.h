// The mount's file system, free of FUSE: every operation the FUSE edge (fuse_filesystem.cc)
// forwards, over the inode table, the bucket namespace, the prefetcher and the client. Each
// returns a Result whose error is an S3 Status (NoSuchKey, AccessDenied, PreconditionFailed,
// ...) or an FsError (fs_error.h); the edge turns both into errno (docs/mount.md has the table).
//
// Semantics (docs/mount.md): reads of any object, pinned to the version seen at open; writes of
// new objects, sequential, visible at close (Flush with data written, Sync, or Release);
// replacing an object only with --allow-overwrite and O_TRUNC; deleting only with
// --allow-delete; mkdir makes a local directory that exists once a file is written under it;
// everything else (rename, links, chmod, chown, random writes, appends) is refused at once.
//
// Every method that returns an Inode raised its lookup count by one (the caller hands it to the
// kernel). Thread-safe: the parts it holds are; the Filesystem adds no state of its own.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "common/time_format.h"
#include "fs/bucket_namespace.h"
#include "fs/dir_handle.h"
#include "fs/file_handle.h"
#include "fs/inode_table.h"
#include "fs/mount_options.h"
#include "prefetch/prefetcher.h"
#include "trainload/client.h"

namespace trainload::fs {

// What a setattr asks to change.
struct AttributeChange {
  bool mode = false;
  bool owner = false;  // uid or gid
  std::optional<uint64_t> size;
  bool times = false;  // atime or mtime
};

// What the kernel caches about names, as the file system may need to correct it; the FUSE edge
// implements it. Calls must not be made while the kernel waits on the caller for the same
// directory (from lookup, create, unlink ...), only from flush, release and fsync.
class KernelCache {
 public:
  virtual ~KernelCache() = default;
  // The kernel forgets `name` in directory `parent`; its next use is looked up again.
  virtual void InvalidateEntry(InodeId parent, const std::string& name) = 0;
};

class Filesystem {
 public:
  // Everything passed must outlive the Filesystem.
  Filesystem(const MountOptions& options, Client& client, prefetch::Prefetcher& prefetcher,
             const Clock& clock);
  Filesystem(const Filesystem&) = delete;
  Filesystem& operator=(const Filesystem&) = delete;

  // `name` in directory `parent`. Errors: kNoEntry, kNotDirectory, S3 errors.
  Result<Inode> Lookup(InodeId parent, std::string_view name);
  void Forget(InodeId id, uint64_t count);
  // The inode's attributes, refreshed from S3 once older than the metadata TTL (does not raise
  // the lookup count). Errors: kNoEntry for a forgotten inode.
  Result<Inode> GetAttributes(InodeId id);
  // Only time changes of a file being written or a local directory are accepted (and ignored:
  // S3 sets the time), and a size change to a file being written that keeps its size.
  Result<Inode> SetAttributes(InodeId id, const AttributeChange& change);

  Result<std::unique_ptr<DirHandle>> OpenDirectory(InodeId id);
  // The handle's snapshot, taken (S3 listing plus local entries) when `offset` is 0 or none
  // was taken yet. REQUIRES: handle.mutex() held.
  Result<std::shared_ptr<const DirectoryListing>> ReadDirectory(DirHandle& handle, uint64_t offset);
  // Makes (or finds) the inode of a listed entry, for readdirplus.
  Result<Inode> RememberEntry(InodeId parent, const DirectoryEntry& entry);

  struct Opened {
    std::unique_ptr<FileHandle> handle;
    bool keep_cache = false;  // the kernel's cached pages are of this very version
  };
  // `flags` as open(2). Errors: kIsDirectory, kBusy, kNotPermitted (existing object opened for
  // writing without O_TRUNC or without --allow-overwrite), kReadOnly, S3 errors.
  Result<Opened> Open(InodeId id, int flags);

  struct Created {
    Inode inode;
    std::unique_ptr<FileHandle> handle;
  };
  // A new file `name` in `parent`, open for writing. Errors: kExists (O_EXCL), kIsDirectory,
  // kBusy, kNotPermitted (an existing object without O_TRUNC and --allow-overwrite), kReadOnly.
  Result<Created> Create(InodeId parent, std::string_view name, int flags);
  Result<Inode> MakeDirectory(InodeId parent, std::string_view name);
  Status Unlink(InodeId parent, std::string_view name);
  Status RemoveDirectory(InodeId parent, std::string_view name);

  // Lends the bytes (FileHandle::Read): the FUSE reply is written from the read-ahead buffers.
  Result<size_t> Read(FileHandle& handle, uint64_t offset, uint64_t length,
                      prefetch::PinnedBytes& out);
  Result<size_t> Write(FileHandle& handle, uint64_t offset, std::span<const std::byte> data);
  // close(2) of one descriptor: commits the upload once data was written (an empty descriptor
  // closed early, as shells do with redirections, commits nothing yet).
  Status Flush(FileHandle& handle);
  // fsync(2): commits the upload.
  Status Sync(FileHandle& handle);
  // The last close: commits an upload not committed yet.
  Status Release(FileHandle& handle);

  // Set once, before serving; may stay null (tests).
  void set_kernel_cache(KernelCache* kernel_cache) { kernel_cache_ = kernel_cache; }

  const MountOptions& options() const { return options_; }
  InodeTable& inodes() { return inodes_; }
  // When the mount started: the time shown for directories, which S3 keeps no time for.
  int64_t mount_time_ms() const { return mount_time_ms_; }

 private:
  // Whether attributes validated at `validated_ms` are still trusted.
  bool Fresh(int64_t validated_ms) const;
  // Asks the namespace again about a remote file; the refreshed inode, or kNoEntry when the
  // object is gone (its name is dropped).
  Result<Inode> Revalidate(const Inode& inode);
  Result<Inode> Directory(InodeId id) const;
  Status CheckWritable(std::string_view what) const;
  // Errors: kNameTooLong, or kNotPermitted for a name no file can have ("a/b", ".").
  Status CheckNewName(std::string_view what, std::string_view name) const;
  Result<std::unique_ptr<FileHandle>> StartWrite(const Inode& inode);
  Status Commit(FileHandle& handle);
  static std::string_view DirKeyOf(const Inode& inode);

  const MountOptions& options_;
  Client& client_;
  prefetch::Prefetcher& prefetcher_;
  const Clock& clock_;
  const int64_t mount_time_ms_;
  InodeTable inodes_;
  BucketNamespace namespace_;
  KernelCache* kernel_cache_ = nullptr;
};

}  // namespace trainload::fs
