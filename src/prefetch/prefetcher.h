// Read-ahead for objects read through file-like handles (the FUSE mount, Python readers): one
// Prefetcher per mount/process owns the memory budget and the fetch threads; each open handle
// gets a PrefetchingReader. Knows nothing of FUSE.
//
// Per reader (after Mountpoint's prefetcher, reference/mountpoint-and-crt.md section 2):
// - objects up to whole_object_threshold are fetched whole, starting at Open();
// - otherwise the first request is small (first_request_size) for time to first byte; while
//   reads stay sequential the read-ahead window doubles each time the reader catches up, up to
//   max_window, fetched as part_size ranged GETs in parallel and delivered in order;
// - a backward seek within backward_seek_window or a forward one within forward_seek_distance is
//   served from buffers already held or in flight; any other seek drops the window and starts
//   over with a right-sized ranged GET at the new offset (random reads do not over-fetch); reads
//   that then go on sequentially for first_request_size bytes become a stream again, and a first
//   read beyond the first request is random;
// - every GET carries If-Match with the etag given at Open(): an object replaced behind the
//   reader fails with reason "PreconditionFailed", never returns a mix of two versions.
// All readers share one memory budget (max_memory): windows shrink under pressure, and a reader
// always keeps at least one part in flight, so many readers make progress without exceeding it.
// With a BlockCache, block-aligned data is read from the cache when present and every fetched
// block is written to it (by the fetch thread, after the data is delivered). Fetches are then
// whole blocks: random reads are rounded out to block boundaries. A reader whose ObjectRef has no
// etag sends no If-Match and does not use the cache. docs/prefetch.md describes the flow.
//
// Thread-safety: Prefetcher is thread-safe. A PrefetchingReader may be called from several
// threads (calls are serialized); it must not outlive its Prefetcher.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "trainload/client.h"
#include "trainload/status.h"

namespace trainload::cache {
class BlockCache;
}

namespace trainload::prefetch {

struct PrefetchOptions {
  uint64_t max_memory = 1ull << 30;                  // all buffers of all readers together
  uint64_t part_size = 8ull << 20;                   // ranged GET size once sequential
  uint64_t first_request_size = (1ull << 20) + (128ull << 10);
  uint64_t max_window = 256ull << 20;                // read-ahead limit of one reader
  uint64_t whole_object_threshold = 8ull << 20;      // fetched whole at Open()
  uint64_t backward_seek_window = 1ull << 20;
  uint64_t forward_seek_distance = 16ull << 20;
  size_t fetch_threads = 32;                         // GETs in flight across all readers
};

// The object a reader reads: fixed at Open() (size and etag from a HEAD or a listing).
struct ObjectRef {
  std::string bucket;
  std::string key;
  uint64_t size = 0;
  std::string etag;  // without quotes
};

struct PrefetchStats {
  uint64_t get_requests = 0;
  uint64_t bytes_fetched = 0;     // from S3
  uint64_t bytes_from_cache = 0;  // from the BlockCache
  uint64_t window_resets = 0;     // non-sequential reads that dropped the window
  uint64_t memory_peak = 0;       // highest budget use seen (<= max_memory)
  uint64_t buffers_mapped = 0;    // part buffers of >= 1 MiB newly mapped
  uint64_t buffers_reused = 0;    // ... and taken again from the pool instead
};

// Bytes lent by a reader without copying them: `pieces`, in order, point into the reader's
// buffers and stay valid while this object lives (it holds those buffers, and their memory
// charge, until destroyed or cleared).
struct PinnedBytes {
  std::vector<std::span<const std::byte>> pieces;
  std::vector<std::shared_ptr<const void>> holds;

  size_t size() const {
    size_t n = 0;
    for (std::span<const std::byte> piece : pieces) n += piece.size();
    return n;
  }
  void Clear() {
    pieces.clear();
    holds.clear();
  }
};

class PrefetchingReader {
 public:
  virtual ~PrefetchingReader() = default;
  // Up to out.size() bytes at `offset`; fewer only at the end of the object (0 at or past it).
  // Errors: from the client (NoSuchKey, PreconditionFailed when the object changed, retries
  // exhausted), each naming bucket and key; kAborted with reason "PreconditionFailed" when the
  // object no longer has the etag given at Open(). After an error a later Read() tries again.
  virtual Result<size_t> Read(uint64_t offset, std::span<std::byte> out) = 0;
  // As Read(), but lends the bytes in `out` (cleared first) instead of copying them: for a
  // caller that hands them on, such as a FUSE reply written straight from the part buffers.
  virtual Result<size_t> ReadPinned(uint64_t offset, uint64_t length, PinnedBytes& out) = 0;
  virtual const ObjectRef& object() const = 0;
};

class Prefetcher {
 public:
  // `client` and `cache` (may be null) must outlive the Prefetcher. With a cache, part_size is
  // rounded up to a multiple of its block size; max_window is raised to at least part_size.
  // Errors: kInvalidArgument naming the option when part_size, first_request_size or
  // fetch_threads is 0, or when max_memory is smaller than one buffer (part_size,
  // first_request_size or whole_object_threshold; the first two rounded up to whole blocks).
  static Result<std::unique_ptr<Prefetcher>> Create(Client& client, cache::BlockCache* cache,
                                                    const PrefetchOptions& options);
  virtual ~Prefetcher() = default;

  // Never fails (errors surface on Read); starts fetching a whole small object at once.
  virtual std::unique_ptr<PrefetchingReader> Open(const ObjectRef& object) = 0;
  virtual PrefetchStats stats() const = 0;
};

}  // namespace trainload::prefetch
