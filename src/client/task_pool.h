// A fixed set of worker threads running queued tasks in order: the parallelism of a client's
// transfers (part GETs, part uploads). Each task runs blocking S3 requests, so the number of
// threads is the number of requests in flight.
//
// Thread-safe. The destructor finishes queued tasks and joins the threads.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace trainload::client {

class TaskPool {
 public:
  explicit TaskPool(size_t threads);
  ~TaskPool();
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  void Submit(std::function<void()> task);
  size_t size() const { return threads_.size(); }

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> threads_;
};

// Counts outstanding tasks of one transfer and lets its owner wait for all of them.
class TaskGroup {
 public:
  void Add(size_t n = 1);
  void Done();
  void Wait();

 private:
  std::mutex mu_;
  std::condition_variable idle_;
  size_t pending_ = 0;  // guarded by mu_
};

}  // namespace trainload::client
