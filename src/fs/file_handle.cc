#include "fs/file_handle.h"

#include "fs/fs_error.h"

namespace trainload::fs {

std::unique_ptr<FileHandle> FileHandle::ForReading(
    InodeId inode, std::unique_ptr<prefetch::PrefetchingReader> reader) {
  std::string key = reader->object().key;
  std::unique_ptr<FileHandle> handle(new FileHandle(inode, std::move(key)));
  handle->reader_ = std::move(reader);
  return handle;
}

std::unique_ptr<FileHandle> FileHandle::ForWriting(InodeId inode, std::string key,
                                                   std::unique_ptr<WriteHandle> writer) {
  std::unique_ptr<FileHandle> handle(new FileHandle(inode, std::move(key)));
  handle->writer_ = std::move(writer);
  return handle;
}

Result<size_t> FileHandle::Read(uint64_t offset, uint64_t length, prefetch::PinnedBytes& out) {
  if (!reader_) {
    return Error(
        MakeFsError(FsError::kBadHandle, "read of " + key_ +
                                             ": the file is open for writing only (a file "
                                             "being written cannot be read until it is closed)"));
  }
  return reader_->ReadPinned(offset, length, out);
}

}  // namespace trainload::fs
