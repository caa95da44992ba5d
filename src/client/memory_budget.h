// One budget of bytes for all part buffers of a client's transfers (ClientOptions::max_memory).
// A transfer reserves a part's bytes before starting its GET or reading its upload data, and
// releases them when the part is delivered or sent; a reservation that does not fit waits.
//
// A request larger than the whole budget is clamped to it, so a single huge part can still
// proceed alone rather than wait forever. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace trainload::client {

class MemoryBudget {
 public:
  explicit MemoryBudget(uint64_t limit) : limit_(limit) {}

  // Blocks until `bytes` fit; returns the bytes actually charged (clamped to the limit).
  uint64_t Acquire(uint64_t bytes);
  // Takes `bytes` only if they fit now; returns 0 when they do not.
  uint64_t TryAcquire(uint64_t bytes);
  void Release(uint64_t bytes);

  uint64_t limit() const { return limit_; }
  uint64_t in_use() const;
  uint64_t peak() const;

 private:
  const uint64_t limit_;
  mutable std::mutex mu_;
  std::condition_variable freed_;
  uint64_t used_ = 0;  // guarded by mu_
  uint64_t peak_ = 0;  // guarded by mu_
};

// Releases a reservation on destruction.
class MemoryReservation {
 public:
  MemoryReservation() = default;
  MemoryReservation(MemoryBudget* budget, uint64_t bytes) : budget_(budget), bytes_(bytes) {}
  ~MemoryReservation() { Reset(); }
  MemoryReservation(MemoryReservation&& other) noexcept
      : budget_(other.budget_), bytes_(other.bytes_) {
    other.budget_ = nullptr;
  }
  MemoryReservation& operator=(MemoryReservation&& other) noexcept {
    if (this != &other) {
      Reset();
      budget_ = other.budget_;
      bytes_ = other.bytes_;
      other.budget_ = nullptr;
    }
    return *this;
  }
  MemoryReservation(const MemoryReservation&) = delete;
  MemoryReservation& operator=(const MemoryReservation&) = delete;

  void Reset() {
    if (budget_ != nullptr) budget_->Release(bytes_);
    budget_ = nullptr;
  }
  uint64_t bytes() const { return budget_ != nullptr ? bytes_ : 0; }

 private:
  MemoryBudget* budget_ = nullptr;
  uint64_t bytes_ = 0;
};

}  // namespace trainload::client
