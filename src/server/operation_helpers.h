// Small pieces several S3 operations share: existence checks that answer with the right S3
// code, write conditions, and checksum settings from request headers.
#pragma once

#include <optional>
#include <string_view>

#include "common/checksum.h"
#include "s3/conditions.h"
#include "server/request_context.h"
#include "server/upload_body.h"

namespace trainload::server {

// Ok when the request's bucket exists, else NoSuchBucket naming it.
Status RequireBucket(RequestContext& ctx, ServiceState& state);

// Turns a kNotFound from an object call into NoSuchBucket or NoSuchKey (looking the bucket up);
// other errors pass through.
Status ObjectNotFound(RequestContext& ctx, ServiceState& state, const Status& status);

// If-Match / If-None-Match of the request.
s3::Conditions WriteConditions(const RequestContext& ctx);
bool HasWriteConditions(const s3::Conditions& conditions);
// The conditions evaluated against the version a commit replaces (under the key lock).
storage::CommitCheck WriteCheck(const s3::Conditions& conditions);
// Evaluates them before a body is read, to fail fast; the commit checks again.
Status EarlyWriteCheck(RequestContext& ctx, ServiceState& state, const s3::Conditions& conditions);

// The algorithm named by x-amz-checksum-algorithm (CopyObject, CreateMultipartUpload), or
// nullopt; InvalidRequest for an unknown name.
Result<std::optional<ChecksumAlgorithm>> RequestedAlgorithm(const RequestContext& ctx);

// A computed checksum as the store keeps it (full-object).
std::optional<storage::StoredChecksum> ToStored(const std::optional<ChecksumValue>& value);

// Parses a decimal query parameter in [min, max]; nullopt when absent; InvalidArgument naming
// the parameter otherwise.
Result<std::optional<int64_t>> IntegerParam(const QueryParams& query, std::string_view name,
                                            int64_t min, int64_t max);

}  // namespace trainload::server
