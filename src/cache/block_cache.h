// A block cache on local disk for object data: fixed-size blocks keyed by (bucket, key, etag,
// block index), as Mountpoint's `--cache`, but kept across restarts. Knows nothing of FUSE.
//
// Each block is one file holding a small header (magic, version, bucket, key, etag, index,
// length, CRC32C of the data, CRC32C of the header) followed by the data; docs/cache-format.md
// has the layout. A block is written to a temp file and renamed into place, so a reader sees a
// whole block or none. Every read verifies the header fields against the requested id and the
// data against its CRC32C: a corrupt, truncated or foreign block is deleted and reported as a
// miss, never returned. Because the etag is part of the key, blocks of a replaced object are
// never hit; they age out by LRU.
//
// Open() scans the directory, deletes leftover temp files, and keeps every block file it finds
// (validated lazily on first read), so a cache survives a remount. Blocks are evicted least
// recently used to stay within max_size_bytes; at Open the order is rebuilt from the files'
// atime/mtime, and blocks beyond a lowered limit are evicted right away. Everything lives under
// <directory>/v1/; nothing else in <directory> is touched.
//
// The cache is best effort: I/O errors on read are misses, errors on Put are returned but the
// caller may ignore them. Thread-safe; Get and Put of different blocks run in parallel. One
// directory serves one open BlockCache at a time (an flock on <directory>/v1/lock): destroy the
// old cache before opening the same directory again.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "trainload/status.h"

namespace trainload::cache {

struct CacheOptions {
  std::string directory;             // created if missing
  uint64_t max_size_bytes = 0;       // total of block files (header + data); must be >= block_size
  uint64_t block_size = 1ull << 20;  // the data of every block but an object's last; 1 .. 1 GiB
};

struct BlockId {
  std::string bucket;
  std::string key;
  std::string etag;    // without quotes
  uint64_t index = 0;  // block `index` holds bytes [index * block_size, ...)
};

struct CacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t evictions = 0;
  uint64_t corrupt_blocks = 0;  // found on read and discarded
  uint64_t bytes_used = 0;      // block file sizes, including blocks being written
  uint64_t blocks = 0;
};

class BlockCache {
 public:
  // Errors: the directory cannot be created or read, options out of range (kInvalidArgument,
  // message names it), the directory already in use by another open cache (kFailedPrecondition).
  static Result<std::unique_ptr<BlockCache>> Open(const CacheOptions& options);
  virtual ~BlockCache() = default;

  virtual uint64_t block_size() const = 0;

  // Copies the block into `out` (out.size() >= block_size()) and returns its length, or nullopt
  // on a miss (absent, corrupt, unreadable, being written, or `out` too small). A corrupt block
  // is deleted and counted in stats().corrupt_blocks. Bytes of `out` past the returned length,
  // and all of it on a miss, may have been overwritten.
  virtual std::optional<size_t> Get(const BlockId& id, std::span<std::byte> out) = 0;

  // Stores `data` (1..block_size() bytes) as block `id`, replacing any previous copy, evicting
  // least recently used blocks first so the total stays within the limit.
  // Errors: kInvalidArgument for data of another size or an id too long for a block header
  // (bucket + key + etag over 65491 bytes); kResourceExhausted when the block cannot fit beside
  // the blocks other threads are writing (or ENOSPC); other I/O errors from errno. Ok without
  // writing when another thread is writing or deleting the same block at this moment.
  virtual Status Put(const BlockId& id, std::span<const std::byte> data) = 0;

  virtual CacheStats stats() const = 0;
};

}  // namespace trainload::cache
