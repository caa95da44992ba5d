#include "prefetch/part_fetch.h"

#include <algorithm>
#include <cstring>

#include "cache/block_cache.h"

namespace trainload::prefetch {
namespace {

std::string Describe(const ObjectRef& object) { return "s3://" + object.bucket + "/" + object.key; }

cache::BlockId BlockOf(const ObjectRef& object, uint64_t index) {
  return cache::BlockId{object.bucket, object.key, object.etag, index};
}

}  // namespace

Result<uint64_t> FillPart(const FetchTarget& target, Part& part) {
  const ObjectRef& object = *target.object;
  uint64_t from = part.first;
  if (target.cache != nullptr) {
    // Parts start on a block boundary (the window aligns them): take the cached blocks from the
    // front, and fetch the rest in one GET from the first miss on.
    const uint64_t block = target.cache->block_size();
    // BlockCache::Get wants room for a whole block; only an object's short last block does not
    // have it in the part (parts are not padded, so a small object costs its size in memory).
    std::unique_ptr<std::byte[]> last_block;
    while (from < part.end()) {
      uint64_t expected = std::min(block, object.size - from);
      std::byte* dest = part.data() + (from - part.first);
      std::span<std::byte> slot(dest, block);
      if (expected < block) {
        last_block = std::make_unique_for_overwrite<std::byte[]>(block);
        slot = std::span<std::byte>(last_block.get(), block);
      }
      std::optional<size_t> got = target.cache->Get(BlockOf(object, from / block), slot);
      if (!got.has_value() || *got != expected) break;
      if (slot.data() != dest) std::memcpy(dest, slot.data(), expected);
      from += expected;
    }
    target.counters->bytes_from_cache.fetch_add(from - part.first, std::memory_order_relaxed);
  }
  if (from == part.end()) return from;

  GetOptions options;
  options.if_match = object.etag;
  ByteRange range{from, part.end() - 1};
  target.counters->get_requests.fetch_add(1, std::memory_order_relaxed);
  Result<size_t> got = target.client->GetRange(
      object.bucket, object.key, range,
      std::span<std::byte>(part.data() + (from - part.first), range.length()), options);
  if (!got.has_value()) {
    if (got.error().reason() == "PreconditionFailed") {
      return Error(Status(StatusCode::kAborted,
                          Describe(object) + " changed while being read (its ETag is no longer \"" +
                              object.etag + "\")",
                          "PreconditionFailed"));
    }
    return Error(got.error());
  }
  target.counters->bytes_fetched.fetch_add(*got, std::memory_order_relaxed);
  if (*got != range.length()) {
    return Error(DataLoss("GetObject " + Describe(object) + ": bytes " +
                          std::to_string(range.first) + "-" + std::to_string(range.last) +
                          " returned " + std::to_string(*got) + " bytes; the object is shorter " +
                          "than its size " + std::to_string(object.size)));
  }
  return from;
}

void StoreBlocks(const FetchTarget& target, const Part& part, uint64_t from) {
  if (target.cache == nullptr) return;
  const uint64_t block = target.cache->block_size();
  const ObjectRef& object = *target.object;
  while (from < part.end()) {
    uint64_t length = std::min(block, object.size - from);
    if (from + length > part.end()) return;  // not a whole block: never cache a fragment
    std::span<const std::byte> data(part.data() + (from - part.first), length);
    (void)target.cache->Put(BlockOf(object, from / block), data);
    from += length;
  }
}

}  // namespace trainload::prefetch
