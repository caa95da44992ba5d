// The read-ahead decisions of one reader, as pure state: how a read relates to the previous ones
// (sequential, inside what is held, a short forward skip, or a random seek that resets), which
// byte range to fetch next, and how the window grows and shrinks. No I/O, no clock, no locks: a
// PrefetchingReader drives it and mirrors its decisions with part buffers. After Mountpoint's
// prefetcher (reference/mountpoint-and-crt.md section 2), with one difference: after a random
// seek, reads are fetched right-sized until they have gone on sequentially for
// first_request_size bytes, so random 256 KiB reads never pull in more than they ask for.
//
// Positions: the reader holds (or has in flight) one contiguous range [held_begin, fetch_next)
// of the object, cut into parts. Fetches always start at fetch_next, which is aligned to
// `alignment` (the cache block size, 1 without a cache) unless it is the object's end, and parts
// never cross a multiple of part_size while streaming, so every part is whole cache blocks.
//
// Modes:
// - kWhole: objects up to whole_object_threshold; one part [0, size), never trimmed.
// - kStreaming: sequential; the first request is first_request_size; once half of it has been
//   read, part_size parts are fetched ahead of the read position while they fit in the window;
//   the window doubles (within [part_size, max_window]) each time the reader stalls and halves
//   when memory is refused.
// - kRandom: each read is fetched exactly (aligned to blocks), in pieces of at most part_size.
// A new reader of a large object starts in kStreaming expecting offset 0; a first read beyond
// the first request is random.
//
// Thread-compatible (the reader serializes calls).
#pragma once

#include <cstdint>
#include <optional>

namespace trainload::prefetch {

struct ReadWindowConfig {
  uint64_t object_size = 0;
  uint64_t part_size = 8ull << 20;  // a multiple of alignment
  uint64_t first_request_size = (1ull << 20) + (128ull << 10);
  uint64_t max_window = 256ull << 20;  // >= part_size
  uint64_t whole_object_threshold = 8ull << 20;
  uint64_t backward_seek_window = 1ull << 20;
  uint64_t forward_seek_distance = 16ull << 20;
  uint64_t alignment = 1;  // cache block size; 1 without a cache
};

// One GET to issue: object bytes [first, first + length).
struct FetchPlan {
  uint64_t first = 0;
  uint64_t length = 0;
  // The read cannot go on without it (it covers the read position): the caller must wait for
  // memory rather than skip it.
  bool required = false;
  friend bool operator==(const FetchPlan&, const FetchPlan&) = default;
};

class ReadWindow {
 public:
  enum class Mode { kWhole, kStreaming, kRandom };
  enum class Access {
    kSequential,   // continues where the previous read ended
    kWithinHeld,   // a backward or forward seek into what is held or in flight
    kForwardSkip,  // a short forward seek past what is held: the stream goes on to it
    kReset,        // anything else: the window is dropped, the read is fetched right-sized
  };

  explicit ReadWindow(const ReadWindowConfig& config);

  // Classifies a read of [offset, offset + length) (within the object, length > 0) and updates
  // the state. After kReset the caller must drop every part it holds: the held range is now
  // empty at the new fetch position.
  Access BeginRead(uint64_t offset, uint64_t length);

  // The next fetch while the read in progress, now at `pos`, ends at `read_end`; nullopt when
  // nothing more should be fetched now. The caller either issues it (FetchIssued) or, for an
  // optional one whose memory was refused, calls MemoryRefused() and stops asking.
  std::optional<FetchPlan> NextFetch(uint64_t pos, uint64_t read_end) const;
  void FetchIssued(const FetchPlan& plan);
  void MemoryRefused();
  // The reader had to wait for data: it is faster than the fetches, so fetch further ahead.
  void Stalled();
  // The read delivered bytes up to `end`.
  void EndRead(uint64_t end);

  // Parts ending at or before this offset are outside the backward-seek window: drop them.
  uint64_t RetainFrom() const;
  // The caller dropped its first parts: the held range now starts at `begin` (<= fetch_next).
  void DroppedFront(uint64_t begin);
  // The caller dropped parts from `offset` (a part start) on, e.g. after an error: they will be
  // fetched again when needed.
  void DroppedFrom(uint64_t offset);
  // The caller dropped every part (memory reclaimed): fetching resumes at the read position.
  void DroppedAll();

  Mode mode() const { return mode_; }
  uint64_t window() const { return window_; }
  uint64_t held_begin() const { return held_begin_; }
  uint64_t fetch_next() const { return fetch_next_; }
  uint64_t next_expected() const { return next_expected_; }
  const ReadWindowConfig& config() const { return config_; }

 private:
  uint64_t AlignDown(uint64_t offset) const;
  uint64_t AlignUp(uint64_t offset) const;
  void RestartAt(uint64_t offset);

  const ReadWindowConfig config_;
  Mode mode_;
  uint64_t window_;                    // read-ahead wanted beyond the read position (streaming)
  bool stream_start_pending_ = false;  // the next streaming fetch is the first request
  bool started_ = false;               // a read has begun
  uint64_t read_ahead_from_ = 0;       // no read-ahead before the reader gets here (streaming)
  uint64_t sequential_run_ = 0;        // bytes read sequentially since the last reset (random)
  uint64_t next_expected_ = 0;         // where the previous read ended
  uint64_t held_begin_ = 0;
  uint64_t fetch_next_ = 0;
};

}  // namespace trainload::prefetch
