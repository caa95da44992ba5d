// An open object: its record plus open file descriptors for the data files that hold its
// bytes (all of them, or those overlapping a requested window).
//
// Holding the descriptors pins the version: an overwrite or delete that commits meanwhile
// unlinks the files, but POSIX keeps unlinked files readable through open descriptors, so a
// reader never sees a mix of two versions. A window limits how many descriptors a reader of a
// small range of a many-part object holds (a 10,000-part object would otherwise need 10,000).
//
// ReadAt() and Extents() are const and safe to call from several threads at once (pread).
// Extents hands out raw descriptors owned by the reader: they stay valid while it lives.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <vector>

#include "server/storage/data_files.h"
#include "server/storage/records.h"
#include "trainload/status.h"

namespace trainload::storage {

// A piece of one data file, e.g. for sendfile(fd, &offset, length).
struct ObjectExtent {
  int fd = -1;
  uint64_t offset = 0;  // within the file
  uint64_t length = 0;

  friend bool operator==(const ObjectExtent&, const ObjectExtent&) = default;
};

// The byte range [offset, offset + length) of an object a reader will access; the default is
// the whole object.
struct ByteWindow {
  uint64_t offset = 0;
  uint64_t length = std::numeric_limits<uint64_t>::max();
};

class ObjectReader {
 public:
  // Opens the files of `record`'s segments that overlap `window`. kNotFound (from the file
  // system) when one is missing, e.g. because an overwrite removed it after the record was read:
  // the store then re-reads the record and retries.
  static Result<std::unique_ptr<ObjectReader>> Open(const DataFiles& files,
                                                    std::shared_ptr<const ObjectRecord> record,
                                                    ByteWindow window = {});

  const ObjectRecord& record() const { return *record_; }
  uint64_t size() const { return record_->size; }
  // The part of the object this reader can access (the window clamped to the object).
  uint64_t window_begin() const { return window_begin_; }
  uint64_t window_end() const { return window_end_; }

  // Reads up to out.size() bytes at `offset`; fewer only at the end of the object (0 at or past
  // it). kOutOfRange if [offset, offset + out.size()) leaves the window, kInternal/kDataLoss on
  // an I/O error or a file shorter than its record says.
  Result<size_t> ReadAt(uint64_t offset, std::span<std::byte> out) const;

  // File pieces covering exactly [offset, offset + length) clamped to the object and the
  // window, in order, without empty pieces.
  std::vector<ObjectExtent> Extents(uint64_t offset, uint64_t length) const;

 private:
  struct OpenSegment {
    uint64_t begin = 0;  // offset of the segment in the object
    uint64_t size = 0;
    std::shared_ptr<const UniqueFd> file;  // null for segments outside the window
  };
  ObjectReader() = default;

  std::shared_ptr<const ObjectRecord> record_;  // never null
  std::vector<OpenSegment> segments_;
  uint64_t window_begin_ = 0;
  uint64_t window_end_ = 0;
};

}  // namespace trainload::storage
