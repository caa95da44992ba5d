// One object being written through the mount (docs/mount.md, "Writes"). Bytes must arrive in
// order from offset 0, as `cp`, `dd` and most writers produce them; they stream to S3 through a
// Client ObjectWriter (one PUT for a small object, a parallel multipart upload past one part)
// and the object appears in the bucket only at Commit(), all at once.
//
// A write anywhere else than the current end fails with FsError::kOutOfOrderWrite and abandons
// the upload, as does an upload error (from Write or Commit): nothing appears in the bucket and
// every later call, Commit included, returns that error. Once Commit() has run the handle
// takes no more writes (FsError::kBadHandle). Destroying an uncommitted handle aborts the
// upload.
//
// Thread-safe: a mutex serializes the calls (FUSE may deliver them on several threads).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "trainload/client.h"

namespace trainload::fs {

class WriteHandle {
 public:
  // `uri` names the object in messages ("s3://bucket/key").
  WriteHandle(std::unique_ptr<ObjectWriter> writer, std::string uri);
  ~WriteHandle();
  WriteHandle(const WriteHandle&) = delete;
  WriteHandle& operator=(const WriteHandle&) = delete;

  // Appends `data`, which must start at `offset` == size(). Returns the new size.
  Result<uint64_t> Write(uint64_t offset, std::span<const std::byte> data);

  // Completes the upload. Later calls return the first call's result.
  Result<PutResult> Commit();

  // Bytes accepted so far.
  uint64_t size() const;
  bool committed() const;

 private:
  mutable std::mutex mu_;
  std::unique_ptr<ObjectWriter> writer_;  // guarded by mu_; null once committed or failed
  const std::string uri_;
  uint64_t size_ = 0;                         // guarded by mu_
  std::optional<Result<PutResult>> outcome_;  // guarded by mu_; set by Commit
  Status failure_;                            // guarded by mu_; an upload error
};

}  // namespace trainload::fs
