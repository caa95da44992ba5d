#include "server/storage/object_reader.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace trainload::storage {

Result<std::unique_ptr<ObjectReader>> ObjectReader::Open(
    const DataFiles& files, std::shared_ptr<const ObjectRecord> record, ByteWindow window) {
  std::unique_ptr<ObjectReader> reader(new ObjectReader());
  reader->window_begin_ = std::min(window.offset, record->size);
  reader->window_end_ = window.length >= record->size - reader->window_begin_
                            ? record->size
                            : reader->window_begin_ + window.length;
  uint64_t begin = 0;
  reader->segments_.reserve(record->segments.size());
  for (const Segment& segment : record->segments) {
    OpenSegment open;
    open.begin = begin;
    open.size = segment.size;
    uint64_t end = begin + segment.size;
    if (segment.size > 0 && begin < reader->window_end_ && end > reader->window_begin_) {
      TL_ASSIGN_OR_RETURN(open.file, files.OpenObjectShared(segment.file_id));
    }
    reader->segments_.push_back(std::move(open));
    begin = end;
  }
  reader->record_ = std::move(record);
  return reader;
}

Result<size_t> ObjectReader::ReadAt(uint64_t offset, std::span<std::byte> out) const {
  if (offset >= size() || out.empty()) return 0;
  uint64_t end = offset + std::min<uint64_t>(out.size(), size() - offset);
  if (offset < window_begin_ || end > window_end_) {
    return Error(OutOfRange("read of bytes [" + std::to_string(offset) + ", " +
                            std::to_string(end) + ") of \"" + record_->key +
                            "\" outside the opened window [" + std::to_string(window_begin_) +
                            ", " + std::to_string(window_end_) + ")"));
  }
  size_t done = 0;
  for (const ObjectExtent& extent : Extents(offset, end - offset)) {
    uint64_t file_offset = extent.offset;
    uint64_t left = extent.length;
    while (left > 0) {
      ssize_t n = ::pread(extent.fd, out.data() + done, static_cast<size_t>(left),
                          static_cast<off_t>(file_offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return Error(ErrnoStatus("read \"" + record_->key + "\"", errno));
      }
      if (n == 0) {
        return Error(DataLoss("data file of \"" + record_->key + "\" is shorter than its record"));
      }
      done += static_cast<size_t>(n);
      file_offset += static_cast<uint64_t>(n);
      left -= static_cast<uint64_t>(n);
    }
  }
  return done;
}

std::vector<ObjectExtent> ObjectReader::Extents(uint64_t offset, uint64_t length) const {
  std::vector<ObjectExtent> extents;
  uint64_t begin = std::max(offset, window_begin_);
  uint64_t end = length >= window_end_ - std::min(offset, window_end_)
                     ? window_end_
                     : std::min(offset + length, window_end_);
  if (begin >= end) return extents;
  // First segment whose end is past `begin`.
  auto it =
      std::upper_bound(segments_.begin(), segments_.end(), begin,
                       [](uint64_t pos, const OpenSegment& s) { return pos < s.begin + s.size; });
  for (; it != segments_.end() && it->begin < end; ++it) {
    uint64_t piece_begin = std::max(begin, it->begin);
    uint64_t piece_end = std::min(end, it->begin + it->size);
    if (piece_begin >= piece_end) continue;
    extents.push_back({it->file->get(), piece_begin - it->begin, piece_end - piece_begin});
  }
  return extents;
}

}  // namespace trainload::storage
