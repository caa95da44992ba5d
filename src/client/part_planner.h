// How a transfer splits an object into parts. Pure functions; thread-safe.
//
// Downloads: a small first part (time to first byte), then part_size ranges, the last one
// shorter. Uploads: part_size, grown when needed so the object fits S3's 10,000 parts, within
// S3's 5 MiB..5 GiB part limits.
#pragma once

#include <cstdint>
#include <vector>

#include "trainload/client.h"

namespace trainload::client {

inline constexpr uint64_t kMinUploadPartSize = 5ull << 20;
inline constexpr uint64_t kMaxUploadPartSize = 5ull << 30;
inline constexpr uint64_t kMaxUploadParts = 10000;

// Ranges covering [offset, offset + length): the first `first_part` bytes (if non-zero), then
// `part_size` pieces. Empty for length 0.
std::vector<ByteRange> PlanDownloadParts(uint64_t offset, uint64_t length, uint64_t first_part,
                                         uint64_t part_size);

// The part size for uploading `object_size` bytes with `preferred` parts: at least 5 MiB, large
// enough for at most 10,000 parts (rounded up to a MiB), at most 5 GiB.
uint64_t UploadPartSize(uint64_t object_size, uint64_t preferred);

}  // namespace trainload::client
