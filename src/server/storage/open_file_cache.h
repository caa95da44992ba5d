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

#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>

#include "server/storage/data_files.h"
#include "server/storage/lru_cache.h"
#include "trainload/status.h"

namespace trainload::storage {

class OpenFileCache {
 public:
  using Opener = std::function<Result<UniqueFd>(std::string_view file_id)>;

  OpenFileCache(size_t capacity, Opener opener) : files_(capacity), opener_(std::move(opener)) {}

  // The open file `file_id`, from the cache or opened now (errors are the opener's).
  Result<std::shared_ptr<const UniqueFd>> Get(std::string_view file_id);
  // Drops `file_id` (call before unlinking it).
  void Forget(std::string_view file_id) { files_.Forget(file_id); }

  size_t size() const { return files_.size(); }

 private:
  LruCache<UniqueFd> files_;
  const Opener opener_;
};

}  // namespace trainload::storage
