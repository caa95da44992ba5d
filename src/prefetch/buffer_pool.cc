#include "prefetch/buffer_pool.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <new>

namespace trainload::prefetch {
namespace {

uint64_t PageRounded(uint64_t size) {
  static const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  return (size + page - 1) / page * page;
}

std::byte* MapBuffer(uint64_t capacity) {
  // MAP_POPULATE: the pages are faulted in by one call instead of one fault per page on first
  // touch (a fresh buffer is written from its start to its end anyway).
  void* p = mmap(nullptr, capacity, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return static_cast<std::byte*>(p);
}

}  // namespace

PartBuffer::PartBuffer(PartBuffer&& other) noexcept
    : pool_(other.pool_),
      data_(other.data_),
      size_(other.size_),
      capacity_(other.capacity_),
      charge_(std::move(other.charge_)) {
  other.data_ = nullptr;
}

PartBuffer& PartBuffer::operator=(PartBuffer&& other) noexcept {
  if (this != &other) {
    Reset();
    pool_ = other.pool_;
    data_ = other.data_;
    size_ = other.size_;
    capacity_ = other.capacity_;
    charge_ = std::move(other.charge_);
    other.data_ = nullptr;
  }
  return *this;
}

void PartBuffer::Reset() {
  if (data_ == nullptr) return;
  // The charge goes first, so that the pool sees the budget this buffer no longer uses.
  charge_.Reset();
  if (capacity_ == 0) {
    delete[] data_;
  } else {
    pool_->GiveBack(data_, capacity_);
  }
  data_ = nullptr;
}

BufferPool::~BufferPool() {
  for (const Free& f : free_) munmap(f.data, f.capacity);
}

PartBuffer BufferPool::Take(uint64_t size, MemoryCharge charge) {
  if (size < kPooledMinimum) {
    // Not zero-filled: every byte is overwritten before it is read.
    return PartBuffer(this, new std::byte[std::max<uint64_t>(size, 1)], size, 0, std::move(charge));
  }
  const uint64_t capacity = PageRounded(size);
  {
    std::lock_guard lock(mu_);
    // The most recently freed buffer of this size: its pages are the likeliest to be resident.
    for (auto it = free_.rbegin(); it != free_.rend(); ++it) {
      if (it->capacity != capacity) continue;
      std::byte* data = it->data;
      free_.erase(std::next(it).base());
      pooled_ -= capacity;
      ++reused_;
      return PartBuffer(this, data, size, capacity, std::move(charge));
    }
    // A new mapping: make room for it among the kept buffers first.
    TrimLocked();
    ++mapped_;
  }
  return PartBuffer(this, MapBuffer(capacity), size, capacity, std::move(charge));
}

void BufferPool::GiveBack(std::byte* data, uint64_t capacity) {
  std::lock_guard lock(mu_);
  free_.push_back(Free{data, capacity});
  pooled_ += capacity;
  TrimLocked();
}

void BufferPool::TrimLocked() {
  const uint64_t in_use = limiter_.in_use();
  const uint64_t limit = limiter_.limit();
  size_t n = 0;
  while (n < free_.size() && in_use + pooled_ > limit) {
    munmap(free_[n].data, free_[n].capacity);
    pooled_ -= free_[n].capacity;
    ++n;
  }
  free_.erase(free_.begin(), free_.begin() + static_cast<std::ptrdiff_t>(n));
}

uint64_t BufferPool::pooled_bytes() const {
  std::lock_guard lock(mu_);
  return pooled_;
}

uint64_t BufferPool::reused() const {
  std::lock_guard lock(mu_);
  return reused_;
}

uint64_t BufferPool::mapped() const {
  std::lock_guard lock(mu_);
  return mapped_;
}

}  // namespace trainload::prefetch
