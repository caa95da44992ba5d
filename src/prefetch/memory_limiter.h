// The memory budget shared by every reader of a Prefetcher (PrefetchOptions::max_memory): each
// part buffer is reserved before its GET starts and released when the last holder of the buffer
// drops it, so in_use() counts every byte of every buffer, in flight or held.
//
// Two kinds of reservation, after Mountpoint's memory limiter:
// - optional (read-ahead): TryReserve() takes the bytes only if they fit now *and* no reader is
//   waiting for a required reservation, so growing windows never starve a reader that has
//   nothing to read from;
// - required (the part a blocked Read() needs): ReserveWaiting() waits up to a timeout for the
//   bytes to fit and has priority over optional ones. The caller loops, reclaiming idle buffers
//   between attempts (Prefetcher does).
// Nothing is ever charged beyond the limit, so peak() <= limit(). Callers never ask for more than
// the limit (Prefetcher::Create checks the option sizes against max_memory).
//
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace trainload::prefetch {

class MemoryLimiter {
 public:
  explicit MemoryLimiter(uint64_t limit) : limit_(limit) {}
  MemoryLimiter(const MemoryLimiter&) = delete;
  MemoryLimiter& operator=(const MemoryLimiter&) = delete;

  // Optional reservation: true when `bytes` were charged.
  bool TryReserve(uint64_t bytes);
  // Required reservation: waits up to `timeout` for `bytes` to fit; true when charged.
  bool ReserveWaiting(uint64_t bytes, std::chrono::milliseconds timeout);
  void Release(uint64_t bytes);

  uint64_t limit() const { return limit_; }
  uint64_t in_use() const;
  uint64_t peak() const;
  // Readers blocked in ReserveWaiting() right now.
  int waiters() const;

 private:
  const uint64_t limit_;
  mutable std::mutex mu_;
  std::condition_variable freed_;
  uint64_t used_ = 0;  // guarded by mu_
  uint64_t peak_ = 0;  // guarded by mu_
  int waiters_ = 0;    // guarded by mu_
};

// Owns a charge on a MemoryLimiter and releases it on destruction. Move-only.
class MemoryCharge {
 public:
  MemoryCharge() = default;
  MemoryCharge(MemoryLimiter* limiter, uint64_t bytes) : limiter_(limiter), bytes_(bytes) {}
  ~MemoryCharge() { Reset(); }
  MemoryCharge(MemoryCharge&& other) noexcept : limiter_(other.limiter_), bytes_(other.bytes_) {
    other.limiter_ = nullptr;
  }
  MemoryCharge& operator=(MemoryCharge&& other) noexcept {
    if (this != &other) {
      Reset();
      limiter_ = other.limiter_;
      bytes_ = other.bytes_;
      other.limiter_ = nullptr;
    }
    return *this;
  }
  MemoryCharge(const MemoryCharge&) = delete;
  MemoryCharge& operator=(const MemoryCharge&) = delete;

  void Reset() {
    if (limiter_ != nullptr) limiter_->Release(bytes_);
    limiter_ = nullptr;
  }
  uint64_t bytes() const { return limiter_ != nullptr ? bytes_ : 0; }

 private:
  MemoryLimiter* limiter_ = nullptr;
  uint64_t bytes_ = 0;
};

}  // namespace trainload::prefetch
