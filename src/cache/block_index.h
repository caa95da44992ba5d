// The in-memory index of the disk block cache: which block files exist, how many bytes they
// take, their least-recently-used order, and which ones are being written or deleted right now.
// No I/O: BlockCache does the file work outside its mutex and tells the index what happened.
//
// Every entry is in one of three states:
//   kReady     the file is in place; readers may open it; it may be evicted.
//   kWriting   a Put has reserved the bytes and is writing the file; readers miss, other Puts
//              of the same block skip, eviction passes over it.
//   kDeleting  the entry was evicted or found corrupt and its file is being unlinked; it holds
//              no bytes any more but stays until FinishDelete, so that no Put can rename a new
//              file into place just before the unlink removes it.
// Each entry instance has a fresh generation number, so a reader that looked a block up before a
// concurrent Put or eviction cannot drop the entry that replaced it.
//
// bytes_used() counts kReady and kWriting entries, so reservations keep the total within
// max_bytes; kDeleting entries are already subtracted.
//
// All operations are O(1) except eviction, which is O(blocks evicted + entries skipped); the
// skipped ones are only those being written right now. Not thread-safe: BlockCache
// guards it with its mutex.
#pragma once

#include <cstdint>
#include <cstring>
#include <list>
#include <optional>
#include <unordered_map>
#include <vector>

#include "cache/block_file.h"

namespace trainload::cache {

struct BlockKey {
  ObjectHash object{};
  uint64_t index = 0;
  friend bool operator==(const BlockKey&, const BlockKey&) = default;
};

struct ObjectHashHash {
  size_t operator()(const ObjectHash& object) const {
    // Already a uniform hash; its first 8 bytes are as good as any.
    uint64_t h;
    std::memcpy(&h, object.data(), sizeof h);
    return static_cast<size_t>(h);
  }
};

struct BlockKeyHash {
  size_t operator()(const BlockKey& key) const {
    return ObjectHashHash()(key.object) ^ static_cast<size_t>(key.index * 0x9e3779b97f4a7c15ull);
  }
};

class BlockIndex {
 public:
  explicit BlockIndex(uint64_t max_bytes) : max_bytes_(max_bytes) {}

  // Records a block file found at open as the most recently used (add oldest first). Does not
  // evict: call EvictToLimit() after the scan.
  void AddExisting(const BlockKey& key, uint64_t size);

  // Evicts least recently used ready blocks until bytes_used() <= max_bytes; returns their keys,
  // now kDeleting (the caller unlinks each file, then calls FinishDelete).
  std::vector<BlockKey> EvictToLimit();

  // A reader looks up `key`: when it is kReady, makes it the most recently used and returns its
  // generation; nullopt otherwise (a miss).
  std::optional<uint64_t> BeginRead(const BlockKey& key);

  // The reader holding `generation` found the file corrupt. If the entry is still that
  // generation and kReady, it becomes kDeleting (the caller must unlink the file and call
  // FinishDelete) and true is returned; false when something else has replaced it meanwhile.
  bool BeginDiscard(const BlockKey& key, uint64_t generation);
  // The reader holding `generation` found no file: drops the entry if it is still that one.
  void ForgetMissing(const BlockKey& key, uint64_t generation);

  struct PutPlan {
    enum class Action {
      kWrite,  // write the file, then FinishPut(key, generation, ...)
      kSkip,   // another Put is writing this block, or it is being deleted: nothing to do
      kNoRoom  // `size` does not fit even with every ready block evicted
    };
    Action action = Action::kSkip;
    uint64_t generation = 0;
    std::vector<BlockKey> evicted;  // kDeleting now: unlink each, then FinishDelete
  };
  // Reserves `size` bytes for a new file of `key` (replacing a ready one), evicting least
  // recently used ready blocks to make room. The new entry is kWriting and most recently used.
  PutPlan BeginPut(const BlockKey& key, uint64_t size);
  // The Put holding `generation` is done: on success the entry becomes kReady, otherwise the
  // entry and its reservation are dropped. No effect if the entry is another generation.
  void FinishPut(const BlockKey& key, uint64_t generation, bool stored);

  // The file of a kDeleting entry has been unlinked: forget the entry. Returns true when no
  // entry of the same object is left, so its directory may be removed (a Put that starts after
  // this call recreates it; see BlockCache's rename loop).
  bool FinishDelete(const BlockKey& key);

  uint64_t max_bytes() const { return max_bytes_; }
  uint64_t bytes_used() const { return bytes_used_; }
  // Entries holding bytes (ready or being written).
  uint64_t blocks() const { return blocks_; }
  uint64_t evictions() const { return evictions_; }

 private:
  enum class State { kReady, kWriting, kDeleting };
  struct Entry {
    BlockKey key;
    uint64_t size = 0;
    uint64_t generation = 0;
    State state = State::kReady;
  };
  using Lru = std::list<Entry>;  // front: most recently used

  // Turns a kReady entry into kDeleting, releases its bytes and moves it to deleting_.
  void MarkDeleting(std::list<Entry>::iterator entry);
  // Evicts from the back until `needed` more bytes fit; appends the keys to `evicted`.
  void EvictFor(uint64_t needed, std::vector<BlockKey>& evicted);
  // Adds an entry to entries_ (already in a list) / removes it; both keep object_entries_.
  void Insert(const BlockKey& key, Lru::iterator entry);
  // Returns true when it was the object's last entry.
  bool Erase(std::unordered_map<BlockKey, Lru::iterator, BlockKeyHash>::iterator found);

  const uint64_t max_bytes_;
  Lru lru_;
  Lru deleting_;  // kDeleting entries, waiting for FinishDelete
  std::unordered_map<BlockKey, Lru::iterator, BlockKeyHash> entries_;
  std::unordered_map<ObjectHash, uint64_t, ObjectHashHash> object_entries_;  // entries per object
  uint64_t bytes_used_ = 0;
  uint64_t writing_bytes_ = 0;  // part of bytes_used_ that eviction cannot free
  uint64_t blocks_ = 0;
  uint64_t evictions_ = 0;
  uint64_t next_generation_ = 1;
};

}  // namespace trainload::cache
