// The background sweep started at every open: deletes data files in objects/ that belong to an
// OLDER generation and that no index row references ('F' row absent).
//
// Such orphans come from a crash between DataWriter::Finish() (file renamed into objects/) and
// the index commit that would have referenced it, or from StagedData that was deliberately
// left behind after a failed index write. Files of the current generation are never touched:
// they may be staged right now and about to be committed. An older-generation file can only
// lose its reference (overwrite, delete), never gain one, so "unreferenced" stays true once
// seen and the check needs no lock.
//
// Thread-safe. The destructor stops the sweep early and joins the thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "server/storage/store_core.h"
#include "trainload/status.h"

namespace trainload::storage {

class Sweeper {
 public:
  // Starts sweeping on a new thread. `core` must outlive the sweeper.
  explicit Sweeper(const StoreCore& core);
  ~Sweeper();
  Sweeper(const Sweeper&) = delete;
  Sweeper& operator=(const Sweeper&) = delete;

  // Blocks until the sweep has finished; returns how many files it deleted, or the error that
  // stopped it.
  Result<uint64_t> Wait();

 private:
  void Run();

  const StoreCore& core_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;     // guarded by mutex_
  uint64_t deleted_ = 0;  // guarded by mutex_ once done_
  Status status_;         // guarded by mutex_ once done_
  std::thread thread_;    // last: starts after the fields above exist
};

}  // namespace trainload::storage
