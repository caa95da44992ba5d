// Memory for part buffers, so that the process's resident size follows the MemoryLimiter.
//
// Why: part buffers are large (8 MiB parts, 1 MiB blocks) and short-lived. Taken from malloc,
// a freed one raises glibc's dynamic mmap threshold and later ones come from per-thread heaps
// that keep their pages: a mount with --max-memory 256MiB grew to 400-750 MiB resident under 4
// readers. Each fresh buffer also costs a page fault per 4 KiB on first touch (19% of the mount
// daemon's CPU on sequential reads).
//
// So buffers of kPooledMinimum bytes and more are anonymous mappings of their own, and a freed
// one is kept for the next buffer of the same (page-rounded) size while the charged bytes plus
// the kept ones fit the limiter's limit; beyond that the least recently freed are unmapped. The
// resident size of all buffers is then at most the limit (plus, for a moment, the one buffer
// being handed out). Smaller buffers come from malloc, which reuses them well.
//
// A PartBuffer owns its memory and the MemoryCharge that pays for it; destroying it frees the
// charge and gives the memory back to the pool. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "prefetch/memory_limiter.h"

namespace trainload::prefetch {

class BufferPool;

class PartBuffer {
 public:
  PartBuffer() = default;
  ~PartBuffer() { Reset(); }
  PartBuffer(PartBuffer&& other) noexcept;
  PartBuffer& operator=(PartBuffer&& other) noexcept;
  PartBuffer(const PartBuffer&) = delete;
  PartBuffer& operator=(const PartBuffer&) = delete;

  // `size()` bytes; not zero-filled (a reused buffer holds an earlier part's bytes).
  std::byte* data() const { return data_; }
  uint64_t size() const { return size_; }

  // Gives the memory back and releases the charge.
  void Reset();

 private:
  friend class BufferPool;
  PartBuffer(BufferPool* pool, std::byte* data, uint64_t size, uint64_t capacity,
             MemoryCharge charge)
      : pool_(pool), data_(data), size_(size), capacity_(capacity), charge_(std::move(charge)) {}

  BufferPool* pool_ = nullptr;
  std::byte* data_ = nullptr;
  uint64_t size_ = 0;
  uint64_t capacity_ = 0;  // 0: from malloc; else the mapping's length
  MemoryCharge charge_;
};

class BufferPool {
 public:
  static constexpr uint64_t kPooledMinimum = 1ull << 20;

  // `limiter` must outlive the pool, and the pool every PartBuffer it hands out.
  explicit BufferPool(MemoryLimiter& limiter) : limiter_(limiter) {}
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // A buffer of `size` bytes paid for by `charge` (which must cover `size` on this pool's
  // limiter). Throws std::bad_alloc when the system has no memory left, as `new` does.
  PartBuffer Take(uint64_t size, MemoryCharge charge);

  // Bytes held for reuse right now, and how many buffers were reused / newly mapped so far.
  uint64_t pooled_bytes() const;
  uint64_t reused() const;
  uint64_t mapped() const;

 private:
  friend class PartBuffer;
  struct Free {
    std::byte* data;
    uint64_t capacity;
  };

  void GiveBack(std::byte* data, uint64_t capacity);
  // Unmaps the least recently freed buffers until the charged plus the kept bytes fit the
  // limit. Requires mu_.
  void TrimLocked();

  MemoryLimiter& limiter_;
  mutable std::mutex mu_;
  std::vector<Free> free_;  // least recently freed first; guarded by mu_
  uint64_t pooled_ = 0;     // guarded by mu_
  uint64_t reused_ = 0;     // guarded by mu_
  uint64_t mapped_ = 0;     // guarded by mu_
};

}  // namespace trainload::prefetch
