// The ETag and checksum S3 gives an object completed from parts. Pure; thread-safe.
//
//   ETag: hex(MD5(md5(part 1) || ... || md5(part N))) + "-N".
//   COMPOSITE checksum: the algorithm over the concatenated raw part checksums, shown "b64-N".
//   FULL_OBJECT checksum (CRCs only): the CRC of the whole object, combined from the parts' CRCs
//   and sizes without reading data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/checksum.h"

namespace trainload::server {

struct PartDigest {
  std::string md5;       // raw 16 bytes
  std::string checksum;  // raw, of the upload's algorithm; empty when the part has none
  uint64_t size = 0;
};

// ETag (without quotes) of the parts in order.
std::string MultipartETag(const std::vector<PartDigest>& parts);

// The object's checksum, or nullopt when a part has none (or FULL_OBJECT is asked of a SHA).
std::optional<std::string> CompositeChecksum(ChecksumAlgorithm algorithm,
                                             const std::vector<PartDigest>& parts);
std::optional<std::string> FullObjectChecksum(ChecksumAlgorithm algorithm,
                                              const std::vector<PartDigest>& parts);

}  // namespace trainload::server
