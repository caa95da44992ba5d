// The open readers of one Prefetcher, so that a reader blocked on memory can take buffers back
// from readers that are not reading (Mountpoint's memory "maintenance": an idle cursor's
// prefetched data is the first thing to go under pressure). Holds weak references: a reader
// that is gone simply drops out.
//
// Thread-safe. Lock order: a reader's call mutex, then the registry's mutex is never held while
// another reader is locked (ReclaimIdle copies the list first and only try-locks readers), so
// reclaiming cannot deadlock with reads, closes or other reclaims.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace trainload::prefetch {

class ReaderCore;
class MemoryLimiter;

class ReaderRegistry {
 public:
  void Register(const std::shared_ptr<ReaderCore>& reader);

  // Drops the buffers of readers other than `self` that are not in a Read() and whose last read
  // ended before `idle_before`, least recently used first, until `needed` bytes are free in
  // `memory` (buffers whose GET is still running are freed when it ends). Returns the number of
  // readers reclaimed.
  int ReclaimIdle(const ReaderCore* self, uint64_t needed, MemoryLimiter& memory,
                  std::chrono::steady_clock::time_point idle_before);

 private:
  std::mutex mu_;
  std::vector<std::weak_ptr<ReaderCore>> readers_;  // guarded by mu_
  size_t prune_at_ = 64;                            // guarded by mu_
};

}  // namespace trainload::prefetch
