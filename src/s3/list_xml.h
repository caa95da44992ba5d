// Builders for S3's listing bodies: ListObjectsV2 and ListObjects (V1) <ListBucketResult>,
// ListObjectVersions <ListVersionsResult>, <ListPartsResult> and <ListMultipartUploadsResult>.
//
// Plain structs in, the complete body out, with the conventions of response_xml.h. Element order
// follows what S3 sends (captured responses), e.g. for ListObjectsV2:
//   Name, Prefix, [StartAfter], [ContinuationToken], [NextContinuationToken], KeyCount, MaxKeys,
//   [Delimiter], [EncodingType], IsTruncated, Contents*, CommonPrefixes*
// and inside <Contents>: Key, LastModified, ETag, [ChecksumAlgorithm], [ChecksumType], Size,
// [Owner], StorageClass. Optional string fields are omitted when empty.
//
// encoding-type=url: callers pass raw (decoded) strings and set `url_encoding`; the builder
// encodes exactly the fields S3 encodes (Key, Prefix, Delimiter, StartAfter, Marker, NextMarker,
// KeyMarker, NextKeyMarker, CommonPrefixes/Prefix; never tokens or version/upload ids) with
// ListingUrlEncode, and adds <EncodingType>url</EncodingType>.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "s3/response_xml.h"

namespace trainload::s3 {

// S3's encoding for encoding-type=url: A-Z a-z 0-9 - _ . * / are kept, a space becomes '+',
// every other byte %XX (uppercase). Clients decode it with unquote_plus (botocore) or
// QueryUnescape (Go SDKs).
std::string ListingUrlEncode(std::string_view text);

// One <Contents> entry.
struct ListedObject {
  std::string key;
  int64_t last_modified_millis = 0;
  std::string etag;                // quoted on output
  std::string checksum_algorithm;  // "CRC64NVME"; omitted when empty
  std::string checksum_type;       // "FULL_OBJECT" / "COMPOSITE"; omitted when empty
  uint64_t size = 0;
  std::optional<CanonicalUser> owner;  // V2: only with fetch-owner=true
  std::string storage_class = "STANDARD";
};

struct ListObjectsV2Result {
  std::string bucket;
  std::string prefix;  // always written, empty or not
  std::string delimiter;
  int max_keys = 1000;
  bool url_encoding = false;
  bool is_truncated = false;
  std::string continuation_token;       // echoed when the request had one
  std::string next_continuation_token;  // set when truncated
  std::string start_after;              // echoed when the request had one
  std::vector<ListedObject> contents;
  std::vector<std::string> common_prefixes;
};
// KeyCount is written as contents + common prefixes.
std::string ListObjectsV2Xml(const ListObjectsV2Result& result);

// ListObjects (V1): Name, Prefix, Marker, [NextMarker], MaxKeys, [Delimiter], [EncodingType],
// IsTruncated, Contents*, CommonPrefixes*.
struct ListObjectsV1Result {
  std::string bucket;
  std::string prefix;
  std::string marker;  // always written
  // Written only when a delimiter was given (S3 omits it otherwise; clients then continue
  // from the last key).
  std::string next_marker;
  std::string delimiter;
  int max_keys = 1000;
  bool url_encoding = false;
  bool is_truncated = false;
  std::vector<ListedObject> contents;
  std::vector<std::string> common_prefixes;
};
std::string ListObjectsV1Xml(const ListObjectsV1Result& result);

// One <Version> (Key, VersionId, IsLatest, LastModified, ETag, [ChecksumAlgorithm],
// [ChecksumType], Size, StorageClass, [Owner]) or, with `delete_marker`, one <DeleteMarker>
// (Key, VersionId, IsLatest, LastModified, [Owner]).
struct ListedVersion {
  ListedObject object;
  std::string version_id = "null";  // "null" for objects written while unversioned
  bool is_latest = true;
  bool delete_marker = false;
};

// Name, Prefix, KeyMarker, VersionIdMarker, [NextKeyMarker], [NextVersionIdMarker], MaxKeys,
// [Delimiter], [EncodingType], IsTruncated, (Version|DeleteMarker)*, CommonPrefixes*.
struct ListVersionsResult {
  std::string bucket;
  std::string prefix;
  std::string key_marker;         // always written
  std::string version_id_marker;  // always written
  std::string next_key_marker;    // set when truncated
  std::string next_version_id_marker;
  std::string delimiter;
  int max_keys = 1000;
  bool url_encoding = false;
  bool is_truncated = false;
  std::vector<ListedVersion> versions;  // in key order, versions and delete markers mixed
  std::vector<std::string> common_prefixes;
};
std::string ListVersionsXml(const ListVersionsResult& result);

// One <Part>: PartNumber, LastModified, ETag, [Checksum*], Size.
struct ListedPart {
  uint32_t part_number = 0;
  int64_t last_modified_millis = 0;
  std::string etag;
  uint64_t size = 0;
  ChecksumFields checksums;
};

// Bucket, Key, UploadId, PartNumberMarker, NextPartNumberMarker, MaxParts, IsTruncated, Part*,
// Initiator, Owner, StorageClass, [ChecksumAlgorithm], [ChecksumType].
struct ListPartsResult {
  std::string bucket;
  std::string key;
  std::string upload_id;
  uint32_t part_number_marker = 0;
  uint32_t next_part_number_marker = 0;  // the last part listed (0 when none)
  int max_parts = 1000;
  bool is_truncated = false;
  std::vector<ListedPart> parts;
  CanonicalUser initiator;
  CanonicalUser owner;
  std::string storage_class = "STANDARD";
  std::string checksum_algorithm;  // omitted when empty
  std::string checksum_type;       // omitted when empty
};
std::string ListPartsXml(const ListPartsResult& result);

// One <Upload>: Key, UploadId, Initiator, Owner, StorageClass, Initiated, [ChecksumAlgorithm],
// [ChecksumType].
struct ListedUpload {
  std::string key;
  std::string upload_id;
  CanonicalUser initiator;
  CanonicalUser owner;
  std::string storage_class = "STANDARD";
  int64_t initiated_millis = 0;
  std::string checksum_algorithm;
  std::string checksum_type;
};

// Bucket, KeyMarker, UploadIdMarker, NextKeyMarker, NextUploadIdMarker, [Delimiter], [Prefix],
// [EncodingType], MaxUploads, IsTruncated, Upload*, CommonPrefixes*.
struct ListMultipartUploadsResult {
  std::string bucket;
  std::string key_marker;  // the four markers are always written
  std::string upload_id_marker;
  std::string next_key_marker;
  std::string next_upload_id_marker;
  std::string delimiter;
  std::string prefix;
  int max_uploads = 1000;
  bool url_encoding = false;
  bool is_truncated = false;
  std::vector<ListedUpload> uploads;
  std::vector<std::string> common_prefixes;
};
std::string ListMultipartUploadsXml(const ListMultipartUploadsResult& result);

}  // namespace trainload::s3
