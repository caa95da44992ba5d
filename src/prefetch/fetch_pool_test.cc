#include "prefetch/fetch_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <string>

namespace trainload::prefetch {
namespace {

TEST(FetchPoolTest, RunsEveryTaskEvenWhenDestroyedWithAQueue) {
  std::atomic<int> ran{0};
  {
    FetchPool pool(3);
    for (int i = 0; i < 100; ++i) pool.Submit([&] { ++ran; }, i % 2 == 0);
  }
  EXPECT_EQ(ran, 100);
}

TEST(FetchPoolTest, UrgentTasksJumpTheReadAheadQueue) {
  FetchPool pool(1);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::mutex mu;
  std::string order;
  // The only thread is busy: everything below queues up behind this task.
  pool.Submit([gate] { gate.wait_for(std::chrono::seconds(10)); }, false);
  for (char c : std::string("abc")) {
    pool.Submit(
        [&, c] {
          std::lock_guard lock(mu);
          order += c;
        },
        false);
  }
  pool.Submit(
      [&] {
        std::lock_guard lock(mu);
        order += 'U';
      },
      true);
  std::promise<void> done;
  pool.Submit([&] { done.set_value(); }, false);
  release.set_value();
  ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  std::lock_guard lock(mu);
  EXPECT_EQ(order, "Uabc");
}

}  // namespace
}  // namespace trainload::prefetch
