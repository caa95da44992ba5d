// The directory tree a bucket's '/'-delimited keys describe, as the mount shows it, with the
// metadata cache in front of S3 (docs/mount.md, "Namespace" and "Caching").
//
// Mapping (after Mountpoint's SEMANTICS.md): a directory is a prefix ending in '/' that some
// key lies under; a file is an object whose key is the directory prefix plus a valid name.
// Names are non-empty, at most 255 bytes, without '/' or NUL, and neither "." nor "..": keys
// with other components ("a//b", "a/./b", "a/") are not shown. When both the object "a" and
// keys under "a/" exist, the directory wins and the object is hidden.
//
// Lookup(dir, name) asks S3 with a HEAD of dir+name and a one-key LIST of dir+name+"/" at the
// same time. List(dir) pages through ListObjectsV2 with delimiter '/' and returns the whole
// directory sorted by name. Both are cached for `metadata_ttl` (negative lookups too), a lookup
// is answered from a fresh listing of its directory when there is one, and with `immutable`
// nothing expires. A program that opens many files of one directory by name (a data loader)
// would cost two requests per file: once `list_after_misses` lookups in a directory went to S3
// within one TTL, the directory is listed (one LIST per 1,000 names) and lookups are answered
// from the listing — unless it has more than `max_listed_entries` entries, which are then
// never listed for lookups. Concurrent List() calls of one directory share one listing. Writes and deletes through the mount update the cache at once
// (ObjectWritten / ObjectDeleted), so the mount reads its own writes; changes made by other
// clients show once the cached entries expire.
//
// Thread-safe: the cache has one mutex, never held across a request to S3. Two threads that
// miss on the same name may both ask S3; the later answer wins.
#pragma once

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/time_format.h"
#include "fs/inode_table.h"
#include "trainload/client.h"

namespace trainload::fs {

struct DirectoryEntry {
  std::string name;
  InodeKind kind = InodeKind::kFile;
  InodeAttributes attributes;  // files: size, mtime, etag; directories: zeros
};

// Every visible entry of one directory, sorted by name (bytewise), one entry per name.
struct DirectoryListing {
  std::vector<DirectoryEntry> entries;
  // The entry called `name`, or null.
  const DirectoryEntry* Find(std::string_view name) const;
};

struct NamespaceOptions {
  std::string bucket;
  std::chrono::milliseconds metadata_ttl{1000};  // 0: every lookup and listing asks S3
  bool immutable = false;                        // cache everything for the mount's life
  size_t max_cached_lookups = 1'000'000;         // beyond it, expired entries are dropped
  size_t list_after_misses = 4;                  // 0: lookups never list their directory
  size_t max_listed_entries = 10'000;            // larger directories: per-name lookups only
};

// NAME_MAX: longer names are not shown (and cannot be created).
inline constexpr size_t kMaxNameBytes = 255;

// Whether `name` can be a file or directory name in the mount (see above).
bool IsValidName(std::string_view name);

class BucketNamespace {
 public:
  // `client` and `clock` must outlive the namespace.
  BucketNamespace(Client& client, NamespaceOptions options, const Clock& clock);
  BucketNamespace(const BucketNamespace&) = delete;
  BucketNamespace& operator=(const BucketNamespace&) = delete;

  // The entry `name` in the directory with prefix `dir_key` ("" or ending in '/'), or nullopt
  // when there is none (or `name` is not a valid name). Errors: from S3 other than NoSuchKey
  // (AccessDenied, NoSuchBucket, retries exhausted), naming the bucket and key.
  Result<std::optional<DirectoryEntry>> Lookup(std::string_view dir_key, std::string_view name);

  // The whole directory `dir_key`. An absent prefix is an empty listing. Errors: as Lookup.
  Result<std::shared_ptr<const DirectoryListing>> List(std::string_view dir_key);

  // The object `key` was written through the mount: it is a file with these attributes, its
  // ancestors are directories, and cached listings on its path are dropped.
  void ObjectWritten(std::string_view key, const InodeAttributes& attributes);
  // The object `key` was deleted through the mount.
  void ObjectDeleted(std::string_view key);
  // Drops every cached fact about `key` (a file key or a directory prefix) and its parent's
  // listing, so the next lookup asks S3.
  void Forget(std::string_view key);

  const NamespaceOptions& options() const { return options_; }

 private:
  struct CachedLookup {
    std::optional<DirectoryEntry> entry;
    int64_t expires_ms = 0;
  };
  struct CachedListing {
    std::shared_ptr<const DirectoryListing> listing;
    int64_t expires_ms = 0;
  };
  // Lookups of one directory that went to S3, counted per TTL window.
  struct DirectoryMisses {
    size_t count = 0;
    int64_t window_end_ms = 0;
    bool too_large = false;  // more than max_listed_entries: never listed for lookups
  };
  // A listing being fetched; a null listing means "more than the limit".
  using SharedListing = std::shared_future<Result<std::shared_ptr<const DirectoryListing>>>;

  Result<std::optional<DirectoryEntry>> LookupRemote(std::string_view dir_key,
                                                     std::string_view name);
  // The listing of `dir_key` from the cache, else from S3 (one request for all concurrent
  // callers), cached. With `max_entries` > 0, a directory with more entries gives a null
  // listing (not cached).
  Result<std::shared_ptr<const DirectoryListing>> ListShared(std::string_view dir_key,
                                                             size_t max_entries);
  Result<std::shared_ptr<const DirectoryListing>> ListRemote(const std::string& dir_key,
                                                             size_t max_entries);
  // REQUIRES: mu_ held. Counts a lookup of `dir_key` that missed the cache; true when the
  // directory should now be listed instead.
  bool CountMissLocked(const std::string& dir_key, int64_t now_ms);
  int64_t ExpiryFrom(int64_t now_ms) const;
  bool CachingEnabled() const;
  // REQUIRES: mu_ held. Drops the listing of the directory holding `key` and of every ancestor.
  void DropListingsOnPathLocked(std::string_view key);
  // REQUIRES: mu_ held.
  void PruneLocked(int64_t now_ms);
  uint64_t Generation();

  Client& client_;
  const NamespaceOptions options_;
  const Clock& clock_;

  std::mutex mu_;
  // Keyed by the entry's path: dir_key + name (no trailing '/').
  std::unordered_map<std::string, CachedLookup> lookups_;    // guarded by mu_
  std::unordered_map<std::string, CachedListing> listings_;  // guarded by mu_, keyed by dir_key
  std::unordered_map<std::string, DirectoryMisses> misses_;  // guarded by mu_, keyed by dir_key
  std::unordered_map<std::string, SharedListing> in_flight_;  // guarded by mu_, keyed by dir_key
  // Bumped by every invalidation: an answer from S3 is cached only if none happened while it
  // was asked for.
  uint64_t generation_ = 0;  // guarded by mu_
};

}  // namespace trainload::fs
