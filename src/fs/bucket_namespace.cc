#include "fs/bucket_namespace.h"

#include <algorithm>
#include <future>
#include <limits>
#include <utility>

namespace trainload::fs {
namespace {

bool IsNoSuchKey(const Status& status) { return status.reason() == "NoSuchKey"; }

// The directory prefix holding `path` ("a/b/c" -> "a/b/", "c" -> ""); `path` has no trailing '/'.
std::string_view ParentPrefix(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash + 1);
}

}  // namespace

bool IsValidName(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameBytes && name != "." && name != ".." &&
         name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

const DirectoryEntry* DirectoryListing::Find(std::string_view name) const {
  auto it =
      std::lower_bound(entries.begin(), entries.end(), name,
                       [](const DirectoryEntry& e, std::string_view n) { return e.name < n; });
  return it != entries.end() && it->name == name ? &*it : nullptr;
}

BucketNamespace::BucketNamespace(Client& client, NamespaceOptions options, const Clock& clock)
    : client_(client), options_(std::move(options)), clock_(clock) {}

bool BucketNamespace::CachingEnabled() const {
  return options_.immutable || options_.metadata_ttl.count() > 0;
}

int64_t BucketNamespace::ExpiryFrom(int64_t now_ms) const {
  if (options_.immutable) return std::numeric_limits<int64_t>::max();
  int64_t ttl = options_.metadata_ttl.count();
  if (ttl > std::numeric_limits<int64_t>::max() - now_ms)
    return std::numeric_limits<int64_t>::max();
  return now_ms + ttl;
}

Result<std::optional<DirectoryEntry>> BucketNamespace::Lookup(std::string_view dir_key,
                                                              std::string_view name) {
  if (!IsValidName(name)) return std::optional<DirectoryEntry>();
  std::string path = std::string(dir_key) + std::string(name);
  const int64_t now = clock_.NowMillis();
  if (CachingEnabled()) {
    std::lock_guard lock(mu_);
    if (auto it = lookups_.find(path); it != lookups_.end() && now < it->second.expires_ms) {
      return it->second.entry;
    }
    // A fresh listing of the directory knows every name in it, present or not: `ls -l` and
    // `find` after a readdir cost no request per entry.
    if (auto it = listings_.find(std::string(dir_key));
        it != listings_.end() && now < it->second.expires_ms) {
      const DirectoryEntry* entry = it->second.listing->Find(name);
      return entry ? std::optional<DirectoryEntry>(*entry) : std::nullopt;
    }
  }
  bool list_directory = false;
  if (CachingEnabled()) {
    std::lock_guard lock(mu_);
    list_directory = CountMissLocked(std::string(dir_key), now);
  }
  if (list_directory) {
    TL_ASSIGN_OR_RETURN(std::shared_ptr<const DirectoryListing> listing,
                        ListShared(dir_key, options_.max_listed_entries));
    if (listing != nullptr) {
      const DirectoryEntry* entry = listing->Find(name);
      return entry ? std::optional<DirectoryEntry>(*entry) : std::nullopt;
    }
    std::lock_guard lock(mu_);
    misses_[std::string(dir_key)].too_large = true;
  }
  const uint64_t generation = Generation();
  TL_ASSIGN_OR_RETURN(std::optional<DirectoryEntry> entry, LookupRemote(dir_key, name));
  if (CachingEnabled()) {
    std::lock_guard lock(mu_);
    // A write or delete through the mount while S3 was asked may have made the answer stale;
    // it is returned (it was true when asked) but not cached.
    if (generation == generation_) {
      PruneLocked(now);
      lookups_[path] = CachedLookup{entry, ExpiryFrom(now)};
    }
  }
  return entry;
}

Result<std::optional<DirectoryEntry>> BucketNamespace::LookupRemote(std::string_view dir_key,
                                                                    std::string_view name) {
  const std::string key = std::string(dir_key) + std::string(name);
  // HEAD and LIST at once, as Mountpoint does: a directory must shadow an object of the same
  // name, so a file is known to be a file only when the LIST comes back empty.
  auto head =
      std::async(std::launch::async, [this, &key] { return client_.Head(options_.bucket, key); });
  ListOptions list_options;
  list_options.prefix = key + "/";
  list_options.delimiter = "/";
  list_options.max_keys = 1;
  Result<ListPage> page = client_.List(options_.bucket, list_options);
  Result<ObjectInfo> object = head.get();
  if (!page.has_value()) return Error(page.error());
  DirectoryEntry entry;
  entry.name = std::string(name);
  if (!page->objects.empty() || !page->common_prefixes.empty()) {
    entry.kind = InodeKind::kDirectory;
    return entry;
  }
  if (!object.has_value()) {
    if (IsNoSuchKey(object.error())) return std::optional<DirectoryEntry>();
    return Error(object.error());
  }
  entry.kind = InodeKind::kFile;
  entry.attributes.size = object->size;
  entry.attributes.mtime_ms = object->last_modified_ms;
  entry.attributes.etag = object->etag;
  return entry;
}

bool BucketNamespace::CountMissLocked(const std::string& dir_key, int64_t now_ms) {
  if (options_.list_after_misses == 0) return false;
  // Bounded like the lookup cache: forgetting the counts only delays a listing.
  if (misses_.size() >= options_.max_cached_lookups) misses_.clear();
  DirectoryMisses& misses = misses_[dir_key];
  if (misses.too_large) return false;
  if (now_ms >= misses.window_end_ms) {
    misses.count = 0;
    misses.window_end_ms = ExpiryFrom(now_ms);
  }
  return ++misses.count >= options_.list_after_misses;
}

Result<std::shared_ptr<const DirectoryListing>> BucketNamespace::List(std::string_view dir_key) {
  return ListShared(dir_key, 0);
}

Result<std::shared_ptr<const DirectoryListing>> BucketNamespace::ListShared(
    std::string_view dir_key, size_t max_entries) {
  const int64_t now = clock_.NowMillis();
  std::string dir(dir_key);
  if (!CachingEnabled()) return ListRemote(dir, max_entries);
  std::promise<Result<std::shared_ptr<const DirectoryListing>>> promise;
  uint64_t generation;
  {
    std::unique_lock lock(mu_);
    if (auto it = listings_.find(dir); it != listings_.end() && now < it->second.expires_ms) {
      return it->second.listing;
    }
    // Another thread is listing this directory: its answer serves this caller too (8 readers
    // opening files of a new directory at once make one LIST, not eight). A limited listing
    // that came back null (too large) does not serve an unlimited caller.
    if (auto it = in_flight_.find(dir); it != in_flight_.end()) {
      SharedListing shared = it->second;
      lock.unlock();
      Result<std::shared_ptr<const DirectoryListing>> result = shared.get();
      if (!result.has_value() || *result != nullptr || max_entries > 0) return result;
      lock.lock();
    }
    in_flight_[dir] = promise.get_future().share();
    generation = generation_;
  }
  Result<std::shared_ptr<const DirectoryListing>> listing = ListRemote(dir, max_entries);
  {
    std::lock_guard lock(mu_);
    if (listing.has_value() && *listing != nullptr && generation == generation_) {
      listings_[dir] = CachedListing{*listing, ExpiryFrom(now)};
      misses_.erase(dir);
    }
    in_flight_.erase(dir);
  }
  promise.set_value(listing);
  return listing;
}

Result<std::shared_ptr<const DirectoryListing>> BucketNamespace::ListRemote(
    const std::string& dir_key, size_t max_entries) {
  auto listing = std::make_shared<DirectoryListing>();
  std::vector<DirectoryEntry>& entries = listing->entries;
  ListOptions list_options;
  list_options.prefix = dir_key;
  list_options.delimiter = "/";
  bool too_large = false;
  Status status = client_.ListAll(options_.bucket, list_options, [&](const ListPage& page) {
    for (const ObjectInfo& object : page.objects) {
      std::string_view name = std::string_view(object.key).substr(dir_key.size());
      if (!IsValidName(name)) continue;  // the directory's own marker "dir/", "dir/." ...
      entries.push_back(DirectoryEntry{
          .name = std::string(name),
          .kind = InodeKind::kFile,
          .attributes = {
              .size = object.size, .mtime_ms = object.last_modified_ms, .etag = object.etag}});
    }
    for (const std::string& prefix : page.common_prefixes) {
      std::string_view name = std::string_view(prefix).substr(dir_key.size());
      if (!name.empty()) name.remove_suffix(1);  // the delimiter
      if (!IsValidName(name)) continue;          // "dir//", "dir/../"
      entries.push_back(DirectoryEntry{
          .name = std::string(name), .kind = InodeKind::kDirectory, .attributes = {}});
    }
    too_large = max_entries > 0 && entries.size() > max_entries;
    return !too_large;
  });
  if (!status.ok()) return Error(std::move(status));
  if (too_large) return std::shared_ptr<const DirectoryListing>();
  // Common prefixes arrive apart from the objects and sort differently ("a/" after "a-b"), so
  // sort by name and keep one entry per name: the directory when both exist.
  std::sort(entries.begin(), entries.end(), [](const DirectoryEntry& a, const DirectoryEntry& b) {
    if (a.name != b.name) return a.name < b.name;
    return a.kind == InodeKind::kDirectory && b.kind != InodeKind::kDirectory;
  });
  entries.erase(std::unique(entries.begin(), entries.end(),
                            [](const DirectoryEntry& a, const DirectoryEntry& b) {
                              return a.name == b.name;
                            }),
                entries.end());
  return std::shared_ptr<const DirectoryListing>(std::move(listing));
}

uint64_t BucketNamespace::Generation() {
  std::lock_guard lock(mu_);
  return generation_;
}

void BucketNamespace::DropListingsOnPathLocked(std::string_view key) {
  generation_++;
  std::string_view path = key;
  if (path.ends_with('/')) path.remove_suffix(1);
  while (!path.empty()) {
    std::string_view parent = ParentPrefix(path);
    listings_.erase(std::string(parent));
    // An ancestor may have been cached as absent (or as a file it now shadows).
    lookups_.erase(std::string(path));
    if (parent.empty()) break;
    path = parent.substr(0, parent.size() - 1);
  }
}

void BucketNamespace::ObjectWritten(std::string_view key, const InodeAttributes& attributes) {
  std::lock_guard lock(mu_);
  DropListingsOnPathLocked(key);
  if (!CachingEnabled()) return;
  std::string_view name = key.substr(ParentPrefix(key).size());
  lookups_[std::string(key)] = CachedLookup{
      DirectoryEntry{.name = std::string(name), .kind = InodeKind::kFile, .attributes = attributes},
      ExpiryFrom(clock_.NowMillis())};
}

void BucketNamespace::ObjectDeleted(std::string_view key) {
  std::lock_guard lock(mu_);
  DropListingsOnPathLocked(key);
}

void BucketNamespace::Forget(std::string_view key) {
  std::lock_guard lock(mu_);
  generation_++;
  std::string_view path = key;
  if (path.ends_with('/')) path.remove_suffix(1);
  lookups_.erase(std::string(path));
  listings_.erase(std::string(ParentPrefix(path)));
  if (key.ends_with('/')) listings_.erase(std::string(key));
}

void BucketNamespace::PruneLocked(int64_t now_ms) {
  if (lookups_.size() < options_.max_cached_lookups) return;
  std::erase_if(lookups_, [now_ms](const auto& item) { return item.second.expires_ms <= now_ms; });
  // Still full of live entries (an immutable mount of a huge tree): start over rather than grow
  // without bound; the entries are fetched again on demand.
  if (lookups_.size() >= options_.max_cached_lookups) lookups_.clear();
}

}  // namespace trainload::fs
