#include "prefetch/buffer_pool.h"

#include <gtest/gtest.h>

#include <cstring>

namespace trainload::prefetch {
namespace {

constexpr uint64_t kMiB = 1ull << 20;

MemoryCharge Charge(MemoryLimiter& limiter, uint64_t bytes) {
  EXPECT_TRUE(limiter.TryReserve(bytes));
  return MemoryCharge(&limiter, bytes);
}

TEST(BufferPoolTest, BufferHoldsItsSizeAndReleasesItsCharge) {
  MemoryLimiter limiter(64 * kMiB);
  BufferPool pool(limiter);
  for (uint64_t size : std::initializer_list<uint64_t>{1, 64 * 1024, kMiB, 8 * kMiB + 5}) {
    {
      PartBuffer buffer = pool.Take(size, Charge(limiter, size));
      ASSERT_EQ(buffer.size(), size);
      std::memset(buffer.data(), 0xab, size);
      EXPECT_EQ(buffer.data()[size - 1], std::byte{0xab});
      EXPECT_EQ(limiter.in_use(), size);
    }
    EXPECT_EQ(limiter.in_use(), 0u) << size;
  }
}

TEST(BufferPoolTest, FreedBufferOfTheSameSizeIsReused) {
  MemoryLimiter limiter(64 * kMiB);
  BufferPool pool(limiter);
  std::byte* first;
  {
    PartBuffer a = pool.Take(8 * kMiB, Charge(limiter, 8 * kMiB));
    first = a.data();
    std::memset(a.data(), 1, a.size());
  }
  EXPECT_EQ(pool.pooled_bytes(), 8 * kMiB);
  PartBuffer b = pool.Take(8 * kMiB, Charge(limiter, 8 * kMiB));
  EXPECT_EQ(b.data(), first);
  EXPECT_EQ(pool.reused(), 1u);
  EXPECT_EQ(pool.mapped(), 1u);
  EXPECT_EQ(pool.pooled_bytes(), 0u);
  // Another size does not take it: a new mapping.
  PartBuffer c = pool.Take(2 * kMiB, Charge(limiter, 2 * kMiB));
  EXPECT_NE(c.data(), first);
  EXPECT_EQ(pool.mapped(), 2u);
}

TEST(BufferPoolTest, SmallBuffersAreNotPooled) {
  MemoryLimiter limiter(64 * kMiB);
  BufferPool pool(limiter);
  { PartBuffer a = pool.Take(64 * 1024, Charge(limiter, 64 * 1024)); }
  EXPECT_EQ(pool.pooled_bytes(), 0u);
  EXPECT_EQ(pool.mapped(), 0u);
}

TEST(BufferPoolTest, KeptBuffersAndChargesNeverExceedTheLimit) {
  MemoryLimiter limiter(16 * kMiB);
  BufferPool pool(limiter);
  PartBuffer a = pool.Take(4 * kMiB, Charge(limiter, 4 * kMiB));
  PartBuffer b = pool.Take(4 * kMiB, Charge(limiter, 4 * kMiB));
  PartBuffer c = pool.Take(8 * kMiB, Charge(limiter, 8 * kMiB));
  std::byte* c_data = c.data();
  a.Reset();
  b.Reset();
  c.Reset();
  EXPECT_EQ(pool.pooled_bytes(), 16 * kMiB);
  // A buffer of a new size: kept buffers are unmapped, least recently freed first, until the
  // charges and the kept bytes fit 16 MiB again.
  PartBuffer d = pool.Take(2 * kMiB, Charge(limiter, 2 * kMiB));
  EXPECT_LE(limiter.in_use() + pool.pooled_bytes(), limiter.limit());
  EXPECT_EQ(pool.pooled_bytes(), 12 * kMiB);  // a (4 MiB) went; b and c stay
  // While charged buffers are held, a freed one is kept only if it fits beside them.
  PartBuffer e = pool.Take(8 * kMiB, Charge(limiter, 8 * kMiB));
  EXPECT_EQ(e.data(), c_data);
  EXPECT_EQ(pool.reused(), 1u);
  EXPECT_LE(limiter.in_use() + pool.pooled_bytes(), limiter.limit());
  e.Reset();
  d.Reset();
  EXPECT_EQ(limiter.in_use(), 0u);
  EXPECT_LE(pool.pooled_bytes(), limiter.limit());
}

TEST(BufferPoolTest, MovedBufferKeepsItsMemoryAndCharge) {
  MemoryLimiter limiter(16 * kMiB);
  BufferPool pool(limiter);
  PartBuffer a = pool.Take(2 * kMiB, Charge(limiter, 2 * kMiB));
  std::byte* data = a.data();
  PartBuffer b = std::move(a);
  EXPECT_EQ(b.data(), data);
  EXPECT_EQ(limiter.in_use(), 2 * kMiB);
  b = PartBuffer();
  EXPECT_EQ(limiter.in_use(), 0u);
  EXPECT_EQ(pool.pooled_bytes(), 2 * kMiB);
}

}  // namespace
}  // namespace trainload::prefetch
