// A bounded, thread-safe map from string keys to shared immutable values, least recently used
// out first, for values that are expensive to load and must never be served stale: the open
// data files (open_file_cache.h) and the decoded object records of the index (StoreCore).
//
// Staleness is the owner's to signal: Forget(key) must be called after the source of `key`
// changes (a file is about to be unlinked, an index row was rewritten). A value loaded while
// any Forget() ran is handed to its caller but not cached, because the load may have read the
// old source just before the change and the Forget just before the insert would otherwise be
// lost. So once Forget(key) has returned, no later Get(key) returns a value loaded before it.
//
// A loader returns a null pointer for "absent": that is passed through and never cached. With
// capacity 0 nothing is cached.
//
// Thread-safe. Loads run outside the lock; two callers missing the same key may both load it.
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
#include <utility>

#include "trainload/status.h"

namespace trainload::storage {

template <typename T>
class LruCache {
 public:
  using Value = std::shared_ptr<const T>;

  explicit LruCache(size_t capacity) : capacity_(capacity) {}
  LruCache(const LruCache&) = delete;
  LruCache& operator=(const LruCache&) = delete;

  // The cached value of `key`, or `load(key)` (a Result<Value>) cached on success.
  template <typename Load>
  Result<Value> Get(std::string_view key, Load&& load) {
    if (Value hit = Find(key)) return hit;
    const uint64_t forgets_before = forgets_.load(std::memory_order_acquire);
    Result<Value> loaded = std::forward<Load>(load)(key);
    if (!loaded || *loaded == nullptr || capacity_ == 0) return loaded;
    std::lock_guard lock(mu_);
    if (forgets_.load(std::memory_order_relaxed) != forgets_before) return loaded;
    auto [it, inserted] = entries_.try_emplace(std::string(key));
    if (!inserted) {
      // Another caller loaded it meanwhile, with no Forget since: both values are current.
      lru_.splice(lru_.begin(), lru_, it->second.position);
      return it->second.value;
    }
    lru_.push_front(it->first);
    it->second = Entry{*loaded, lru_.begin()};
    while (entries_.size() > capacity_) {
      entries_.erase(entries_.find(lru_.back()));
      lru_.pop_back();
    }
    return loaded;
  }

  // Drops `key`; see the file comment for when the owner must call it.
  void Forget(std::string_view key) {
    std::lock_guard lock(mu_);
    // Bumped under the lock, so a Get that saw the old count inserts before this erase (and is
    // erased by it) or sees the new count and does not insert.
    forgets_.fetch_add(1, std::memory_order_release);
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    lru_.erase(it->second.position);
    entries_.erase(it);
  }

  size_t size() const {
    std::lock_guard lock(mu_);
    return entries_.size();
  }

 private:
  using Lru = std::list<std::string_view>;  // views of the map's keys; front = most recent
  struct Entry {
    Value value;
    typename Lru::iterator position;
  };
  // Transparent: a hit is looked up by the caller's string_view, without building a key.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return std::hash<std::string_view>()(key); }
  };

  Value Find(std::string_view key) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second.position);
    return it->second.value;
  }

  const size_t capacity_;
  std::atomic<uint64_t> forgets_{0};
  mutable std::mutex mu_;
  // Node-based: the keys the LRU list views never move.
  std::unordered_map<std::string, Entry, KeyHash, std::equal_to<>> entries_;  // guarded by mu_
  Lru lru_;                                                                   // guarded by mu_
};

}  // namespace trainload::storage
