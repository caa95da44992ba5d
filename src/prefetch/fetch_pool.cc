#include "prefetch/fetch_pool.h"

namespace trainload::prefetch {

FetchPool::FetchPool(size_t threads) {
  if (threads == 0) threads = 1;
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

FetchPool::~FetchPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void FetchPool::Submit(std::function<void()> task, bool urgent) {
  {
    std::lock_guard lock(mu_);
    (urgent ? urgent_ : ahead_).push_back(std::move(task));
  }
  ready_.notify_one();
}

void FetchPool::Run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      ready_.wait(lock, [this] { return stopping_ || !urgent_.empty() || !ahead_.empty(); });
      std::deque<std::function<void()>>& queue = !urgent_.empty() ? urgent_ : ahead_;
      if (queue.empty()) return;  // stopping, and nothing left to run
      task = std::move(queue.front());
      queue.pop_front();
    }
    task();
  }
}

}  // namespace trainload::prefetch
