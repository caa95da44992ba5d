#include "server/storage/open_file_cache.h"

namespace trainload::storage {

Result<std::shared_ptr<const UniqueFd>> OpenFileCache::Get(std::string_view file_id) {
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(file_id);
    if (it != entries_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.position);
      return it->second.file;
    }
  }
  uint64_t forgets_before = forgets_.load();
  TL_ASSIGN_OR_RETURN(UniqueFd fd, opener_(file_id));
  auto file = std::make_shared<const UniqueFd>(std::move(fd));
  if (capacity_ == 0 || forgets_.load() != forgets_before) return file;
  std::lock_guard lock(mu_);
  auto [it, inserted] = entries_.try_emplace(std::string(file_id));
  if (!inserted) {
    lru_.splice(lru_.begin(), lru_, it->second.position);
    return it->second.file;
  }
  lru_.push_front(it->first);
  it->second = Entry{file, lru_.begin()};
  while (entries_.size() > capacity_) {
    entries_.erase(lru_.back());
    lru_.pop_back();
  }
  return file;
}

void OpenFileCache::Forget(std::string_view file_id) {
  forgets_.fetch_add(1);
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(file_id));
  if (it == entries_.end()) return;
  lru_.erase(it->second.position);
  entries_.erase(it);
}

size_t OpenFileCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace trainload::storage
