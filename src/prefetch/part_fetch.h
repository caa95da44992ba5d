// One part of an object being read ahead, and the task that fills it: the blocks of the part
// that are in the BlockCache come from there, the rest from one ranged GET carrying If-Match
// with the object's etag; the blocks that came from S3 are then stored in the cache.
//
// Ownership: a Part is shared between its reader (which drops it when it is read, trimmed or no
// longer wanted) and the fetch task (which keeps it alive until the GET and the cache writes are
// over). Its buffer (with the memory charge paying for it) goes back to the BufferPool when the
// last owner lets go, so the budget always covers every live buffer. The data is written only by
// the fetch task, before `done` is set; after that it is immutable and may be read without a lock.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "prefetch/buffer_pool.h"
#include "prefetch/prefetcher.h"
#include "trainload/client.h"
#include "trainload/status.h"

namespace trainload::prefetch {

struct PrefetchCounters {
  std::atomic<uint64_t> get_requests{0};
  std::atomic<uint64_t> bytes_fetched{0};
  std::atomic<uint64_t> bytes_from_cache{0};
  std::atomic<uint64_t> window_resets{0};
};

struct Part {
  Part(uint64_t first, PartBuffer buffer)
      : first(first), length(buffer.size()), buffer(std::move(buffer)) {}

  uint64_t end() const { return first + length; }
  std::byte* data() const { return buffer.data(); }
  std::span<const std::byte> bytes() const { return {buffer.data(), length}; }

  const uint64_t first;
  const uint64_t length;
  const PartBuffer buffer;  // `length` bytes
  // Set by the reader when it no longer wants the part: a queued fetch then does nothing.
  std::atomic<bool> dropped{false};
  // Guarded by the owning reader's completion mutex.
  bool done = false;
  Status status;
};

// Where a fetch reads from and what it counts.
struct FetchTarget {
  Client* client = nullptr;
  cache::BlockCache* cache = nullptr;  // null: no cache, or the etag is unknown
  const ObjectRef* object = nullptr;
  PrefetchCounters* counters = nullptr;
};

// Fills part.data()[0, part.length) (does not touch done/status). On success returns the offset
// from which the bytes came from S3 (part.end() when all came from the cache), for StoreBlocks.
// Errors name the bucket and key; a replaced object gives kAborted, reason "PreconditionFailed".
Result<uint64_t> FillPart(const FetchTarget& target, Part& part);

// Stores the whole blocks of part.data() from `from` (block-aligned) to the part's end in the
// cache. Best effort: errors are ignored, the data is already delivered.
void StoreBlocks(const FetchTarget& target, const Part& part, uint64_t from);

}  // namespace trainload::prefetch
