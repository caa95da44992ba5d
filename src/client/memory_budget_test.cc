#include "client/memory_budget.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace trainload::client {
namespace {

TEST(MemoryBudgetTest, ReservationsNeverExceedTheLimit) {
  MemoryBudget budget(100);
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        MemoryReservation r(&budget, budget.Acquire(30));
        EXPECT_LE(budget.in_use(), 100u);
      }
      ++done;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(done, 8);
  EXPECT_EQ(budget.in_use(), 0u);
  EXPECT_LE(budget.peak(), 100u);
}

TEST(MemoryBudgetTest, TryAcquireRefusesWhatDoesNotFit) {
  MemoryBudget budget(100);
  EXPECT_EQ(budget.TryAcquire(30), 30u);
  EXPECT_EQ(budget.TryAcquire(30), 30u);
  EXPECT_EQ(budget.TryAcquire(30), 30u);
  EXPECT_EQ(budget.TryAcquire(30), 0u);
  EXPECT_EQ(budget.in_use(), 90u);
  EXPECT_EQ(budget.peak(), 90u);
  budget.Release(90);
}

TEST(MemoryBudgetTest, OversizedRequestIsClampedInsteadOfDeadlocking) {
  MemoryBudget budget(64);
  EXPECT_EQ(budget.Acquire(1000), 64u);
  EXPECT_EQ(budget.TryAcquire(1), 0u);
  budget.Release(64);
  EXPECT_EQ(budget.TryAcquire(10), 10u);
  budget.Release(10);
}

TEST(MemoryBudgetTest, AcquireWaitsForRelease) {
  MemoryBudget budget(10);
  MemoryReservation first(&budget, budget.Acquire(10));
  std::atomic<bool> acquired{false};
  std::thread waiter([&] {
    MemoryReservation second(&budget, budget.Acquire(5));
    acquired = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(acquired);
  first.Reset();
  waiter.join();
  EXPECT_TRUE(acquired);
}

}  // namespace
}  // namespace trainload::client
