// A bounded cache of open, read-only data files, so that serving a small object does not cost an
// open(2) and close(2) per request. Data files are immutable once committed and ids are never
// reused, so a cached descriptor can never show other bytes than the ones its id names.
//
// Eviction is least recently used. Forget() drops an id when its file is unlinked, so the cache
// does not keep the disk space of deleted objects; a descriptor opened concurrently with the
// unlink is handed out but not cached.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "server/storage/data_files.h"
#include "trainload/status.h"

namespace trainload::storage {

class OpenFileCache {
 public:
  using Opener = std::function<Result<UniqueFd>(std::string_view file_id)>;

  OpenFileCache(size_t capacity, Opener opener)
      : capacity_(capacity), opener_(std::move(opener)) {}

  // The open file `file_id`, from the cache or opened now (errors are the opener's).
  Result<std::shared_ptr<const UniqueFd>> Get(std::string_view file_id);
  // Drops `file_id` (call before unlinking it).
  void Forget(std::string_view file_id);

  size_t size() const;

 private:
  using Lru = std::list<std::string>;
  struct Entry {
    std::shared_ptr<const UniqueFd> file;
    Lru::iterator position;
  };

  const size_t capacity_;
  const Opener opener_;
  // Bumped by every Forget(): a file opened while it changed may be one being unlinked.
  std::atomic<uint64_t> forgets_{0};
  mutable std::mutex mu_;
  // Transparent: a hit is looked up by the caller's string_view, without building a key.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return std::hash<std::string_view>()(key); }
  };
  std::unordered_map<std::string, Entry, KeyHash, std::equal_to<>> entries_;  // guarded by mu_
  Lru lru_;                                         // guarded by mu_; front = most recent
};

}  // namespace trainload::storage
