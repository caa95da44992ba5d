// What one opendir() hands the kernel: the directory's entries, taken once when the kernel
// reads from offset 0 and kept while it pages through them, so offsets stay stable however
// the bucket changes meanwhile (a rewind takes a new snapshot). The kernel sees the list
// ".", "..", entries[0], entries[1], ...; position p of that list is sent with offset p + 1,
// the offset the kernel passes back to continue after it.
//
// Thread-safe: calls on one handle are serialized by its mutex (the kernel does not read one
// directory handle from two threads at once, but nothing here relies on it).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

#include "fs/bucket_namespace.h"
#include "fs/inode_table.h"

namespace trainload::fs {

class DirHandle {
 public:
  explicit DirHandle(InodeId inode) : inode_(inode) {}

  InodeId inode() const { return inode_; }

  // Serializes readdir calls on this handle; hold it across snapshot() and the reply.
  std::mutex& mutex() { return mu_; }
  // The current snapshot (null before the first readdir). REQUIRES: mutex() held.
  const std::shared_ptr<const DirectoryListing>& snapshot() const { return snapshot_; }
  void set_snapshot(std::shared_ptr<const DirectoryListing> snapshot) {
    snapshot_ = std::move(snapshot);
  }

  // Positions before entries[0]: "." and "..".
  static constexpr uint64_t kDotEntries = 2;

 private:
  const InodeId inode_;
  std::mutex mu_;
  std::shared_ptr<const DirectoryListing> snapshot_;  // guarded by mu_
};

}  // namespace trainload::fs
