#include "prefetch/reader_registry.h"

#include <algorithm>

#include "prefetch/memory_limiter.h"
#include "prefetch/prefetching_reader.h"

namespace trainload::prefetch {

void ReaderRegistry::Register(const std::shared_ptr<ReaderCore>& reader) {
  std::lock_guard lock(mu_);
  readers_.push_back(reader);
  // Closed readers leave expired entries behind: sweep them whenever the list has doubled, so a
  // long-lived mount opening millions of files keeps a list as long as its open readers.
  if (readers_.size() >= prune_at_) {
    std::erase_if(readers_, [](const std::weak_ptr<ReaderCore>& r) { return r.expired(); });
    prune_at_ = std::max<size_t>(64, readers_.size() * 2);
  }
}

int ReaderRegistry::ReclaimIdle(const ReaderCore* self, uint64_t needed, MemoryLimiter& memory,
                                std::chrono::steady_clock::time_point idle_before) {
  std::vector<std::shared_ptr<ReaderCore>> candidates;
  {
    std::lock_guard lock(mu_);
    candidates.reserve(readers_.size());
    for (const std::weak_ptr<ReaderCore>& weak : readers_) {
      std::shared_ptr<ReaderCore> reader = weak.lock();
      if (reader != nullptr && reader.get() != self) candidates.push_back(std::move(reader));
    }
  }
  std::sort(candidates.begin(), candidates.end(),
            [](const auto& a, const auto& b) { return a->last_active() < b->last_active(); });
  int reclaimed = 0;
  for (const std::shared_ptr<ReaderCore>& reader : candidates) {
    if (memory.in_use() + needed <= memory.limit()) break;
    if (reader->last_active() >= idle_before) break;  // sorted: the rest are more recent
    if (reader->TryReclaim(idle_before)) ++reclaimed;
  }
  return reclaimed;
}

}  // namespace trainload::prefetch
