#include "prefetch/memory_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace trainload::prefetch {
namespace {

using std::chrono::milliseconds;

TEST(MemoryLimiterTest, OptionalReservationsStopAtTheLimit) {
  MemoryLimiter limiter(100);
  EXPECT_TRUE(limiter.TryReserve(40));
  EXPECT_TRUE(limiter.TryReserve(60));
  EXPECT_FALSE(limiter.TryReserve(1));
  EXPECT_EQ(limiter.in_use(), 100u);
  limiter.Release(60);
  EXPECT_TRUE(limiter.TryReserve(10));
  EXPECT_EQ(limiter.in_use(), 50u);
  EXPECT_EQ(limiter.peak(), 100u);
  limiter.Release(50);
  EXPECT_EQ(limiter.in_use(), 0u);
}

TEST(MemoryLimiterTest, RequiredReservationTimesOutWithoutCharging) {
  MemoryLimiter limiter(10);
  ASSERT_TRUE(limiter.TryReserve(10));
  MemoryCharge held(&limiter, 10);
  EXPECT_FALSE(limiter.ReserveWaiting(5, milliseconds(20)));
  EXPECT_EQ(limiter.in_use(), 10u);
  EXPECT_EQ(limiter.waiters(), 0);
}

TEST(MemoryLimiterTest, WaitingReservationHasPriorityOverOptionalOnes) {
  MemoryLimiter limiter(10);
  ASSERT_TRUE(limiter.TryReserve(10));
  auto held = std::make_unique<MemoryCharge>(&limiter, 10);
  std::atomic<bool> got{false};
  std::thread waiter([&] { got = limiter.ReserveWaiting(8, milliseconds(5000)); });
  for (int i = 0; i < 500 && limiter.waiters() == 0; ++i) {
    std::this_thread::sleep_for(milliseconds(2));
  }
  ASSERT_EQ(limiter.waiters(), 1);
  // The read-ahead of other readers must not take the bytes the blocked reader waits for.
  EXPECT_FALSE(limiter.TryReserve(1));
  held.reset();
  waiter.join();
  EXPECT_TRUE(got);
  EXPECT_EQ(limiter.in_use(), 8u);
  EXPECT_TRUE(limiter.TryReserve(2));
  EXPECT_LE(limiter.peak(), 10u);
  limiter.Release(10);
}

TEST(MemoryLimiterTest, ManyThreadsNeverExceedTheLimit) {
  MemoryLimiter limiter(100);
  std::vector<std::thread> threads;
  std::atomic<int> charged{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        bool ok = (i + t) % 2 == 0 ? limiter.TryReserve(30)
                                   : limiter.ReserveWaiting(30, milliseconds(1000));
        if (!ok) continue;
        ++charged;
        MemoryCharge charge(&limiter, 30);
        EXPECT_LE(limiter.in_use(), 100u);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GT(charged, 0);
  EXPECT_EQ(limiter.in_use(), 0u);
  EXPECT_LE(limiter.peak(), 100u);
}

TEST(MemoryChargeTest, MovesOwnershipAndReleasesOnce) {
  MemoryLimiter limiter(100);
  ASSERT_TRUE(limiter.TryReserve(30));
  MemoryCharge a(&limiter, 30);
  MemoryCharge b(std::move(a));
  EXPECT_EQ(a.bytes(), 0u);
  EXPECT_EQ(b.bytes(), 30u);
  MemoryCharge c;
  c = std::move(b);
  EXPECT_EQ(limiter.in_use(), 30u);
  c.Reset();
  c.Reset();
  EXPECT_EQ(limiter.in_use(), 0u);
}

}  // namespace
}  // namespace trainload::prefetch
