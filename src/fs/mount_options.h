// Configuration of one `trainload mount` (docs/mount.md). Plain data: only src/cli fills it from
// flags; the file system reads it once at mount time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "prefetch/prefetcher.h"

namespace trainload::fs {

// --metadata-ttl indefinite: metadata never expires (nothing is asked twice).
inline constexpr std::chrono::milliseconds kIndefiniteTtl = std::chrono::milliseconds::max();

struct MountOptions {
  std::string bucket;
  std::string prefix;      // "" or ending in '/': the key prefix shown as the mount's root
  std::string mountpoint;  // an existing directory

  // What every inode shows; the kernel enforces them (default_permissions).
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t file_mode = 0644;  // permission bits only
  uint32_t dir_mode = 0755;
  bool allow_other = false;  // let users other than the mounting one in

  bool read_only = false;  // every change fails with EROFS
  // How long lookups, listings and attributes are trusted, here and in the kernel (entry and
  // attribute timeouts). 0: every lookup asks S3. kIndefiniteTtl: never expire.
  std::chrono::milliseconds metadata_ttl{1000};
  // The bucket never changes under the mount: metadata is cached for the mount's life and the
  // kernel keeps file pages across opens. Changes through the mount are still seen.
  bool immutable = false;

  bool allow_overwrite = false;  // open(O_TRUNC) of an existing object replaces it at close
  bool allow_delete = false;     // unlink deletes the object

  prefetch::PrefetchOptions prefetch;  // read-ahead, memory budget

  std::string cache_dir;        // empty: no local block cache
  uint64_t max_cache_size = 0;  // with cache_dir; 0: the cache disk's free space less 5%

  // The kernel's read-ahead for the mount (/sys/class/bdi/<dev>/read_ahead_kb), which sets the
  // size of FUSE READ requests: 1 MiB matches max_readahead. 0: leave the system default.
  uint32_t kernel_read_ahead_kb = 1024;

  bool foreground = false;  // else the process forks and the parent returns once mounted
  size_t max_threads = 16;  // FUSE worker threads (requests handled at once)
};

}  // namespace trainload::fs
