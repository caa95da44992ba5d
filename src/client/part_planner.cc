#include "client/part_planner.h"

#include <algorithm>

namespace trainload::client {

std::vector<ByteRange> PlanDownloadParts(uint64_t offset, uint64_t length, uint64_t first_part,
                                         uint64_t part_size) {
  std::vector<ByteRange> parts;
  if (length == 0) return parts;
  part_size = std::max<uint64_t>(part_size, 1);
  uint64_t end = offset + length;
  uint64_t at = offset;
  if (first_part > 0) {
    uint64_t n = std::min(first_part, length);
    parts.push_back(ByteRange{at, at + n - 1});
    at += n;
  }
  parts.reserve(parts.size() + (end - at + part_size - 1) / part_size);
  while (at < end) {
    uint64_t n = std::min(part_size, end - at);
    parts.push_back(ByteRange{at, at + n - 1});
    at += n;
  }
  return parts;
}

uint64_t UploadPartSize(uint64_t object_size, uint64_t preferred) {
  constexpr uint64_t kMiB = 1ull << 20;
  uint64_t size = std::max(preferred, kMinUploadPartSize);
  uint64_t needed = (object_size + kMaxUploadParts - 1) / kMaxUploadParts;
  needed = (needed + kMiB - 1) / kMiB * kMiB;
  return std::min(std::max(size, needed), kMaxUploadPartSize);
}

}  // namespace trainload::client
