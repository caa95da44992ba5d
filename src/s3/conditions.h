// S3 conditional requests: If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since on
// reads (GetObject, HeadObject), their x-amz-copy-source-if-* twins on CopyObject and
// UploadPartCopy, and If-Match / If-None-Match on writes (PutObject, CompleteMultipartUpload,
// CopyObject's destination, DeleteObject).
//
// Reads follow RFC 9110 13.2.2, which gives exactly the precedence S3 documents:
//   1. If-Match present: false -> 412. (If-Unmodified-Since is then not evaluated, so
//      If-Match true wins over If-Unmodified-Since false.)
//      Otherwise If-Unmodified-Since present: modified after it -> 412.
//   2. If-None-Match present: an ETag matches -> 304. (If-Modified-Since is then not evaluated,
//      so If-None-Match false with If-Modified-Since true gives 304.)
//      Otherwise If-Modified-Since present: not modified after it -> 304.
// Copy sources use the same rules, but every failure is 412 (S3 never answers a copy with 304).
// Writes accept only If-None-Match: * and If-Match (see EvaluateWrite).
//
// Times are compared in whole seconds, as HTTP dates carry them: the caller passes the object's
// Last-Modified truncated to seconds. ETags are compared without their quotes; If-Match uses
// the strong comparison (a W/ tag never matches), If-None-Match the weak one (W/ ignored).
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "trainload/status.h"

namespace trainload::s3 {

struct Conditions {
  std::optional<std::string> if_match;         // raw header value: `*` or a list of entity tags
  std::optional<std::string> if_none_match;    // idem
  std::optional<int64_t> if_modified_since;    // unix seconds
  std::optional<int64_t> if_unmodified_since;  // unix seconds

  bool empty() const {
    return !if_match && !if_none_match && !if_modified_since && !if_unmodified_since;
  }
};

// Builds Conditions from raw header values (nullopt = header absent). An empty value counts as
// absent, and a date that is not a valid HTTP-date is ignored, as S3 ignores it.
Conditions ConditionsFromHeaders(std::optional<std::string_view> if_match,
                                 std::optional<std::string_view> if_none_match,
                                 std::optional<std::string_view> if_modified_since,
                                 std::optional<std::string_view> if_unmodified_since);

// Looks a lowercase header name up in a request; nullopt when absent.
using HeaderLookup = std::function<std::optional<std::string_view>(std::string_view name)>;

// Reads `<prefix>if-match`, `<prefix>if-none-match`, `<prefix>if-modified-since` and
// `<prefix>if-unmodified-since`: prefix "" for a request's own conditions,
// "x-amz-copy-source-" for a copy source's.
Conditions ConditionsFromHeaders(const HeaderLookup& lookup, std::string_view prefix = "");

enum class ConditionOutcome {
  kProceed,
  kNotModified,         // 304, no body
  kPreconditionFailed,  // 412 PreconditionFailed
};

// GET/HEAD of an object whose ETag is `etag` (unquoted) and Last-Modified `last_modified_seconds`.
// When `now_seconds` is given, an If-Modified-Since later than it is ignored (RFC 2616 14.25; S3
// was seen copying despite a future x-amz-copy-source-if-modified-since).
ConditionOutcome EvaluateRead(const Conditions& conditions, std::string_view etag,
                              int64_t last_modified_seconds,
                              std::optional<int64_t> now_seconds = std::nullopt);

// x-amz-copy-source-if-* against the source object: kProceed or kPreconditionFailed.
ConditionOutcome EvaluateCopySource(const Conditions& conditions, std::string_view etag,
                                    int64_t last_modified_seconds,
                                    std::optional<int64_t> now_seconds = std::nullopt);

// The S3 error of a failed read or copy-source outcome: NotModified (304) or PreconditionFailed
// (412), with a message naming `resource` (e.g. "bucket/key"). Ok for kProceed.
Status ConditionStatus(ConditionOutcome outcome, std::string_view resource);

// If-Match / If-None-Match on a write to a key that `exists` (with ETag `current_etag`,
// unquoted) or not. Date conditions are not used by writes and are ignored. Errors:
//   NotImplemented (501)      If-None-Match other than `*`, or If-Match and If-None-Match together
//   PreconditionFailed (412)  If-None-Match: * and the key exists; If-Match does not match
//   NoSuchKey (404)           If-Match and the key does not exist
Status EvaluateWrite(const Conditions& conditions, bool exists, std::string_view current_etag);

}  // namespace trainload::s3
