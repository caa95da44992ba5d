// The values the storage engine keeps in its metadata index: buckets, objects, multipart uploads
// and their parts.
//
// These are plain value types (copyable, comparable, thread-compatible). They carry S3 semantics
// but no wire formats: an ETag is hex without quotes, checksums are raw bytes, times are Unix
// epoch milliseconds. The binary encoding lives in record_codec.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace trainload::storage {

enum class BucketKind : uint8_t {
  kGeneralPurpose = 0,
  kDirectory = 1,  // S3 Express One Zone style ("--x-s3" names)
};

struct BucketInfo {
  std::string name;
  std::string region;
  BucketKind kind = BucketKind::kGeneralPurpose;
  int64_t created_ms = 0;

  friend bool operator==(const BucketInfo&, const BucketInfo&) = default;
};

// Client-supplied object attributes: stored verbatim at PUT (or at CreateMultipartUpload) and
// returned on GET/HEAD. The storage layer never interprets them.
struct ObjectAttributes {
  std::string content_type;
  std::string content_encoding;
  std::string content_disposition;
  std::string content_language;
  std::string cache_control;
  std::string expires;
  // Names lowercased, without the "x-amz-meta-" prefix; order as given by the client.
  std::vector<std::pair<std::string, std::string>> user_metadata;
  std::string storage_class;  // empty means STANDARD

  friend bool operator==(const ObjectAttributes&, const ObjectAttributes&) = default;
};

// A checksum of the whole object as S3 returns it with x-amz-checksum-mode: ENABLED.
struct StoredChecksum {
  // static_cast<int>(trainload::ChecksumAlgorithm) (common/checksum.h); opaque to storage.
  int algorithm = 0;
  std::string value;        // raw digest bytes (big-endian for CRCs)
  bool full_object = true;  // false: COMPOSITE, a checksum of part checksums ("...-N")

  friend bool operator==(const StoredChecksum&, const StoredChecksum&) = default;
};

// One data file of an object. `file_id` names objects/<shard>/<file_id> (data_files.h).
struct Segment {
  std::string file_id;
  uint64_t size = 0;

  friend bool operator==(const Segment&, const Segment&) = default;
};

struct ObjectRecord {
  std::string key;
  uint64_t size = 0;  // always the sum of segment sizes
  std::string etag;   // without quotes
  int64_t last_modified_ms = 0;
  ObjectAttributes attributes;
  std::optional<StoredChecksum> checksum;
  // The object's bytes are the concatenation of these files. Empty for a zero-byte object.
  // A multipart object keeps one segment per part (segments[i] is part i + 1), so completing
  // an upload moves no data; an append adds one segment.
  std::vector<Segment> segments;
  // 0 for a single PUT; N for an object completed from N parts (partNumber GET/HEAD).
  uint32_t part_count = 0;
  // Optional raw checksum of each part, in part order (partNumber GET with checksum mode).
  std::vector<std::string> part_checksums;

  friend bool operator==(const ObjectRecord&, const ObjectRecord&) = default;
};

struct UploadInfo {
  std::string upload_id;
  std::string bucket;
  std::string key;
  int64_t initiated_ms = 0;
  ObjectAttributes attributes;
  // static_cast<int>(trainload::ChecksumAlgorithm) named at CreateMultipartUpload, if any.
  std::optional<int> checksum_algorithm;
  bool checksum_full_object = false;  // x-amz-checksum-type: FULL_OBJECT (else COMPOSITE)

  friend bool operator==(const UploadInfo&, const UploadInfo&) = default;
};

struct PartRecord {
  uint32_t part_number = 0;
  uint64_t size = 0;
  std::string etag;  // hex MD5 of the part, without quotes
  int64_t last_modified_ms = 0;
  std::string checksum;  // raw bytes of the upload's algorithm; empty if none
  std::string file_id;   // the part's data file

  friend bool operator==(const PartRecord&, const PartRecord&) = default;
};

}  // namespace trainload::storage
