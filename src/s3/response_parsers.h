// Parsers for the XML bodies S3 servers send back to a client: errors, ListBuckets,
// ListObjects (V1 and V2), multipart upload results and listings, copy results, DeleteObjects
// results and the bucket location. The mirror image of response_xml.h and list_xml.h, written to
// read what Amazon S3, MinIO, Ceph RGW and the trainload server send.
//
// Each parser takes the whole body and returns a plain struct. Errors:
// - The body is not well-formed XML (a listing cut short by a dropped connection included), the
//   root element is not the expected one, a required element is missing, or a value has the
//   wrong form (a Size that is not a number, a timestamp that is not ISO 8601, a bad %XX escape
//   under encoding-type=url): Status kDataLoss with an empty reason and a message naming the
//   document and what was wrong ("ListBucketResult: <Size> 'x' is not a number").
// - The root element is <Error>: S3 can answer CompleteMultipartUpload and CopyObject (and
//   UploadPartCopy) with 200 OK and then an error document, so every parser turns an <Error>
//   root into the Status StatusFromError() builds: reason() is the S3 code, so the caller can
//   retry InternalError as it would after a 500.
//
// Leniency, as several server implementations need it:
// - Element names match with or without a namespace (xmlns on the root, or a prefix such as
//   s3:Key); the namespace URI is not checked. Elements may come in any order; unknown elements
//   are ignored; a repeated single-valued element keeps its last value.
// - Whitespace between elements, before the document (S3 sends spaces while it works on a
//   CompleteMultipartUpload) and around numbers, booleans, timestamps, ETags, tokens, ids and
//   codes is ignored. Keys, prefixes, delimiters and markers are taken verbatim (a key may begin
//   or end with spaces).
// - Timestamps: "2009-10-12T17:50:30.000Z", without milliseconds, with any fraction, with
//   "+00:00" for "Z", or with no zone at all (AWS's own CopyObject example): UTC is assumed.
// - ETags lose surrounding quotes, whether sent as '"' or as &quot;.
// - Booleans: true/false in any case, or 1/0.
// NUL characters cannot be represented: a NUL byte or a character reference to NUL (&#0;) is
// kDataLoss rather than a key silently cut short (listings should use encoding-type=url, which
// carries any byte).
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "s3/response_xml.h"
#include "trainload/status.h"

namespace trainload::s3 {

// The fields of an <Error> document. Fields the body does not have are empty.
struct ParsedError {
  std::string code;  // "NoSuchKey"
  std::string message;
  std::string resource;
  std::string request_id;
  std::string host_id;
  std::string key;       // <Key> (NoSuchKey)
  std::string bucket;    // <BucketName> (NoSuchBucket, BucketAlreadyExists, ...)
  std::string region;    // <Region> (AuthorizationHeaderMalformed: the region to sign for)
  std::string endpoint;  // <Endpoint> (PermanentRedirect: the host to use)
};

// Never fails: an empty, HTML, plain-text or truncated body, or one whose root is not <Error>,
// gives empty fields (the caller then falls back on the HTTP status).
ParsedError ParseErrorBody(std::string_view body);

// The Status for an S3 error: s3::MakeError(code) when the code is in error_code.h, else
// StatusCode kInternal with reason() = the raw code (empty when the document had none). The
// message is "<context>: <Message>" (the code when there is no message), with " (request id
// <RequestId>)" appended when the server sent one.
Status StatusFromError(const ParsedError& error, std::string_view context);

// <Owner>, <Initiator>.
struct ParsedUser {
  std::string id;
  std::string display_name;
  friend bool operator==(const ParsedUser&, const ParsedUser&) = default;
};

// ListBuckets: <ListAllMyBucketsResult>.
struct ParsedBucket {
  std::string name;
  int64_t creation_date_ms = 0;
  std::string region;  // <BucketRegion>; empty when the server does not send it
};
struct ParsedBucketList {
  std::optional<ParsedUser> owner;
  std::vector<ParsedBucket> buckets;
  std::string continuation_token;  // empty on the last page
  std::string prefix;
};
Result<ParsedBucketList> ParseListAllMyBucketsResult(std::string_view body);

// One <Contents> of a listing.
struct ParsedObject {
  std::string key;
  int64_t last_modified_ms = 0;
  std::string etag;  // quotes stripped
  uint64_t size = 0;
  std::string storage_class;       // as sent; empty when absent
  std::string checksum_algorithm;  // "CRC64NVME"; empty when absent
  std::string checksum_type;       // "FULL_OBJECT" / "COMPOSITE"; empty when absent
  std::optional<ParsedUser> owner;
};

// ListObjectsV2 and ListObjects (V1) both answer <ListBucketResult>; the fields of the other
// version stay empty. With <EncodingType>url</EncodingType> (anywhere in the document), Key,
// Prefix, CommonPrefixes/Prefix, Delimiter, StartAfter, Marker and NextMarker are decoded as S3
// encodes them ('+' is a space, %XX a byte); tokens are never encoded.
struct ParsedObjectList {
  std::string bucket;  // <Name>
  std::string prefix;
  std::string delimiter;
  std::string encoding_type;  // "url" or empty; the values below are already decoded
  int64_t max_keys = 0;
  bool is_truncated = false;
  std::vector<ParsedObject> contents;
  std::vector<std::string> common_prefixes;
  // V2.
  std::optional<int64_t> key_count;
  std::string start_after;
  std::string continuation_token;
  std::string next_continuation_token;
  // V1.
  std::string marker;
  std::string next_marker;  // S3 sends it only when the request had a delimiter
};
// <IsTruncated> is required (without it a client cannot tell the last page); <Key> in each
// <Contents> and <Prefix> in each <CommonPrefixes> are required too.
Result<ParsedObjectList> ParseListBucketResult(std::string_view body);

// Where a truncated V1 listing continues: NextMarker when sent, else the greater of the last
// key and the last common prefix (S3's rule for responses without NextMarker). Empty when the
// listing is not truncated.
std::string ListV1ResumeMarker(const ParsedObjectList& list);

// <InitiateMultipartUploadResult>; <UploadId> is required.
struct ParsedInitiateMultipartUpload {
  std::string bucket;
  std::string key;
  std::string upload_id;
};
Result<ParsedInitiateMultipartUpload> ParseInitiateMultipartUploadResult(std::string_view body);

// <CompleteMultipartUploadResult>; <ETag> is required.
struct ParsedCompleteMultipartUpload {
  std::string location;
  std::string bucket;
  std::string key;
  std::string etag;           // quotes stripped: "hex-N"
  ChecksumFields checksums;   // every <Checksum*> except ChecksumType, in document order
  std::string checksum_type;  // "FULL_OBJECT" / "COMPOSITE"; empty when absent
};
Result<ParsedCompleteMultipartUpload> ParseCompleteMultipartUploadResult(std::string_view body);

// <CopyObjectResult> (CopyObject) and <CopyPartResult> (UploadPartCopy); <ETag> is required.
struct ParsedCopyResult {
  std::string etag;  // quotes stripped
  int64_t last_modified_ms = 0;
  ChecksumFields checksums;
  std::string checksum_type;
};
Result<ParsedCopyResult> ParseCopyObjectResult(std::string_view body);
Result<ParsedCopyResult> ParseCopyPartResult(std::string_view body);

// <DeleteResult>: one <Deleted> per removed key (none in quiet mode), one <Error> per key that
// could not be deleted. An empty <DeleteResult/> (quiet mode, all deleted) is valid.
struct ParsedDeleted {
  std::string key;
  std::string version_id;
  bool delete_marker = false;
  std::string delete_marker_version_id;
};
struct ParsedDeleteError {
  std::string key;
  std::string version_id;
  std::string code;  // "AccessDenied"
  std::string message;
};
struct ParsedDeleteResult {
  std::vector<ParsedDeleted> deleted;
  std::vector<ParsedDeleteError> errors;
};
Result<ParsedDeleteResult> ParseDeleteResult(std::string_view body);

// <ListPartsResult>: the parts of an upload in progress; <PartNumber> is required in each
// <Part>. A truncated listing continues with part-number-marker=next_part_number_marker.
struct ParsedPart {
  uint32_t part_number = 0;
  int64_t last_modified_ms = 0;
  std::string etag;  // quotes stripped
  uint64_t size = 0;
  ChecksumFields checksums;
};
struct ParsedPartList {
  std::string bucket;
  std::string key;
  std::string upload_id;
  uint32_t part_number_marker = 0;
  uint32_t next_part_number_marker = 0;
  int64_t max_parts = 0;
  bool is_truncated = false;
  std::vector<ParsedPart> parts;
  std::optional<ParsedUser> initiator;
  std::optional<ParsedUser> owner;
  std::string storage_class;
  std::string checksum_algorithm;
  std::string checksum_type;
};
Result<ParsedPartList> ParseListPartsResult(std::string_view body);

// <ListMultipartUploadsResult>: uploads in progress (to resume or abort them). Under
// encoding-type=url, Key, Prefix, Delimiter, KeyMarker, NextKeyMarker and CommonPrefixes/Prefix
// are decoded; upload ids are never encoded. <Key> and <UploadId> are required in each <Upload>.
struct ParsedUpload {
  std::string key;
  std::string upload_id;
  int64_t initiated_ms = 0;
  std::string storage_class;
  std::string checksum_algorithm;
  std::string checksum_type;
  std::optional<ParsedUser> initiator;
  std::optional<ParsedUser> owner;
};
struct ParsedUploadList {
  std::string bucket;
  std::string prefix;
  std::string delimiter;
  std::string encoding_type;
  std::string key_marker;
  std::string upload_id_marker;
  std::string next_key_marker;
  std::string next_upload_id_marker;
  int64_t max_uploads = 0;
  bool is_truncated = false;
  std::vector<ParsedUpload> uploads;
  std::vector<std::string> common_prefixes;
};
Result<ParsedUploadList> ParseListMultipartUploadsResult(std::string_view body);

// GetBucketLocation: <LocationConstraint>region</LocationConstraint>. The empty element means
// us-east-1 and the legacy "EU" means eu-west-1; both are returned under those names.
Result<std::string> ParseLocationConstraint(std::string_view body);

}  // namespace trainload::s3
