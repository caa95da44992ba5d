#include "client/memory_budget.h"

#include <algorithm>

namespace trainload::client {

uint64_t MemoryBudget::Acquire(uint64_t bytes) {
  bytes = std::min(bytes, limit_);
  std::unique_lock lock(mu_);
  freed_.wait(lock, [&] { return used_ + bytes <= limit_; });
  used_ += bytes;
  peak_ = std::max(peak_, used_);
  return bytes;
}

uint64_t MemoryBudget::TryAcquire(uint64_t bytes) {
  bytes = std::min(bytes, limit_);
  std::lock_guard lock(mu_);
  if (used_ + bytes > limit_) return 0;
  used_ += bytes;
  peak_ = std::max(peak_, used_);
  return bytes;
}

void MemoryBudget::Release(uint64_t bytes) {
  {
    std::lock_guard lock(mu_);
    used_ -= std::min(bytes, used_);
  }
  freed_.notify_all();
}

uint64_t MemoryBudget::in_use() const {
  std::lock_guard lock(mu_);
  return used_;
}

uint64_t MemoryBudget::peak() const {
  std::lock_guard lock(mu_);
  return peak_;
}

}  // namespace trainload::client
