#include "server/storage/sweeper.h"

#include "server/storage/index_keys.h"

namespace trainload::storage {

Sweeper::Sweeper(const StoreCore& core) : core_(core), thread_([this] { Run(); }) {}

Sweeper::~Sweeper() {
  stop_ = true;
  thread_.join();
}

void Sweeper::Run() {
  const uint64_t current = core_.generation();
  uint64_t deleted = 0;
  Status error;
  Status walk = core_.files().ForEachObjectFile([&](std::string_view id) {
    if (stop_) return false;
    std::optional<uint64_t> generation = DataFiles::GenerationOf(id);
    if (!generation || *generation >= current) return true;
    Result<std::optional<std::string>> ref = core_.Get(FileRefRow(id));
    if (!ref) {
      error = ref.error();
      return false;
    }
    if (ref->has_value()) return true;
    Status unlinked = core_.files().UnlinkObject(id);
    if (!unlinked.ok()) {
      error = unlinked;
      return false;
    }
    ++deleted;
    return true;
  });
  std::lock_guard lock(mutex_);
  deleted_ = deleted;
  status_ = !walk.ok() ? walk : error;
  done_ = true;
  done_cv_.notify_all();
}

Result<uint64_t> Sweeper::Wait() {
  std::unique_lock lock(mutex_);
  done_cv_.wait(lock, [this] { return done_; });
  if (!status_.ok()) return Error(status_.WithContext("sweep of orphaned data files"));
  return deleted_;
}

}  // namespace trainload::storage
