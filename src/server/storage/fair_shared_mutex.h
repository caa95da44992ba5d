// A shared/exclusive mutex that does not starve exclusive lockers.
//
// glibc's pthread_rwlock (behind std::shared_mutex) prefers readers: with a steady stream of
// shared holders (PUTs into a bucket) an exclusive locker (DeleteBucket) can wait forever. Here
// a waiting exclusive locker blocks new shared lockers, so it gets in once the current ones
// leave. Not recursive: a thread holding it shared must not lock it shared again (it could
// deadlock behind a waiting exclusive locker).
//
// Meets the SharedMutex requirements, so std::unique_lock and std::shared_lock work with it.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <mutex>

namespace trainload::storage {

class FairSharedMutex {
 public:
  FairSharedMutex() = default;
  FairSharedMutex(const FairSharedMutex&) = delete;
  FairSharedMutex& operator=(const FairSharedMutex&) = delete;

  void lock() {
    std::unique_lock lock(mutex_);
    ++exclusive_waiting_;
    exclusive_cv_.wait(lock, [this] { return !exclusive_held_ && shared_held_ == 0; });
    --exclusive_waiting_;
    exclusive_held_ = true;
  }
  void unlock() {
    {
      std::lock_guard lock(mutex_);
      exclusive_held_ = false;
    }
    exclusive_cv_.notify_one();
    shared_cv_.notify_all();
  }
  void lock_shared() {
    std::unique_lock lock(mutex_);
    shared_cv_.wait(lock, [this] { return !exclusive_held_ && exclusive_waiting_ == 0; });
    ++shared_held_;
  }
  void unlock_shared() {
    bool last;
    {
      std::lock_guard lock(mutex_);
      last = --shared_held_ == 0;
    }
    if (last) exclusive_cv_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable exclusive_cv_;
  std::condition_variable shared_cv_;
  int shared_held_ = 0;          // guarded by mutex_
  int exclusive_waiting_ = 0;    // guarded by mutex_
  bool exclusive_held_ = false;  // guarded by mutex_
};

}  // namespace trainload::storage
