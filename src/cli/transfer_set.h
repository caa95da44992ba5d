// The transfers of one many-object command (cp -r, sync): uploads, downloads, server-side copies
// and deletions run on a bounded pool of CLI threads, feeding one Progress and one FailureList.
// Each large object is itself parallel inside the client, so a few big files and many small ones
// share the connections.
//
// Also the sorted entry streams sync merges and cp -r walks: a local tree and an S3 prefix,
// both filtered by --include/--exclude on their relative paths.
//
// TransferSet's methods are called from one thread (the command's); the work runs on the pool.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cli/command_support.h"
#include "cli/path_filter.h"
#include "cli/progress.h"
#include "cli/sync_plan.h"
#include "cli/worker_pool.h"
#include "trainload/client.h"

namespace trainload::cli {

class TransferSet {
 public:
  // `put`: content type and metadata for uploads and copies (an empty content type lets
  // uploads guess one from the file name, and copies keep the source's).
  TransferSet(Client& client, size_t concurrency, PutOptions put, Progress& progress);
  ~TransferSet();

  void Upload(std::string path, uint64_t size, std::string bucket, std::string key);
  // Creates parent directories, downloads (one GET when `size` is small), then sets the file's
  // mtime to `mtime_ms` (the object's LastModified) so a later sync sees it as current.
  void Download(std::string bucket, std::string key, uint64_t size, int64_t mtime_ms,
                std::string path);
  void Copy(std::string source_bucket, std::string source_key, uint64_t size, std::string bucket,
            std::string key);
  void RemoveLocal(std::string path);
  // Deletions are batched (DeleteObjects takes 1000 keys) and sent as batches fill.
  void DeleteObject(std::string bucket, std::string key);

  // Waits for everything, sends the last deletion batch.
  void Wait();
  uint64_t deleted() const { return deleted_; }
  FailureList& failures() { return failures_; }

 private:
  void FlushDeletes();

  Client& client_;
  const PutOptions put_;
  Progress& progress_;
  FailureList failures_;
  std::atomic<uint64_t> deleted_{0};
  std::string delete_bucket_;
  std::vector<std::string> delete_batch_;
  std::unique_ptr<WorkerPool> pool_;  // last: its tasks use the members above
};

// Files under `root` in byte order of their relative path, filtered; unreadable entries are
// recorded in `failures` and skipped.
EntryStream LocalEntries(const std::string& root, const PathFilter& filter, FailureList& failures);

// Objects under `prefix` (a directory prefix: "" or ending in '/') page by page, relative to
// it, filtered; directory markers (keys ending in '/') are left out.
EntryStream ObjectEntries(Client& client, const std::string& bucket, const std::string& prefix,
                          const PathFilter& filter);

}  // namespace trainload::cli
