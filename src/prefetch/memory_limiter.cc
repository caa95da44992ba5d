#include "prefetch/memory_limiter.h"

#include <algorithm>

namespace trainload::prefetch {

bool MemoryLimiter::TryReserve(uint64_t bytes) {
  std::lock_guard lock(mu_);
  // A waiting required reservation goes first: otherwise readers growing their read-ahead would
  // take every byte the moment it is freed and a blocked reader could wait forever.
  if (waiters_ > 0 || used_ + bytes > limit_) return false;
  used_ += bytes;
  peak_ = std::max(peak_, used_);
  return true;
}

bool MemoryLimiter::ReserveWaiting(uint64_t bytes, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  ++waiters_;
  bool fits = freed_.wait_for(lock, timeout, [&] { return used_ + bytes <= limit_; });
  --waiters_;
  if (!fits) return false;
  used_ += bytes;
  peak_ = std::max(peak_, used_);
  return true;
}

void MemoryLimiter::Release(uint64_t bytes) {
  {
    std::lock_guard lock(mu_);
    used_ -= std::min(bytes, used_);
  }
  freed_.notify_all();
}

uint64_t MemoryLimiter::in_use() const {
  std::lock_guard lock(mu_);
  return used_;
}

uint64_t MemoryLimiter::peak() const {
  std::lock_guard lock(mu_);
  return peak_;
}

int MemoryLimiter::waiters() const {
  std::lock_guard lock(mu_);
  return waiters_;
}

}  // namespace trainload::prefetch
