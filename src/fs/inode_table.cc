#include "fs/inode_table.h"

#include <algorithm>
#include <functional>
#include <utility>

namespace trainload::fs {

size_t InodeTable::ChildNameHash::operator()(const ChildName& c) const {
  return std::hash<std::string>()(c.name) * 31 + std::hash<InodeId>()(c.parent);
}

InodeTable::InodeTable(std::string root_key, int64_t now_ms) {
  Record root;
  root.inode.id = kRootInode;
  root.inode.parent = kRootInode;
  root.inode.kind = InodeKind::kDirectory;
  root.inode.key = std::move(root_key);
  root.inode.attributes.mtime_ms = now_ms;
  root.inode.validated_ms = now_ms;
  root.lookups = 1;  // the kernel holds the root without ever looking it up
  inodes_.emplace(kRootInode, std::move(root));
}

const InodeTable::Record* InodeTable::FindLocked(InodeId id) const {
  auto it = inodes_.find(id);
  return it == inodes_.end() ? nullptr : &it->second;
}

Result<Inode> InodeTable::Remember(InodeId parent, std::string_view name, InodeKind kind,
                                   const InodeAttributes& attributes, InodeState state,
                                   int64_t validated_ms, uint64_t lookups) {
  std::lock_guard lock(mu_);
  auto parent_it = inodes_.find(parent);
  if (parent_it == inodes_.end() || parent_it->second.inode.kind != InodeKind::kDirectory) {
    return Error(NotFound("inode " + std::to_string(parent) + " is not a known directory (name \"" +
                          std::string(name) + "\")"));
  }
  ChildName child{parent, std::string(name)};
  if (auto it = children_.find(child); it != children_.end()) {
    Record& existing = inodes_.at(it->second);
    if (existing.inode.kind == kind) {
      // A file being written keeps what the writer says until it commits, and a directory made
      // by mkdir stays local until a file is committed under it: what S3 says meanwhile is the
      // previous object (or nothing).
      if (existing.inode.state == InodeState::kRemote) {
        existing.inode.attributes = attributes;
        existing.inode.validated_ms = validated_ms;
      }
      existing.lookups += lookups;
      return existing.inode;
    }
    // The object changed kind behind the mount: the old inode keeps serving the kernel's
    // references to it until forgotten, the name moves to a new inode.
    UnlinkLocked(existing);
  }
  Record record;
  record.inode.id = next_id_++;
  record.inode.parent = parent;
  record.inode.name = child.name;
  record.inode.kind = kind;
  record.inode.key = parent_it->second.inode.key + child.name;
  if (kind == InodeKind::kDirectory) record.inode.key += '/';
  record.inode.attributes = attributes;
  record.inode.validated_ms = validated_ms;
  record.inode.state = state;
  record.lookups = lookups;
  record.linked = true;
  parent_it->second.children++;
  InodeId id = record.inode.id;
  if (state != InodeState::kRemote) local_.insert(id);
  children_.emplace(std::move(child), id);
  return inodes_.emplace(id, std::move(record)).first->second.inode;
}

std::optional<Inode> InodeTable::Get(InodeId id) const {
  std::lock_guard lock(mu_);
  const Record* record = FindLocked(id);
  if (record == nullptr) return std::nullopt;
  return record->inode;
}

std::optional<Inode> InodeTable::Child(InodeId parent, std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = children_.find(ChildName{parent, std::string(name)});
  if (it == children_.end()) return std::nullopt;
  return inodes_.at(it->second).inode;
}

std::vector<Inode> InodeTable::LocalChildren(InodeId parent) const {
  std::lock_guard lock(mu_);
  std::vector<Inode> out;
  for (InodeId id : local_) {
    const Record& record = inodes_.at(id);
    if (record.linked && record.inode.parent == parent) out.push_back(record.inode);
  }
  std::sort(out.begin(), out.end(), [](const Inode& a, const Inode& b) { return a.name < b.name; });
  return out;
}

bool InodeTable::HasChildren(InodeId parent) const {
  std::lock_guard lock(mu_);
  const Record* record = FindLocked(parent);
  return record != nullptr && record->children > 0;
}

void InodeTable::UnlinkLocked(Record& record) {
  if (!record.linked) return;
  children_.erase(ChildName{record.inode.parent, record.inode.name});
  record.linked = false;
  if (auto parent = inodes_.find(record.inode.parent); parent != inodes_.end()) {
    parent->second.children--;
  }
}

void InodeTable::Forget(InodeId id, uint64_t count) {
  std::lock_guard lock(mu_);
  auto it = inodes_.find(id);
  if (it == inodes_.end() || id == kRootInode) return;
  Record& record = it->second;
  record.lookups -= std::min(count, record.lookups);
  if (record.lookups > 0) return;
  UnlinkLocked(record);
  local_.erase(id);
  inodes_.erase(it);
}

std::optional<Inode> InodeTable::TryBeginWrite(InodeId id, const InodeAttributes& attributes,
                                               int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto it = inodes_.find(id);
  if (it == inodes_.end() || it->second.inode.state == InodeState::kWriting ||
      it->second.inode.kind != InodeKind::kFile) {
    return std::nullopt;
  }
  Inode& inode = it->second.inode;
  inode.state = InodeState::kWriting;
  inode.attributes = attributes;
  inode.validated_ms = now_ms;
  local_.insert(id);
  return inode;
}

bool InodeTable::SetAttributes(InodeId id, const InodeAttributes& attributes,
                               int64_t validated_ms) {
  std::lock_guard lock(mu_);
  auto it = inodes_.find(id);
  if (it == inodes_.end()) return false;
  it->second.inode.attributes = attributes;
  it->second.inode.validated_ms = validated_ms;
  return true;
}

bool InodeTable::SetState(InodeId id, InodeState state) {
  std::lock_guard lock(mu_);
  auto it = inodes_.find(id);
  if (it == inodes_.end()) return false;
  it->second.inode.state = state;
  if (state == InodeState::kRemote) {
    local_.erase(id);
  } else {
    local_.insert(id);
  }
  return true;
}

bool InodeTable::SetCachedEtag(InodeId id, std::string etag) {
  std::lock_guard lock(mu_);
  auto it = inodes_.find(id);
  if (it == inodes_.end()) return false;
  it->second.inode.cached_etag = std::move(etag);
  return true;
}

bool InodeTable::Unlink(InodeId parent, std::string_view name) {
  std::lock_guard lock(mu_);
  auto it = children_.find(ChildName{parent, std::string(name)});
  if (it == children_.end()) return false;
  UnlinkLocked(inodes_.at(it->second));
  return true;
}

size_t InodeTable::size() const {
  std::lock_guard lock(mu_);
  return inodes_.size();
}

uint64_t InodeTable::LookupCount(InodeId id) const {
  std::lock_guard lock(mu_);
  const Record* record = FindLocked(id);
  return record == nullptr ? 0 : record->lookups;
}

}  // namespace trainload::fs
