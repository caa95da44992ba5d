// Prefetcher::Create checks and normalizes the options once, so that every reader can rely on
// them: part boundaries fall on cache block boundaries, and any single part fits the memory
// budget (a required reservation larger than the budget would wait forever).
#include "prefetch/prefetcher.h"

#include <algorithm>

#include "cache/block_cache.h"
#include "prefetch/prefetch_context.h"
#include "prefetch/prefetching_reader.h"

namespace trainload::prefetch {
namespace {

uint64_t RoundUp(uint64_t value, uint64_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

class PrefetcherImpl final : public Prefetcher {
 public:
  PrefetcherImpl(Client& client, cache::BlockCache* cache, const PrefetchOptions& options,
                 uint64_t alignment)
      : context_(client, cache, options, alignment) {}

  std::unique_ptr<PrefetchingReader> Open(const ObjectRef& object) override {
    return OpenPrefetchingReader(context_, object);
  }

  PrefetchStats stats() const override {
    const PrefetchCounters& c = context_.counters;
    return PrefetchStats{.get_requests = c.get_requests.load(),
                         .bytes_fetched = c.bytes_fetched.load(),
                         .bytes_from_cache = c.bytes_from_cache.load(),
                         .window_resets = c.window_resets.load(),
                         .memory_peak = context_.memory.peak(),
                         .buffers_mapped = context_.buffers.mapped(),
                         .buffers_reused = context_.buffers.reused()};
  }

 private:
  PrefetchContext context_;
};

}  // namespace

Result<std::unique_ptr<Prefetcher>> Prefetcher::Create(Client& client, cache::BlockCache* cache,
                                                       const PrefetchOptions& options) {
  auto invalid = [](const std::string& what) {
    return Error(InvalidArgument("prefetch options: " + what));
  };
  if (options.part_size == 0) return invalid("part_size must be > 0");
  if (options.first_request_size == 0) return invalid("first_request_size must be > 0");
  if (options.fetch_threads == 0) return invalid("fetch_threads must be > 0");
  uint64_t alignment = 1;
  if (cache != nullptr) {
    alignment = cache->block_size();
    if (alignment == 0) return invalid("the block cache has a block size of 0");
  }
  PrefetchOptions normalized = options;
  normalized.part_size = RoundUp(options.part_size, alignment);
  normalized.max_window = std::max(options.max_window, normalized.part_size);
  // The largest single buffer a reader may need: a part, the first request (whole blocks with a
  // cache) or a whole small object.
  uint64_t largest = std::max({normalized.part_size, RoundUp(options.first_request_size, alignment),
                               options.whole_object_threshold});
  if (options.max_memory < largest) {
    return invalid("max_memory " + std::to_string(options.max_memory) +
                   " is smaller than one buffer of " + std::to_string(largest) +
                   " bytes (part_size, first_request_size or whole_object_threshold; sizes are " +
                   "rounded up to the cache block size " + std::to_string(alignment) + ")");
  }
  return std::unique_ptr<Prefetcher>(new PrefetcherImpl(client, cache, normalized, alignment));
}

}  // namespace trainload::prefetch
