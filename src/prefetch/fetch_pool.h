// The threads that run a Prefetcher's fetches (ranged GETs and cache reads) for all its readers:
// PrefetchOptions::fetch_threads of them, so that many requests are in flight at most. Each task
// blocks on I/O. Urgent tasks (the part a Read() is waiting for) run before queued read-ahead,
// so a random read is not stuck behind other readers' prefetching.
//
// Thread-safe. The destructor runs the tasks still queued (they are expected to notice that
// their reader is gone and return at once) and joins the threads.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace trainload::prefetch {

class FetchPool {
 public:
  explicit FetchPool(size_t threads);
  ~FetchPool();
  FetchPool(const FetchPool&) = delete;
  FetchPool& operator=(const FetchPool&) = delete;

  void Submit(std::function<void()> task, bool urgent);
  size_t size() const { return threads_.size(); }

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> urgent_;  // guarded by mu_
  std::deque<std::function<void()>> ahead_;   // guarded by mu_
  bool stopping_ = false;                     // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace trainload::prefetch
