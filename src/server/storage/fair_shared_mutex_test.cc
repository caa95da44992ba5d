#include "server/storage/fair_shared_mutex.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <shared_mutex>
#include <thread>
#include <vector>

namespace trainload::storage {
namespace {

TEST(FairSharedMutexTest, ExclusiveHolderExcludesSharedHolders) {
  FairSharedMutex mutex;
  std::atomic<int> inside{0};
  std::atomic<bool> overlap_with_exclusive{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        std::shared_lock lock(mutex);
        ++inside;
        --inside;
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 200; ++i) {
      std::unique_lock lock(mutex);
      if (inside != 0) overlap_with_exclusive = true;
    }
  });
  for (auto& t : threads) t.join();
  EXPECT_FALSE(overlap_with_exclusive);
}

TEST(FairSharedMutexTest, ExclusiveLockerIsNotStarvedByAStreamOfSharedLockers) {
  FairSharedMutex mutex;
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      // Always at least one shared holder overlapping the next: a reader-preferring lock
      // would never let the exclusive locker in.
      while (!stop) {
        std::shared_lock lock(mutex);
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  for (int i = 0; i < 20; ++i) {
    std::unique_lock lock(mutex);  // must return; the test times out otherwise
  }
  stop = true;
  for (auto& t : readers) t.join();
}

}  // namespace
}  // namespace trainload::storage
