// The data files of the storage engine: where object bytes live, how they are named, written
// and made durable. Knows nothing of keys or of the index.
//
// Layout under the storage root:
//   spare/<id>               an empty file made ahead for the next writer (SpareFiles)
//   tmp/<id>                 a file being written (DataWriter); never survives a restart
//   objects/<shard>/<id>     a finished file (StagedData, then referenced by the index)
// An id is 32 lowercase hex digits, <generation:16><sequence:16>. The generation is bumped at
// every open of the store, so files from before a restart are told apart from new ones without
// reading the index; <shard> is the last two hex digits (the low byte of the sequence), which
// spreads files evenly over 256 directories.
//
// Durability: DataWriter::Finish() renames the file from tmp/ into its shard (StartFlush may
// have done so already) and, when fsync is on, makes its bytes (an fsync, or a flush started
// after its last byte) and the shard directory durable, so by the time the index refers to a
// file its bytes and its name are on disk.
//
// DataFiles is thread-safe. A DataWriter is not (one per upload stream). StagedData is a
// move-only owner of one finished file. Every writer and staged file holds a shared_ptr to its
// DataFiles, so they may outlive the ObjectStore that made them.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <string_view>

#include "trainload/status.h"

namespace trainload::storage {

// Owns a file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = other.Release();
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Reset();

 private:
  int fd_ = -1;
};

class DataFiles;
class DataWriter;
class OpenFileCache;
class SpareFiles;

// A finished data file in objects/ that no index row refers to yet. Committing it (ObjectStore)
// hands the file to the index; destroying it uncommitted unlinks the file. A default-constructed
// StagedData is "no data": a zero-byte object with no file.
class StagedData {
 public:
  StagedData() = default;
  ~StagedData();
  StagedData(StagedData&& other) noexcept;
  StagedData& operator=(StagedData&& other) noexcept;
  StagedData(const StagedData&) = delete;
  StagedData& operator=(const StagedData&) = delete;

  // Empty when there is no file.
  const std::string& file_id() const { return file_id_; }
  uint64_t size() const { return size_; }
  bool has_file() const { return !file_id_.empty(); }

  // For the store: the file now belongs to the index (or is deliberately left for the sweep);
  // the destructor will not unlink it. Returns the file id.
  std::string Release();

 private:
  friend class DataWriter;
  StagedData(std::shared_ptr<const DataFiles> files, std::string file_id, uint64_t size)
      : files_(std::move(files)), file_id_(std::move(file_id)), size_(size) {}

  std::shared_ptr<const DataFiles> files_;
  std::string file_id_;
  uint64_t size_ = 0;
};

// Streams bytes into tmp/<id> (objects/<shard>/<id> once StartFlush moved it). Not thread-safe.
// Destroying a writer before a successful Finish() removes its file (e.g. the client
// disconnected mid-PUT, or the body failed verification).
class DataWriter {
 public:
  ~DataWriter();
  DataWriter(const DataWriter&) = delete;
  DataWriter& operator=(const DataWriter&) = delete;

  // Writes all of `data`. On an I/O error (ENOSPC -> kResourceExhausted) the writer is broken
  // and every later call fails.
  Status Append(std::span<const std::byte> data);
  Status Append(std::string_view data);
  // Appends `length` bytes of `source_fd` starting at `source_offset`, in the kernel
  // (copy_file_range, which may share extents on reflink file systems) with a read/write
  // fallback. kOutOfRange if the source ends early.
  Status AppendFrom(int source_fd, uint64_t source_offset, uint64_t length);

  // With fsync on: starts making every byte written so far durable (an fdatasync on a thread
  // of the writer's own), so that the caller can do other work — hash the body's last bytes —
  // while the device flushes, and Finish() finds it done. Without fsync, nothing.
  void StartFlush();

  // Rename into objects/, then (if enabled) fsync the file (unless a flush that StartFlush or
  // the writer itself started after the last byte already did) and the shard directory. The
  // writer is spent afterwards whatever the outcome; on error its file is removed.
  Result<StagedData> Finish();

  uint64_t size() const { return size_; }
  const std::string& file_id() const { return file_id_; }
  // Whether Finish() makes the file durable (the store runs with fsync on).
  bool syncs() const;

 private:
  friend class DataFiles;
  DataWriter(std::shared_ptr<const DataFiles> files, std::string file_id, UniqueFd fd)
      : files_(std::move(files)), file_id_(std::move(file_id)), fd_(std::move(fd)) {}
  Status Broken(Status status);
  // The directory the file is in now: tmp/, or its shard once moved there.
  int DirFd() const;
  // Renames tmp/<id> into its shard (once).
  Status MoveIntoShard();
  // Writes everything or breaks the writer; counts the bytes into size_.
  Status WriteAll(const char* data, size_t size);
  // With fsync on: starts an fdatasync of what is written so far on a thread of its own, unless
  // one is still running.
  void FlushInBackground();
  // Waits for the background flush, if any; its error, if it failed.
  Status JoinFlush();

  static constexpr uint64_t kWritebackBytes = 8ull << 20;
  // A device with a volatile write cache (a virtual disk) persists what it holds only on a
  // cache flush, which takes time in proportion: flushing during a big upload leaves the final
  // fsync the tail only.
  static constexpr uint64_t kBackgroundFlushBytes = 64ull << 20;

  std::shared_ptr<const DataFiles> files_;
  std::string file_id_;
  UniqueFd fd_;
  uint64_t size_ = 0;
  uint64_t writeback_begin_ = 0;  // bytes before this offset have been handed to writeback
  uint64_t flushed_upto_ = 0;     // bytes before this offset were covered by a flush started
  bool flush_started_ = false;    // some flush ran (so flushed_upto_ == size_ means all of it)
  bool in_shard_ = false;         // moved from tmp/ into objects/<shard>/ (StartFlush, Finish)
  std::thread flusher_;
  std::atomic<bool> flush_running_{false};
  int flush_errno_ = 0;  // written by flusher_, read after joining it
  Status error_;
  bool done_ = false;
};

class DataFiles : public std::enable_shared_from_this<DataFiles> {
 public:
  // Creates <root>/spare, <root>/tmp and <root>/objects/00..ff if missing and opens them. `generation` is
  // the prefix of every id made by this instance; it must be larger than any used before.
  static Result<std::shared_ptr<DataFiles>> Open(const std::filesystem::path& root,
                                                 uint64_t generation, bool fsync);
  ~DataFiles();
  DataFiles(const DataFiles&) = delete;
  DataFiles& operator=(const DataFiles&) = delete;

  uint64_t generation() const { return generation_; }
  bool fsync() const { return fsync_; }

  // A fresh id of this generation; never returned twice.
  std::string NewId();
  Result<std::unique_ptr<DataWriter>> NewWriter();

  // Opens objects/<shard>/<id> read-only. kNotFound if it does not exist.
  Result<UniqueFd> OpenObject(std::string_view file_id) const;
  // The same file, shared through the open-file cache (readers of small objects).
  Result<std::shared_ptr<const UniqueFd>> OpenObjectShared(std::string_view file_id) const;
  // Unlinks objects/<shard>/<id> (and drops it from the cache); a missing file is not an error.
  Status UnlinkObject(std::string_view file_id) const;

  // Removes every entry of tmp/ and spare/ (at open, before any writer exists). Returns how
  // many were in tmp/ (uploads a restart interrupted).
  Result<size_t> ClearTmp() const;
  // Calls `visit(id)` for each file in objects/, shard by shard, until it returns false.
  // Names that are not ids are skipped. Files may come and go concurrently.
  Status ForEachObjectFile(const std::function<bool(std::string_view file_id)>& visit) const;

  // Diagnostics.
  Result<size_t> CountTmpFiles() const;
  Result<size_t> CountObjectFiles() const;
  std::filesystem::path ObjectPath(std::string_view file_id) const;

  static bool IsValidId(std::string_view file_id);
  // The generation an id was made in; nullopt for a malformed id.
  static std::optional<uint64_t> GenerationOf(std::string_view file_id);

 private:
  friend class DataWriter;
  friend class StagedData;
  DataFiles(std::filesystem::path root, uint64_t generation, bool fsync);
  int ShardFd(std::string_view file_id) const;
  // Removes every entry of the directory `dir_fd` (<root>/<name>); returns how many.
  Result<size_t> ClearDirectory(int dir_fd, const std::string& name) const;

  const std::filesystem::path root_;
  const uint64_t generation_;
  const bool fsync_;
  std::atomic<uint64_t> next_sequence_{1};
  UniqueFd spare_dir_;
  UniqueFd tmp_dir_;
  std::array<UniqueFd, 256> shard_dirs_;
  std::unique_ptr<OpenFileCache> open_files_;
  std::unique_ptr<SpareFiles> spares_;  // after spare_dir_: stops before it closes
};

}  // namespace trainload::storage
