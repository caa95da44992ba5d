// The CLI's own pool of transfer threads: cp -r, sync, rm and stage run one object per task, many
// at once, while each large object is itself split into parallel parts inside the client (on the
// client's pool, which these threads only wait on, so the two never deadlock).
//
// Submit blocks while `queue_limit` tasks are waiting, so a producer walking a listing of
// millions of keys holds only a bounded number of them in memory.
//
// Thread-safe. The destructor waits for every submitted task.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace trainload::cli {

class WorkerPool {
 public:
  WorkerPool(size_t threads, size_t queue_limit);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Submit(std::function<void()> task);
  // Returns once every task submitted so far has run.
  void Wait();

 private:
  void Run();

  const size_t queue_limit_;
  std::mutex mu_;
  std::condition_variable work_ready_;       // a task was queued, or stopping
  std::condition_variable room_;             // the queue shrank
  std::condition_variable idle_;             // a task finished
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  size_t running_ = 0;                       // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace trainload::cli
