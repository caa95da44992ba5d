// What one open() of a file hands the kernel (the FUSE file handle): for reading, the file's
// PrefetchingReader, pinned to the object version (etag) seen at open, so a replaced object
// fails the read with PreconditionFailed instead of mixing versions; for writing, the
// WriteHandle streaming a new object. Reading a write handle or writing a read handle fails
// with FsError::kBadHandle.
//
// Thread-safe: the reader serializes its calls, the WriteHandle locks.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "fs/inode_table.h"
#include "fs/write_handle.h"
#include "prefetch/prefetcher.h"

namespace trainload::fs {

class FileHandle {
 public:
  static std::unique_ptr<FileHandle> ForReading(
      InodeId inode, std::unique_ptr<prefetch::PrefetchingReader> reader);
  static std::unique_ptr<FileHandle> ForWriting(InodeId inode, std::string key,
                                                std::unique_ptr<WriteHandle> writer);

  InodeId inode() const { return inode_; }
  // Null for a read handle.
  WriteHandle* writer() const { return writer_.get(); }
  // The object key of a write handle.
  const std::string& key() const { return key_; }

  // Up to `length` bytes at `offset`, fewer only at the end of the object, lent in `out` (see
  // prefetch::PinnedBytes). Errors: from the reader (NoSuchKey, PreconditionFailed when the
  // object changed, retries exhausted), or kBadHandle for a write handle.
  Result<size_t> Read(uint64_t offset, uint64_t length, prefetch::PinnedBytes& out);

 private:
  FileHandle(InodeId inode, std::string key) : inode_(inode), key_(std::move(key)) {}

  const InodeId inode_;
  const std::string key_;
  std::unique_ptr<prefetch::PrefetchingReader> reader_;
  std::unique_ptr<WriteHandle> writer_;
};

}  // namespace trainload::fs
