// The state of one open reader, shared by its PrefetchingReader handle, the fetch tasks of its
// parts and the registry (which may reclaim its buffers while it is idle). ReadWindow decides
// what to fetch; ReaderCore turns the decisions into parts: it reserves memory, submits fetches,
// waits for the part under the read position and lends its bytes to the caller (ReadPinned) or
// copies them into the caller's span (Read: the only copy after the GET), and drops parts that
// fall behind the backward-seek window.
//
// Locks (in this order): call_mu_ serializes Read(), TryReclaim() and Close() and guards the
// window and the part list; done_mu_ guards each part's done/status and is what fetch tasks
// take. A Read() blocked on memory or on a fetch holds call_mu_ (so reclaimers skip it) but not
// done_mu_ (released while waiting).
//
// Closing does not wait for fetches: queued ones see `dropped` and do nothing, running ones
// finish into buffers they co-own and free them.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>

#include "prefetch/part_fetch.h"
#include "prefetch/prefetch_context.h"
#include "prefetch/prefetcher.h"
#include "prefetch/read_window.h"

namespace trainload::prefetch {

class ReaderCore : public std::enable_shared_from_this<ReaderCore> {
 public:
  using Clock = std::chrono::steady_clock;

  ReaderCore(PrefetchContext& context, const ObjectRef& object);
  ~ReaderCore();

  // Starts fetching a whole small object, if memory allows now (else the first Read() does).
  void Start();
  Result<size_t> Read(uint64_t offset, std::span<std::byte> out);
  Result<size_t> ReadPinned(uint64_t offset, uint64_t length, PinnedBytes& out);
  // Drops every buffer; later fetches of this reader do nothing.
  void Close();

  // Drops every buffer if no Read() is running and the last one ended before `idle_before`.
  // Returns whether anything was dropped.
  bool TryReclaim(Clock::time_point idle_before);
  Clock::time_point last_active() const {
    return Clock::time_point(Clock::duration(last_active_.load(std::memory_order_relaxed)));
  }

  const ObjectRef& object() const { return object_; }

 private:
  // Issues the fetches the window asks for. With `may_wait`, a required fetch waits for memory;
  // otherwise every fetch takes only memory that is free now.
  void Schedule(uint64_t pos, uint64_t read_end, bool may_wait);
  // Charges `bytes` for the part under the read position, waiting and reclaiming idle buffers
  // (this reader's own first) until they fit.
  void ReserveRequired(uint64_t bytes);
  void RunFetch(const std::shared_ptr<Part>& part);
  // The part holding `offset`, or null.
  std::shared_ptr<Part> FindPart(uint64_t offset) const;
  void DropParts(size_t from_index);
  void TrimBehind();
  void Touch();

  PrefetchContext& context_;
  const ObjectRef object_;
  const FetchTarget target_;
  std::atomic<Clock::rep> last_active_;
  std::atomic<bool> closed_{false};

  std::mutex call_mu_;
  ReadWindow window_;                        // guarded by call_mu_
  std::deque<std::shared_ptr<Part>> parts_;  // guarded by call_mu_; contiguous, in order

  std::mutex done_mu_;
  std::condition_variable done_cv_;  // a part of this reader completed
};

// A PrefetchingReader over a new ReaderCore, registered with the context and started.
std::unique_ptr<PrefetchingReader> OpenPrefetchingReader(PrefetchContext& context,
                                                         const ObjectRef& object);

}  // namespace trainload::prefetch
