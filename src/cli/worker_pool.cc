#include "cli/worker_pool.h"

#include <algorithm>

namespace trainload::cli {

WorkerPool::WorkerPool(size_t threads, size_t queue_limit)
    : queue_limit_(std::max<size_t>(queue_limit, 1)) {
  threads = std::max<size_t>(threads, 1);
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

WorkerPool::~WorkerPool() {
  Wait();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

void WorkerPool::Submit(std::function<void()> task) {
  std::unique_lock lock(mu_);
  room_.wait(lock, [&] { return queue_.size() < queue_limit_; });
  queue_.push_back(std::move(task));
  lock.unlock();
  work_ready_.notify_one();
}

void WorkerPool::Wait() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return queue_.empty() && running_ == 0; });
}

void WorkerPool::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    work_ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left
    std::function<void()> task = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    room_.notify_one();
    task();
    task = nullptr;  // release what the task captured before reporting idle
    lock.lock();
    --running_;
    if (queue_.empty() && running_ == 0) idle_.notify_all();
  }
}

}  // namespace trainload::cli
