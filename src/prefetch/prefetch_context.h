// What every reader of one Prefetcher shares: the client and cache, the normalized options, the
// memory budget, the counters behind PrefetchStats, the registry of open readers and the fetch
// threads. Owned by the Prefetcher; readers and fetch tasks hold a reference (readers must not
// outlive the Prefetcher, and the pool is joined before anything else is destroyed).
#pragma once

#include <cstdint>

#include "prefetch/buffer_pool.h"
#include "prefetch/fetch_pool.h"
#include "prefetch/memory_limiter.h"
#include "prefetch/part_fetch.h"
#include "prefetch/prefetcher.h"
#include "prefetch/reader_registry.h"
#include "trainload/client.h"

namespace trainload::prefetch {

struct PrefetchContext {
  // `options` must already be normalized (Prefetcher::Create does it).
  PrefetchContext(Client& client, cache::BlockCache* cache, const PrefetchOptions& options,
                  uint64_t alignment)
      : client(client),
        cache(cache),
        options(options),
        alignment(alignment),
        memory(options.max_memory),
        buffers(memory),
        pool(options.fetch_threads) {}

  Client& client;
  cache::BlockCache* const cache;
  const PrefetchOptions options;
  const uint64_t alignment;  // the cache's block size, 1 without a cache
  MemoryLimiter memory;
  BufferPool buffers;  // part buffers, charged to `memory`
  PrefetchCounters counters;
  ReaderRegistry registry;
  // Last, so it is destroyed first: joining it waits for running fetches, which use the members
  // above.
  FetchPool pool;
};

}  // namespace trainload::prefetch
