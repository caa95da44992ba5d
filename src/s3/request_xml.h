// Parsers for the XML request bodies S3 accepts: CompleteMultipartUpload, DeleteObjects,
// CreateBucket and PutBucketVersioning.
//
// Every parser returns an s3 MalformedXML error (s3::MakeError) whose message names the operation
// and what was wrong ("CompleteMultipartUpload: PartNumber 'x' is not a number") when the body is
// not well-formed XML, has the wrong root element, lacks a required element, repeats a
// single-valued one, or holds a value of the wrong form.
//
// Leniency, as S3 and real clients need it:
// - Element names match with or without a namespace (xmlns on the root, or a prefix such as
//   s3:Part); the namespace URI is not checked.
// - Whitespace between elements is ignored; numbers, booleans, ETags, versioning states and
//   location fields are trimmed of surrounding whitespace. Keys and version ids are taken
//   verbatim (a key may begin or end with spaces).
// - Elements a parser does not know are ignored, so fields newer SDKs add do not break requests.
// - An XML declaration, a UTF-8 byte order mark, comments and CDATA sections are accepted.
//   Bodies are UTF-8 (or ISO-8859-1 when the declaration says so); UTF-16 bodies, which no S3
//   client sends, fail the NUL check below.
//
// Hostile input: parsing is iterative (deep nesting cannot exhaust the stack), DTD entities are
// never expanded, and element counts are capped (10,000 parts, 1,000 objects). Callers cap the
// body size before calling. NUL bytes and character references to NUL (&#0;) are rejected
// because they would silently cut a key short (the check is textual, so a literal "&#0;" inside
// CDATA is rejected too).
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trainload/status.h"

namespace trainload::s3 {

// Most parts a CompleteMultipartUpload body may list (S3's part-number range is 1-10,000).
inline constexpr size_t kMaxCompletedParts = 10000;
// Most objects one DeleteObjects request may name.
inline constexpr size_t kMaxDeleteObjects = 1000;

struct CompletedPart {
  // Any unsigned 32-bit value; the handler checks the 1-10,000 range and the ordering
  // (InvalidPartOrder) against the upload.
  uint32_t part_number = 0;
  // Surrounding quotes stripped ("\"abc\"" and "abc" both give "abc"); empty when absent.
  std::string etag;
  // Every <Checksum...> child in document order, e.g. {"ChecksumCRC32", "base64"}; the handler
  // decides which algorithms it supports and verifies the values.
  std::vector<std::pair<std::string, std::string>> checksums;
};

// <CompleteMultipartUpload><Part><PartNumber/><ETag/><ChecksumCRC32/>...</Part>...
// </CompleteMultipartUpload>. At least one and at most kMaxCompletedParts parts.
Result<std::vector<CompletedPart>> ParseCompleteMultipartUpload(std::string_view body);

struct ObjectToDelete {
  std::string key;
  // Empty when the request names no version.
  std::string version_id;
  // Per-object <ETag> (conditional delete, If-Match semantics), quotes stripped.
  std::optional<std::string> etag;
};

struct DeleteRequest {
  bool quiet = false;
  std::vector<ObjectToDelete> objects;
};

// <Delete><Quiet>true</Quiet><Object><Key/><VersionId/><ETag/></Object>...</Delete>.
// Between 1 and kMaxDeleteObjects objects, each with exactly one <Key> (an empty key is passed
// through: the handler reports it per object). Quiet accepts true/false/1/0, any case.
Result<DeleteRequest> ParseDelete(std::string_view body);

struct CreateBucketConfiguration {
  // Empty means us-east-1 (the CLI sends no body there).
  std::string location_constraint;
  // Directory buckets: <Location><Name/><Type/></Location>, <Bucket><DataRedundancy/><Type/>.
  std::string location_name;
  std::string location_type;
  std::string bucket_type;
  std::string data_redundancy;
};

// <CreateBucketConfiguration><LocationConstraint/>...</CreateBucketConfiguration>. An empty or
// whitespace-only body gives the defaults. Values are not validated against known regions.
Result<CreateBucketConfiguration> ParseCreateBucketConfiguration(std::string_view body);

// The <Status> of a PutBucketVersioning body: "Enabled" or "Suspended" (exact case, as S3).
// A missing Status or any other value is MalformedXML. <MfaDelete> is ignored.
Result<std::string> ParseVersioningStatus(std::string_view body);

}  // namespace trainload::s3
