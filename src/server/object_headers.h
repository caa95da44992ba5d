// The HTTP headers of an object: the attributes a PUT (or CreateMultipartUpload, or a
// CopyObject with REPLACE) stores, and the headers GET/HEAD answer with.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "common/checksum.h"
#include "http/headers.h"
#include "server/route.h"
#include "server/storage/records.h"
#include "trainload/status.h"

namespace trainload::server {

// S3's limit on the user metadata of one object (names plus values, in bytes).
inline constexpr size_t kMaxUserMetadataBytes = 2048;

// Attributes from request headers: Content-Type and friends, x-amz-meta-*, storage class.
// Errors: MetadataTooLarge, InvalidStorageClass, NotImplemented (tagging, object lock,
// SSE-KMS/SSE-C, which trainload does not do), each naming the header.
Result<storage::ObjectAttributes> AttributesFromHeaders(const http::Headers& headers);

// Whether the request asked for stored checksums (x-amz-checksum-mode: ENABLED).
bool ChecksumModeEnabled(const http::Headers& headers);

struct ObjectHeaderOptions {
  bool include_checksum = false;        // x-amz-checksum-* of the returned bytes
  std::optional<uint32_t> part_number;  // answering ?partNumber=N: parts count, part checksum
};

// ETag, Last-Modified, Content-Type (default binary/octet-stream) and the other stored
// attributes, x-amz-meta-*, storage class, Accept-Ranges, parts count and checksum, with the
// response-* query overrides applied. Appended to `out`.
void AddObjectHeaders(const storage::ObjectRecord& record, const ObjectHeaderOptions& options,
                      const QueryParams& query, http::Headers& out);

// The algorithm of a stored checksum, and its x-amz-checksum-type value.
ChecksumAlgorithm StoredAlgorithm(const storage::StoredChecksum& checksum);
std::string_view ChecksumTypeName(const storage::StoredChecksum& checksum);
// The stored checksum as it appears on the wire: base64, with "-N" for composite ones.
std::string ChecksumWireValue(const storage::StoredChecksum& checksum, uint32_t part_count);

}  // namespace trainload::server
