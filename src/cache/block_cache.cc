#include "cache/block_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <vector>

#include "cache/block_file.h"
#include "cache/block_index.h"
#include "common/checksum.h"

namespace trainload::cache {
namespace {

// The format version is part of the path, so a later format can live beside this one.
constexpr const char* kVersionDir = "v1";
constexpr const char* kTmpDir = "tmp";
constexpr const char* kLockFile = "lock";
// Headers of realistic ids (S3 keys are at most 1024 bytes) fit on the stack.
constexpr size_t kStackHeaderBytes = 2048;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Closes now and reports the error close() gives (the last chance to see a write error).
  int Close() {
    int rc = ::close(std::exchange(fd_, -1));
    return rc;
  }

 private:
  int fd_;
};

struct DirEntry {
  std::string name;
  unsigned char type;  // DT_*; DT_UNKNOWN on file systems that do not fill it in
};

// The entries of the directory `name` under `dir_fd` (without "." and ".."). ENOENT gives an
// empty list: a directory removed concurrently has nothing in it.
Result<std::vector<DirEntry>> ListDirectory(int dir_fd, const char* name, std::string_view what) {
  int fd = ::openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::vector<DirEntry>{};
    return Error(ErrnoStatus("cache: open directory " + std::string(what), errno));
  }
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    int e = errno;
    ::close(fd);
    return Error(ErrnoStatus("cache: open directory " + std::string(what), e));
  }
  std::vector<DirEntry> entries;
  errno = 0;
  while (dirent* entry = ::readdir(dir)) {
    std::string_view entry_name = entry->d_name;
    if (entry_name != "." && entry_name != "..") {
      entries.push_back(DirEntry{std::string(entry_name), entry->d_type});
    }
  }
  int e = errno;
  ::closedir(dir);
  if (e != 0) return Error(ErrnoStatus("cache: read directory " + std::string(what), e));
  return entries;
}

bool MaybeDirectory(const DirEntry& entry) {
  return entry.type == DT_DIR || entry.type == DT_UNKNOWN;
}

// Two lowercase hex digits, as BlockPath writes them.
bool IsShardName(std::string_view name) {
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
  return name.size() == 2 && hex(name[0]) && hex(name[1]);
}

Status MakeDirectory(int dir_fd, const char* name, std::string_view what) {
  if (::mkdirat(dir_fd, name, 0700) != 0 && errno != EEXIST) {
    return ErrnoStatus("cache: create directory " + std::string(what), errno);
  }
  return Status::Ok();
}

// preadv/pwritev until everything is transferred or the file ends; returns the bytes moved or
// -1 with errno set. Regular files rarely return short counts, but a signal or a huge request
// can cause one.
template <typename Syscall>
ssize_t TransferFull(Syscall syscall, int fd, iovec* iov, int count) {
  size_t done = 0;
  while (count > 0) {
    ssize_t n = syscall(fd, iov, count, static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
    size_t left = static_cast<size_t>(n);
    while (count > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      ++iov;
      --count;
    }
    if (count > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
  return static_cast<ssize_t>(done);
}

std::string Describe(const BlockId& id) {
  return id.bucket + "/" + id.key + " (etag " + id.etag + ") block " + std::to_string(id.index);
}

class DiskBlockCache final : public BlockCache {
 public:
  DiskBlockCache(const CacheOptions& options, Fd root, Fd lock)
      : options_(options),
        block_size_(options.block_size),
        root_(std::move(root)),
        lock_(std::move(lock)),
        index_(options.max_size_bytes) {}

  Status Load();

  uint64_t block_size() const override { return block_size_; }
  std::optional<size_t> Get(const BlockId& id, std::span<std::byte> out) override;
  Status Put(const BlockId& id, std::span<const std::byte> data) override;
  CacheStats stats() const override;

 private:
  std::optional<size_t> Miss() {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  // Unlinks the files of kDeleting entries and forgets them.
  void RemoveFiles(const std::vector<BlockKey>& keys);
  Status WriteBlockFile(const BlockId& id, const BlockKey& key, std::span<const std::byte> data);
  Status SweepTmp();

  const CacheOptions options_;
  const uint64_t block_size_;
  const Fd root_;  // <directory>/v1; every path below is relative to it
  const Fd lock_;  // flock'ed for the lifetime of the cache
  std::atomic<uint64_t> next_temp_{0};
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
  std::atomic<uint64_t> corrupt_blocks_{0};

  // Held only for index bookkeeping, never across file I/O.
  mutable std::mutex mu_;
  BlockIndex index_;  // guarded by mu_
};

Status DiskBlockCache::SweepTmp() {
  TL_ASSIGN_OR_RETURN(std::vector<DirEntry> entries,
                      ListDirectory(root_.get(), kTmpDir, options_.directory + "/v1/tmp"));
  Fd tmp(::openat(root_.get(), kTmpDir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!tmp.valid()) return ErrnoStatus("cache: open " + options_.directory + "/v1/tmp", errno);
  for (const DirEntry& entry : entries) {
    if (::unlinkat(tmp.get(), entry.name.c_str(), 0) != 0 && errno != ENOENT) {
      return ErrnoStatus("cache: remove temp file " + options_.directory + "/v1/tmp/" + entry.name,
                         errno);
    }
  }
  return Status::Ok();
}

// Builds the index from the block files left by an earlier run. Files are not read here (that
// would make a large cache slow to mount); each is verified on its first Get.
Status DiskBlockCache::Load() {
  TL_RETURN_IF_ERROR(SweepTmp());
  struct Found {
    BlockKey key;
    uint64_t size;
    int64_t used_ns;  // later of atime and mtime: the best guess of the last use
  };
  std::vector<Found> found;
  const std::string root_name = options_.directory + "/v1";
  TL_ASSIGN_OR_RETURN(std::vector<DirEntry> shards, ListDirectory(root_.get(), ".", root_name));
  for (const DirEntry& shard : shards) {
    if (!IsShardName(shard.name) || !MaybeDirectory(shard)) continue;
    Fd shard_fd(::openat(root_.get(), shard.name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!shard_fd.valid()) continue;
    const std::string shard_name = root_name + "/" + shard.name;
    TL_ASSIGN_OR_RETURN(std::vector<DirEntry> objects,
                        ListDirectory(shard_fd.get(), ".", shard_name));
    for (const DirEntry& object : objects) {
      std::optional<ObjectHash> hash = ParseObjectDir(shard.name, object.name);
      if (!hash || !MaybeDirectory(object)) continue;
      Fd object_fd(
          ::openat(shard_fd.get(), object.name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!object_fd.valid()) continue;
      TL_ASSIGN_OR_RETURN(std::vector<DirEntry> blocks,
                          ListDirectory(object_fd.get(), ".", shard_name + "/" + object.name));
      for (const DirEntry& block : blocks) {
        std::optional<uint64_t> index = ParseBlockFileName(block.name);
        struct stat st;
        if (!index ||
            ::fstatat(object_fd.get(), block.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(st.st_mode)) {
          continue;
        }
        const int64_t atime = st.st_atim.tv_sec * 1'000'000'000ll + st.st_atim.tv_nsec;
        const int64_t mtime = st.st_mtim.tv_sec * 1'000'000'000ll + st.st_mtim.tv_nsec;
        found.push_back(Found{BlockKey{*hash, *index}, static_cast<uint64_t>(st.st_size),
                              std::max(atime, mtime)});
      }
      // Evictions remove emptied object directories as they go; a crash, a failed Put or a file
      // removed behind the cache's back can still leave one empty.
      if (blocks.empty()) ::unlinkat(shard_fd.get(), object.name.c_str(), AT_REMOVEDIR);
    }
  }
  std::sort(found.begin(), found.end(),
            [](const Found& a, const Found& b) { return a.used_ns < b.used_ns; });
  std::vector<BlockKey> evicted;
  {
    std::lock_guard lock(mu_);
    for (const Found& f : found) index_.AddExisting(f.key, f.size);
    // The limit may have been lowered since the last run.
    evicted = index_.EvictToLimit();
  }
  RemoveFiles(evicted);
  return Status::Ok();
}

void DiskBlockCache::RemoveFiles(const std::vector<BlockKey>& keys) {
  for (const BlockKey& key : keys) {
    BlockPath path(key.object, key.index);
    ::unlinkat(root_.get(), path.c_str(), 0);
    bool object_empty;
    {
      std::lock_guard lock(mu_);
      object_empty = index_.FinishDelete(key);
    }
    // Drop the object's directory with its last block, so a cache of many small objects does
    // not pile up empty directories. A Put of the same object that began meanwhile may find it
    // gone and recreates it (WriteBlockFile); one that has renamed its file in keeps it, since
    // rmdir only removes empty directories.
    if (object_empty) {
      std::array<char, 80> object_dir{};
      std::string_view dir = path.object_dir();
      std::copy(dir.begin(), dir.end(), object_dir.begin());
      ::unlinkat(root_.get(), object_dir.data(), AT_REMOVEDIR);
    }
  }
}

std::optional<size_t> DiskBlockCache::Get(const BlockId& id, std::span<std::byte> out) {
  const size_t header_size = BlockHeaderSize(id);
  if (out.size() < block_size_ || header_size > kMaxBlockHeaderSize) return Miss();
  const BlockKey key{HashObject(id.bucket, id.key, id.etag), id.index};
  std::optional<uint64_t> generation;
  {
    std::lock_guard lock(mu_);
    generation = index_.BeginRead(key);
  }
  if (!generation) return Miss();

  const BlockPath path(key.object, key.index);
  Fd fd(::openat(root_.get(), path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) {
      // Someone removed it behind our back: forget it so the accounting stays true.
      std::lock_guard lock(mu_);
      index_.ForgetMissing(key, *generation);
    }
    return Miss();
  }
  // One read for header and data: the header into a small buffer, the data straight into the
  // caller's buffer (no copy), and one byte more to notice a file longer than any block.
  std::array<std::byte, kStackHeaderBytes> stack_header;
  std::vector<std::byte> heap_header;
  std::byte* header = stack_header.data();
  if (header_size > stack_header.size()) {
    heap_header.resize(header_size);
    header = heap_header.data();
  }
  std::byte beyond;
  iovec iov[3] = {{header, header_size}, {out.data(), block_size_}, {&beyond, 1}};
  const ssize_t n = TransferFull(::preadv, fd.get(), iov, 3);
  fd = Fd();
  if (n < 0) return Miss();  // an I/O error is a miss; the block may be fine next time

  const size_t header_read = std::min(static_cast<size_t>(n), header_size);
  const size_t data_read = static_cast<size_t>(n) - header_read;
  BlockCheck check = BlockCheck::kBadLength;
  if (data_read <= block_size_) {
    check = VerifyBlock(id, block_size_, std::span<const std::byte>(header, header_read),
                        out.first(data_read));
  }
  if (check != BlockCheck::kOk) {
    bool discard;
    {
      std::lock_guard lock(mu_);
      discard = index_.BeginDiscard(key, *generation);
    }
    // Only the reader that moved the entry to kDeleting unlinks, and a Put cannot rename a new
    // file into place until FinishDelete, so this never removes a good block.
    if (discard) {
      corrupt_blocks_.fetch_add(1, std::memory_order_relaxed);
      RemoveFiles({key});
    }
    return Miss();
  }
  hits_.fetch_add(1, std::memory_order_relaxed);
  return data_read;
}

Status DiskBlockCache::Put(const BlockId& id, std::span<const std::byte> data) {
  if (data.empty() || data.size() > block_size_) {
    return InvalidArgument("cache put " + Describe(id) + ": data length " +
                           std::to_string(data.size()) + " is outside 1.." +
                           std::to_string(block_size_) + " (the block size)");
  }
  const size_t header_size = BlockHeaderSize(id);
  if (header_size > kMaxBlockHeaderSize) {
    return InvalidArgument("cache put " + Describe(id) + ": bucket, key and etag take " +
                           std::to_string(header_size - kBlockHeaderFixedSize) +
                           " bytes, more than a block header holds (" +
                           std::to_string(kMaxBlockHeaderSize - kBlockHeaderFixedSize) + ")");
  }
  const BlockKey key{HashObject(id.bucket, id.key, id.etag), id.index};
  const uint64_t file_size = header_size + data.size();
  BlockIndex::PutPlan plan;
  {
    std::lock_guard lock(mu_);
    plan = index_.BeginPut(key, file_size);
  }
  // Evicted files go before the new one is written, so the disk use stays within the limit.
  RemoveFiles(plan.evicted);
  switch (plan.action) {
    case BlockIndex::PutPlan::Action::kSkip:
      return Status::Ok();
    case BlockIndex::PutPlan::Action::kNoRoom:
      return Status(StatusCode::kResourceExhausted,
                    "cache put " + Describe(id) + ": a block file of " + std::to_string(file_size) +
                        " bytes does not fit in max_size_bytes " +
                        std::to_string(index_.max_bytes()) + " beside the blocks being written");
    case BlockIndex::PutPlan::Action::kWrite:
      break;
  }
  Status status = WriteBlockFile(id, key, data);
  std::lock_guard lock(mu_);
  index_.FinishPut(key, plan.generation, status.ok());
  return status;
}

// Temp file, then rename: a reader opens either the old complete file or the new complete file.
// No fsync: a block torn by a crash fails its CRC on the next read and is discarded, and losing
// a cached block costs one GET.
Status DiskBlockCache::WriteBlockFile(const BlockId& id, const BlockKey& key,
                                      std::span<const std::byte> data) {
  const std::string header = EncodeBlockHeader(id, block_size_, static_cast<uint32_t>(data.size()),
                                               Crc32c(0, data.data(), data.size()));
  char temp[32];
  std::snprintf(temp, sizeof temp, "%s/%016llx", kTmpDir,
                static_cast<unsigned long long>(next_temp_.fetch_add(1)));
  Fd fd(::openat(root_.get(), temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) return ErrnoStatus("cache put " + Describe(id) + ": create temp file", errno);
  auto fail = [&](std::string_view what, int error) {
    ::unlinkat(root_.get(), temp, 0);
    return ErrnoStatus("cache put " + Describe(id) + ": " + std::string(what), error);
  };
  iovec iov[2] = {{const_cast<char*>(header.data()), header.size()},
                  {const_cast<std::byte*>(data.data()), data.size()}};
  const ssize_t n = TransferFull(::pwritev, fd.get(), iov, 2);
  if (n < 0) return fail("write temp file", errno);
  if (static_cast<size_t>(n) != header.size() + data.size()) return fail("write temp file", EIO);
  if (fd.Close() != 0) return fail("close temp file", errno);

  const BlockPath path(key.object, key.index);
  // The object's directory may not exist yet, or the eviction of the object's last other block
  // may remove it between our mkdir and rename. Such a removal is decided before this Put
  // registered its block, so only removals already under way can interfere: a few rounds
  // settle it.
  for (int attempt = 0; attempt < 8; ++attempt) {
    if (::renameat(root_.get(), temp, root_.get(), path.c_str()) == 0) return Status::Ok();
    if (errno != ENOENT) return fail("rename temp file to " + std::string(path.view()), errno);
    const std::string shard(path.shard_dir());
    const std::string object(path.object_dir());
    Status made = MakeDirectory(root_.get(), shard.c_str(), shard);
    if (made.ok()) made = MakeDirectory(root_.get(), object.c_str(), object);
    if (!made.ok()) {
      ::unlinkat(root_.get(), temp, 0);
      return made.WithContext("cache put " + Describe(id));
    }
  }
  return fail("rename temp file to " + std::string(path.view()), ENOENT);
}

CacheStats DiskBlockCache::stats() const {
  CacheStats stats;
  stats.hits = hits_.load(std::memory_order_relaxed);
  stats.misses = misses_.load(std::memory_order_relaxed);
  stats.corrupt_blocks = corrupt_blocks_.load(std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  stats.evictions = index_.evictions();
  stats.bytes_used = index_.bytes_used();
  stats.blocks = index_.blocks();
  return stats;
}

}  // namespace

Result<std::unique_ptr<BlockCache>> BlockCache::Open(const CacheOptions& options) {
  if (options.directory.empty()) return Error(InvalidArgument("cache: directory is empty"));
  const std::string& dir = options.directory;
  if (options.block_size == 0 || options.block_size > kMaxBlockSize) {
    return Error(InvalidArgument("cache " + dir + ": block_size " +
                                 std::to_string(options.block_size) + " is outside 1.." +
                                 std::to_string(kMaxBlockSize)));
  }
  if (options.max_size_bytes < options.block_size) {
    return Error(InvalidArgument("cache " + dir + ": max_size_bytes " +
                                 std::to_string(options.max_size_bytes) +
                                 " is less than block_size " + std::to_string(options.block_size)));
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error(ErrnoStatus("cache: create directory " + dir, ec.value()));
  Fd top(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!top.valid()) return Error(ErrnoStatus("cache: open directory " + dir, errno));
  TL_RETURN_IF_ERROR(MakeDirectory(top.get(), kVersionDir, dir + "/v1"));
  Fd root(::openat(top.get(), kVersionDir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return Error(ErrnoStatus("cache: open directory " + dir + "/v1", errno));
  TL_RETURN_IF_ERROR(MakeDirectory(root.get(), kTmpDir, dir + "/v1/tmp"));

  // Two caches on one directory would sweep each other's temp files and keep separate books on
  // the same files; the lock makes the second Open fail instead. It goes with the process.
  Fd lock(::openat(root.get(), kLockFile, O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock.valid()) return Error(ErrnoStatus("cache: open " + dir + "/v1/lock", errno));
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Error(FailedPrecondition("cache " + dir +
                                      ": directory is in use by another open cache (another "
                                      "mount or process holds " +
                                      dir + "/v1/lock)"));
    }
    return Error(ErrnoStatus("cache: lock " + dir + "/v1/lock", errno));
  }
  auto cache = std::make_unique<DiskBlockCache>(options, std::move(root), std::move(lock));
  TL_RETURN_IF_ERROR(cache->Load());
  return std::unique_ptr<BlockCache>(std::move(cache));
}

}  // namespace trainload::cache
