// The inodes the kernel knows about, as libfuse's passthrough_hp keeps them: an inode number for
// every (parent, name) the file system has answered a lookup for, and a lookup count that each
// reply naming the inode raises (lookup, create, mkdir, readdirplus) and each FORGET lowers. An
// inode is erased when its count reaches zero, never before: the kernel may still send requests
// for an unlinked inode until it forgets it. The root (kRootInode) lives forever.
//
// Inode numbers are never reused within a mount (a 64-bit counter), so the kernel never sees one
// number stand for two objects. A name resolves to one inode at a time; when an object changes
// kind behind the mount (file "a" became directory "a/"), Remember() detaches the old inode from
// its name and creates a new one, as Mountpoint's superblock does.
//
// Each inode carries the S3 key it stands for (files: the object key; directories: the prefix,
// ending in '/', or the mount prefix for the root), its attributes as last seen, when they were
// last confirmed by S3 (for the metadata TTL), and its local state: a file being written through
// the mount, or a directory made by mkdir that exists only here until a file is written under it.
//
// Thread-safe: one mutex guards the whole table; every method returns copies, so no reference
// into the table escapes the lock.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "trainload/status.h"

namespace trainload::fs {

using InodeId = uint64_t;
inline constexpr InodeId kRootInode = 1;  // FUSE_ROOT_ID

enum class InodeKind { kFile, kDirectory };

enum class InodeState {
  kRemote,          // as S3 shows it
  kWriting,         // a file being written through the mount: not in S3 until committed
  kLocalDirectory,  // made by mkdir, holds no object yet
};

struct InodeAttributes {
  uint64_t size = 0;
  int64_t mtime_ms = 0;  // Unix epoch milliseconds
  std::string etag;      // files only, without quotes
};

struct Inode {
  InodeId id = 0;
  InodeId parent = 0;
  std::string name;  // empty for the root
  InodeKind kind = InodeKind::kDirectory;
  std::string key;  // object key, or directory prefix ending in '/' ("" for a bucket's root)
  InodeAttributes attributes;
  int64_t validated_ms = 0;  // when S3 last confirmed the attributes
  InodeState state = InodeState::kRemote;
  std::string cached_etag;  // etag of the version the kernel's page cache holds, if any
};

class InodeTable {
 public:
  // `root_key` is the mount prefix ("" or ending in '/'); the root inode is a remote directory.
  InodeTable(std::string root_key, int64_t now_ms);
  InodeTable(const InodeTable&) = delete;
  InodeTable& operator=(const InodeTable&) = delete;

  // Finds or creates the inode named `name` in directory `parent` and adds `lookups` to its
  // lookup count (1 for every reply that hands the inode to the kernel, 0 otherwise). An inode
  // of the same kind is reused: a remote one takes the new attributes and validation time, one
  // in a local state keeps what it has (a listing taken while a file is written shows the old
  // object, not the file); `state` applies to new inodes only. An inode of the other kind is
  // detached from the name and a new one made. Errors: kNotFound when `parent` is unknown or
  // not a directory.
  Result<Inode> Remember(InodeId parent, std::string_view name, InodeKind kind,
                         const InodeAttributes& attributes, InodeState state, int64_t validated_ms,
                         uint64_t lookups);

  // The inode, or nullopt when it was forgotten (or never existed).
  std::optional<Inode> Get(InodeId id) const;
  // The inode `name` in `parent` currently resolves to, if any.
  std::optional<Inode> Child(InodeId parent, std::string_view name) const;
  // Children of `parent` in a local state (being written, made by mkdir), sorted by name.
  std::vector<Inode> LocalChildren(InodeId parent) const;
  // Whether any name in `parent` resolves to an inode.
  bool HasChildren(InodeId parent) const;

  // Lowers the lookup count by `count`; erases the inode (and its name, if still its own) at
  // zero. Forgetting more than was looked up is clamped at zero. The root is never erased.
  void Forget(InodeId id, uint64_t count);

  // Moves a live file into the kWriting state with `attributes` (an empty file, now), unless
  // it is already being written. Returns the inode, or nullopt when it is gone or busy.
  std::optional<Inode> TryBeginWrite(InodeId id, const InodeAttributes& attributes, int64_t now_ms);

  // Replace the attributes / state of a live inode; false when it is gone.
  bool SetAttributes(InodeId id, const InodeAttributes& attributes, int64_t validated_ms);
  bool SetState(InodeId id, InodeState state);
  bool SetCachedEtag(InodeId id, std::string etag);

  // Removes the name `name` from `parent` (unlink, rmdir, an object gone from S3). The inode
  // stays until the kernel forgets it. Returns whether a name was removed.
  bool Unlink(InodeId parent, std::string_view name);

  // Number of live inodes, the root included.
  size_t size() const;
  // Lookup count of an inode (0 when gone); for tests and statistics.
  uint64_t LookupCount(InodeId id) const;

 private:
  struct Record {
    Inode inode;
    uint64_t lookups = 0;
    uint64_t children = 0;  // names in this directory that resolve to an inode
    bool linked = false;    // its (parent, name) still resolves to it
  };
  struct ChildName {
    InodeId parent;
    std::string name;
    bool operator==(const ChildName&) const = default;
  };
  struct ChildNameHash {
    size_t operator()(const ChildName& c) const;
  };

  // REQUIRES: mu_ held.
  void UnlinkLocked(Record& record);
  const Record* FindLocked(InodeId id) const;

  mutable std::mutex mu_;
  InodeId next_id_ = kRootInode + 1;                                // guarded by mu_
  std::unordered_map<InodeId, Record> inodes_;                      // guarded by mu_
  std::unordered_map<ChildName, InodeId, ChildNameHash> children_;  // guarded by mu_
  std::set<InodeId> local_;  // inodes not in kRemote state; guarded by mu_
};

}  // namespace trainload::fs
