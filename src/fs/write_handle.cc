#include "fs/write_handle.h"

#include <utility>

#include "fs/fs_error.h"

namespace trainload::fs {

WriteHandle::WriteHandle(std::unique_ptr<ObjectWriter> writer, std::string uri)
    : writer_(std::move(writer)), uri_(std::move(uri)) {}

WriteHandle::~WriteHandle() {
  std::lock_guard lock(mu_);
  if (writer_) writer_->Abort();
}

Result<uint64_t> WriteHandle::Write(uint64_t offset, std::span<const std::byte> data) {
  std::lock_guard lock(mu_);
  if (!failure_.ok()) return Error(failure_);
  if (outcome_.has_value()) {
    return Error(MakeFsError(FsError::kBadHandle,
                             "write to " + uri_ + " after it was committed (closed or fsynced)"));
  }
  if (offset != size_) {
    // The writer meant bytes to land elsewhere: what it wrote so far is not the file it wants,
    // so none of it may appear in the bucket.
    failure_ = MakeFsError(FsError::kOutOfOrderWrite,
                           "write of " + std::to_string(data.size()) + " bytes at offset " +
                               std::to_string(offset) + " to " + uri_ +
                               ": new files are written sequentially and " + std::to_string(size_) +
                               " bytes were written so far; the upload is abandoned");
    writer_->Abort();
    writer_.reset();
    return Error(failure_);
  }
  if (data.empty()) return size_;
  Status status = writer_->Write(data);
  if (!status.ok()) {
    // The upload is broken: nothing of it will appear, and the writer says so from now on.
    failure_ = status.WithContext("writing " + uri_);
    writer_->Abort();
    writer_.reset();
    return Error(failure_);
  }
  size_ += data.size();
  return size_;
}

Result<PutResult> WriteHandle::Commit() {
  std::lock_guard lock(mu_);
  if (outcome_.has_value()) return *outcome_;
  if (!failure_.ok()) {
    outcome_ = Error(failure_);
    return *outcome_;
  }
  Result<PutResult> result = writer_->Close();
  writer_.reset();
  if (!result.has_value()) {
    failure_ = result.error().WithContext("uploading " + uri_);
    outcome_ = Error(failure_);
  } else {
    outcome_ = std::move(result);
  }
  return *outcome_;
}

uint64_t WriteHandle::size() const {
  std::lock_guard lock(mu_);
  return size_;
}

bool WriteHandle::committed() const {
  std::lock_guard lock(mu_);
  return outcome_.has_value();
}

}  // namespace trainload::fs
