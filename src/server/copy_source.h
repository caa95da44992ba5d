// The source of CopyObject and UploadPartCopy: the x-amz-copy-source header, parsed, and the
// source object opened with its x-amz-copy-source-if-* conditions checked.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/checksum.h"
#include "server/request_context.h"
#include "server/upload_body.h"
#include "server/storage/object_reader.h"

namespace trainload::server {

struct CopySource {
  std::string bucket;
  std::string key;
};

// "/bucket/key" or "bucket/key", percent-encoded, optionally "?versionId=null".
// Errors: InvalidArgument naming the header value.
Result<CopySource> ParseCopySource(std::string_view header);

// Opens the source (NoSuchBucket/NoSuchKey naming it) and evaluates the copy-source conditions
// (PreconditionFailed).
Result<std::unique_ptr<storage::ObjectReader>> OpenCopySource(RequestContext& ctx,
                                                              ServiceState& state,
                                                              const CopySource& source);

// Copies [offset, offset + length) of `source` into a new data file through MD5 and
// `algorithm`, for copies whose ETag or checksum must be computed anew (parts, multipart
// sources, another checksum algorithm).
Result<ReceivedBody> CopyThroughDigests(ServiceState& state, const storage::ObjectReader& source,
                                        uint64_t offset, uint64_t length,
                                        ChecksumAlgorithm algorithm);

}  // namespace trainload::server
