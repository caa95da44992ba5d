#include "cli/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

namespace trainload::cli {
namespace {

TEST(WorkerPoolTest, RunsEveryTaskAndWaitReturnsAfterThem) {
  std::atomic<int> done{0};
  WorkerPool pool(8, 4);
  for (int i = 0; i < 1000; ++i) pool.Submit([&] { ++done; });
  pool.Wait();
  EXPECT_EQ(done.load(), 1000);
  pool.Submit([&] { ++done; });
  pool.Wait();
  EXPECT_EQ(done.load(), 1001);
}

TEST(WorkerPoolTest, RunsTasksConcurrentlyUpToItsThreads) {
  std::atomic<int> running{0};
  std::atomic<int> peak{0};
  {
    WorkerPool pool(4, 100);
    for (int i = 0; i < 16; ++i) {
      pool.Submit([&] {
        int now = ++running;
        int seen = peak.load();
        while (now > seen && !peak.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        --running;
      });
    }
  }  // the destructor waits
  EXPECT_EQ(peak.load(), 4);
  EXPECT_EQ(running.load(), 0);
}

TEST(WorkerPoolTest, SubmitBlocksWhileTheQueueIsFull) {
  std::atomic<bool> release{false};
  std::atomic<int> submitted{0};
  WorkerPool pool(1, 2);
  std::thread producer([&] {
    for (int i = 0; i < 10; ++i) {
      pool.Submit([&] {
        while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      });
      ++submitted;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // One task running, two queued: the fourth Submit waits for room.
  EXPECT_EQ(submitted.load(), 3);
  release = true;
  producer.join();
  pool.Wait();
  EXPECT_EQ(submitted.load(), 10);
}

}  // namespace
}  // namespace trainload::cli
