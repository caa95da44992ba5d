// The shared machinery of the storage engine: the LevelDB metadata index, the data files, the
// commit locks and the one way to commit a change (an index WriteBatch plus the data files it
// makes garbage). ObjectStore and MultipartStore are built on it.
//
// Open() recovers from any crash before returning: it bumps the generation (synced), empties
// tmp/ and unlinks the files named in garbage rows. The sweep of orphaned files (sweeper.h) is
// started by ObjectStore.
//
// Commit protocol (Commit()): the caller has the new data files in objects/ (StagedData, already
// durable) and builds one WriteBatch with the new rows, 'F' rows for files that become
// referenced, deleted 'F' rows for files that stop being referenced, and Commit() adds a 'G'
// (garbage) row listing the latter. One synced Write makes everything visible at once. Only
// then are the garbage files unlinked and the 'G' row deleted; a crash in between leaves the
// 'G' row, and the next Open() finishes the job.
//
// Thread-safe. Reads use LevelDB directly (point reads and iterators over implicit snapshots)
// and take no locks; FindObject() reads through a cache of decoded object records that
// Commit() keeps exact (every object row a batch writes is dropped from it after the write). Writers serialize on locks, always taken in this order:
//   1. bucket guard (shared for anything that adds rows under a bucket, exclusive for creating
//      and deleting the bucket itself; a FairSharedMutex, so a steady stream of PUTs cannot
//      starve DeleteBucket), striped by bucket name;
//   2. key lock (read-check-write of one object), striped by hash of (bucket, key);
//   3. upload lock (parts of one multipart upload), striped by upload id.
// At most one lock of each kind is held. Different keys commit concurrently, so LevelDB groups
// their synced writes into one log write.
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/time_format.h"
#include "server/storage/data_files.h"
#include "server/storage/fair_shared_mutex.h"
#include "server/storage/lru_cache.h"
#include "server/storage/records.h"
#include "server/storage/storage_options.h"
#include "trainload/status.h"

namespace leveldb {
class DB;
class FilterPolicy;
class Iterator;
class Status;
class WriteBatch;
}  // namespace leveldb

namespace trainload::storage {

class StoreCore {
 public:
  // Opens (creating if needed) the store at options.root and recovers it. `clock` must outlive
  // the core.
  static Result<std::unique_ptr<StoreCore>> Open(const StorageOptions& options, const Clock& clock);
  ~StoreCore();
  StoreCore(const StoreCore&) = delete;
  StoreCore& operator=(const StoreCore&) = delete;

  const StorageOptions& options() const { return options_; }
  const Clock& clock() const { return clock_; }
  DataFiles& files() const { return *files_; }
  uint64_t generation() const { return files_->generation(); }
  // What Open() cleaned up: entries removed from tmp/, files unlinked from garbage rows.
  size_t recovered_tmp_files() const { return recovered_tmp_files_; }
  size_t recovered_garbage_files() const { return recovered_garbage_files_; }

  // Point read of the latest committed value of `row`; nullopt if absent.
  Result<std::optional<std::string>> Get(std::string_view row) const;
  // An iterator over a consistent snapshot of the whole index (LevelDB's implicit snapshot).
  std::unique_ptr<leveldb::Iterator> NewIterator() const;

  // kNotFound naming `operation` when the bucket does not exist.
  Status RequireBucket(std::string_view bucket, std::string_view operation) const;
  Result<std::optional<BucketInfo>> GetBucket(std::string_view bucket) const;
  Result<std::optional<ObjectRecord>> GetObject(std::string_view bucket,
                                                std::string_view key) const;
  // The same record, shared and possibly from the record cache (null if absent): for readers.
  // Never older than the last Commit() that returned.
  Result<std::shared_ptr<const ObjectRecord>> FindObject(std::string_view bucket,
                                                         std::string_view key) const;

  // Atomically applies `batch` plus a garbage row for `garbage` (synced when options.fsync),
  // then unlinks the garbage files. On a failed write nothing is unlinked. `operation` names
  // the request for error messages.
  Status Commit(leveldb::WriteBatch& batch, const std::vector<std::string>& garbage,
                std::string_view operation);

  // Marks a data file referenced / unreferenced in `batch` ('F' rows, used by the sweep).
  static void AddFileRef(leveldb::WriteBatch& batch, std::string_view file_id);
  static void DropFileRef(leveldb::WriteBatch& batch, std::string_view file_id);

  // Adds to `batch` the rows that make `next` the object (replacing `current`, null if none):
  // the object row and 'F' rows for next's files; current's files that next does not use get
  // their 'F' rows dropped and are appended to `garbage`.
  static void StageObjectPut(leveldb::WriteBatch& batch, std::string_view bucket,
                             const ObjectRecord* current, const ObjectRecord& next,
                             std::vector<std::string>& garbage);
  // Adds the removal of `current` (row, 'F' rows) to `batch` and its files to `garbage`.
  static void StageObjectDelete(leveldb::WriteBatch& batch, std::string_view bucket,
                                const ObjectRecord& current, std::vector<std::string>& garbage);

  // Locks; see the order in the file comment.
  std::shared_lock<FairSharedMutex> ShareBucket(std::string_view bucket);
  std::unique_lock<FairSharedMutex> LockBucketExclusive(std::string_view bucket);
  std::unique_lock<std::mutex> LockKey(std::string_view bucket, std::string_view key);
  std::unique_lock<std::mutex> LockUpload(std::string_view upload_id);

 private:
  StoreCore(const StorageOptions& options, const Clock& clock);
  Status OpenIndex();
  Status BumpGeneration(uint64_t* generation);
  Status CollectGarbageRows();
  // Drops every object row `batch` puts or deletes from the record cache.
  void ForgetObjectRows(const leveldb::WriteBatch& batch);

  const StorageOptions options_;
  const Clock& clock_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_policy_;
  std::unique_ptr<leveldb::DB> db_;
  std::shared_ptr<DataFiles> files_;
  mutable LruCache<ObjectRecord> records_;  // keyed by object row
  size_t recovered_tmp_files_ = 0;
  size_t recovered_garbage_files_ = 0;

  static constexpr size_t kBucketStripes = 64;
  static constexpr size_t kKeyStripes = 1024;
  static constexpr size_t kUploadStripes = 256;
  std::array<FairSharedMutex, kBucketStripes> bucket_guards_;
  std::array<std::mutex, kKeyStripes> key_locks_;
  std::array<std::mutex, kUploadStripes> upload_locks_;
};

// kInvalidArgument naming `operation` unless 1 <= size <= kMaxBucketNameBytes / kMaxKeyBytes.
Status ValidateBucketName(std::string_view bucket, std::string_view operation);
Status ValidateKey(std::string_view key, std::string_view operation);

// Maps a LevelDB status to ours: Corruption -> kDataLoss, IOError -> kInternal (or
// kResourceExhausted when the disk is full), NotFound -> kNotFound.
Status FromLevelDb(const leveldb::Status& status, std::string_view what);

}  // namespace trainload::storage
