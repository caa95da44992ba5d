#include "cache/block_index.h"

namespace trainload::cache {

void BlockIndex::AddExisting(const BlockKey& key, uint64_t size) {
  auto found = entries_.find(key);
  if (found != entries_.end()) {
    // The scan sees each path once, so this only happens if a caller adds a key twice; keep
    // the accounting right anyway.
    Entry& entry = *found->second;
    if (entry.state == State::kDeleting) return;
    bytes_used_ -= entry.size;
    if (entry.state == State::kWriting) writing_bytes_ -= entry.size;
    entry.size = size;
    entry.state = State::kReady;
    entry.generation = next_generation_++;
    bytes_used_ += size;
    lru_.splice(lru_.begin(), lru_, found->second);
    return;
  }
  lru_.push_front(Entry{key, size, next_generation_++, State::kReady});
  Insert(key, lru_.begin());
  bytes_used_ += size;
  ++blocks_;
}

std::vector<BlockKey> BlockIndex::EvictToLimit() {
  std::vector<BlockKey> evicted;
  EvictFor(0, evicted);
  return evicted;
}

std::optional<uint64_t> BlockIndex::BeginRead(const BlockKey& key) {
  auto found = entries_.find(key);
  if (found == entries_.end() || found->second->state != State::kReady) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, found->second);
  return found->second->generation;
}

bool BlockIndex::BeginDiscard(const BlockKey& key, uint64_t generation) {
  auto found = entries_.find(key);
  if (found == entries_.end()) return false;
  Entry& entry = *found->second;
  if (entry.state != State::kReady || entry.generation != generation) return false;
  MarkDeleting(found->second);
  return true;
}

void BlockIndex::ForgetMissing(const BlockKey& key, uint64_t generation) {
  auto found = entries_.find(key);
  if (found == entries_.end()) return;
  Entry& entry = *found->second;
  if (entry.state != State::kReady || entry.generation != generation) return;
  bytes_used_ -= entry.size;
  --blocks_;
  lru_.erase(found->second);
  Erase(found);
}

BlockIndex::PutPlan BlockIndex::BeginPut(const BlockKey& key, uint64_t size) {
  PutPlan plan;
  auto found = entries_.find(key);
  if (found != entries_.end() && found->second->state != State::kReady) {
    plan.action = PutPlan::Action::kSkip;
    return plan;
  }
  // Every ready block can be evicted (a ready copy of this block is replaced), so only the
  // reservations of Puts in flight stand in the way.
  if (writing_bytes_ + size > max_bytes_) {
    plan.action = PutPlan::Action::kNoRoom;
    return plan;
  }
  Lru::iterator entry;
  if (found != entries_.end()) {
    entry = found->second;
    bytes_used_ -= entry->size;
    lru_.splice(lru_.begin(), lru_, entry);
  } else {
    lru_.push_front(Entry{key, 0, 0, State::kWriting});
    entry = lru_.begin();
    Insert(key, entry);
    ++blocks_;
  }
  // kWriting before evicting, so the walk cannot pick this entry.
  entry->state = State::kWriting;
  entry->size = size;
  entry->generation = next_generation_++;
  EvictFor(size, plan.evicted);
  bytes_used_ += size;
  writing_bytes_ += size;
  plan.action = PutPlan::Action::kWrite;
  plan.generation = entry->generation;
  return plan;
}

void BlockIndex::FinishPut(const BlockKey& key, uint64_t generation, bool stored) {
  auto found = entries_.find(key);
  if (found == entries_.end()) return;
  Entry& entry = *found->second;
  if (entry.state != State::kWriting || entry.generation != generation) return;
  writing_bytes_ -= entry.size;
  if (stored) {
    entry.state = State::kReady;
    return;
  }
  bytes_used_ -= entry.size;
  --blocks_;
  lru_.erase(found->second);
  Erase(found);
}

bool BlockIndex::FinishDelete(const BlockKey& key) {
  auto found = entries_.find(key);
  if (found == entries_.end() || found->second->state != State::kDeleting) return false;
  deleting_.erase(found->second);
  return Erase(found);
}

void BlockIndex::Insert(const BlockKey& key, Lru::iterator entry) {
  entries_.emplace(key, entry);
  ++object_entries_[key.object];
}

bool BlockIndex::Erase(std::unordered_map<BlockKey, Lru::iterator, BlockKeyHash>::iterator found) {
  auto object = object_entries_.find(found->first.object);
  entries_.erase(found);
  if (--object->second != 0) return false;
  object_entries_.erase(object);
  return true;
}

void BlockIndex::MarkDeleting(Lru::iterator entry) {
  bytes_used_ -= entry->size;
  --blocks_;
  entry->state = State::kDeleting;
  // Out of the LRU list (iterators stay valid across lists), so eviction walks never pass
  // over entries that are only waiting for their unlink.
  deleting_.splice(deleting_.begin(), lru_, entry);
}

void BlockIndex::EvictFor(uint64_t needed, std::vector<BlockKey>& evicted) {
  auto it = lru_.end();
  while (bytes_used_ + needed > max_bytes_ && it != lru_.begin()) {
    --it;
    if (it->state != State::kReady) continue;
    auto victim = it++;  // `it` moves to the entry after the victim, which stays in lru_
    evicted.push_back(victim->key);
    MarkDeleting(victim);
    ++evictions_;
  }
}

}  // namespace trainload::cache
