// Row keys of the metadata index (one LevelDB database, bytewise comparator).
//
// Every row key starts with a one-byte table tag; the tables are:
//   'M' name                                  meta values (the generation counter)
//   'B' bucket                                BucketInfo
//   'O' len(bucket) bucket key                ObjectRecord
//   'U' len(bucket) bucket esc(key) 00 01 id  UploadInfo
//   'P' upload_id be32(part_number)           PartRecord
//   'F' file_id                               "this data file is referenced" (empty value)
//   'G' unique_id                             file ids to unlink after a commit (garbage)
// `len(bucket)` is one byte (bucket names are 1-255 bytes), so one bucket's objects form one
// contiguous range ordered exactly like the raw key bytes (S3's UTF-8 byte order), whatever
// bytes the key holds. Upload rows need the key followed by more fields, so the key is escaped
// in an order-preserving way (00 -> 00 FF, end -> 00 01): rows sort by key, then upload id.
// Upload ids begin with the initiation time in hex (object_store.h), so that is also initiation
// order. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trainload::storage {

inline constexpr size_t kMaxBucketNameBytes = 255;
inline constexpr size_t kMaxKeyBytes = 1024;

std::string MetaRow(std::string_view name);

std::string BucketRow(std::string_view bucket);
std::string BucketRowPrefix();

// REQUIRES: 1 <= bucket.size() <= kMaxBucketNameBytes (callers validate first).
std::string ObjectRow(std::string_view bucket, std::string_view key);
std::string ObjectRowPrefix(std::string_view bucket);
// Whether `row` is in the object table (any bucket).
bool IsObjectRow(std::string_view row);

std::string UploadRow(std::string_view bucket, std::string_view key, std::string_view upload_id);
// All uploads of the bucket.
std::string UploadRowPrefix(std::string_view bucket);
// The rows of `bucket` whose keys start with `key_prefix` (no terminator).
std::string UploadRowKeyPrefix(std::string_view bucket, std::string_view key_prefix);
// The rows of exactly `key` (all its uploads).
std::string UploadRowExactKeyPrefix(std::string_view bucket, std::string_view key);
struct UploadRowParts {
  std::string key;
  std::string upload_id;
};
// Splits the part of an upload row after UploadRowPrefix(bucket); nullopt if malformed.
std::optional<UploadRowParts> ParseUploadRowSuffix(std::string_view suffix);
// The escaped form of a key prefix as it appears in upload rows (no terminator).
std::string EscapeKeyForUploadRow(std::string_view key);

std::string PartRow(std::string_view upload_id, uint32_t part_number);
std::string PartRowPrefix(std::string_view upload_id);
// Part number from the 4 bytes after PartRowPrefix; nullopt if malformed.
std::optional<uint32_t> ParsePartRowSuffix(std::string_view suffix);

std::string FileRefRow(std::string_view file_id);
std::string GarbageRow(std::string_view unique_id);
std::string GarbageRowPrefix();

// The smallest string greater than every string that starts with `prefix`; empty when there is
// none (prefix empty or all 0xFF bytes). Seeking to it skips a whole prefix group at once.
std::string PrefixSuccessor(std::string_view prefix);

}  // namespace trainload::storage
