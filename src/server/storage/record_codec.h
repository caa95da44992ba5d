// Binary encoding of the records kept in the metadata index (records.h).
//
// Every value starts with a format version byte (currently 1), followed by fields in a fixed
// order: unsigned integers as LEB128 varints, signed ones zigzag-encoded, strings as a varint
// length and the bytes, file ids as their 16 raw bytes. Fields that the row key already holds
// (object key, bucket name, upload id, part number) are not repeated in the value; the decoder
// takes them as arguments.
//
// Decoding is strict: an unknown version, a truncated or overlong field, trailing bytes, a bad
// file id or an object whose size is not the sum of its segments yields kDataLoss, never a
// partial record. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/storage/records.h"
#include "trainload/status.h"

namespace trainload::storage {

std::string EncodeObjectRecord(const ObjectRecord& record);
Result<ObjectRecord> DecodeObjectRecord(std::string_view key, std::string_view value);

std::string EncodeBucketInfo(const BucketInfo& info);
Result<BucketInfo> DecodeBucketInfo(std::string_view name, std::string_view value);

std::string EncodeUploadInfo(const UploadInfo& info);
Result<UploadInfo> DecodeUploadInfo(std::string_view bucket, std::string_view key,
                                    std::string_view upload_id, std::string_view value);

std::string EncodePartRecord(const PartRecord& part);
Result<PartRecord> DecodePartRecord(uint32_t part_number, std::string_view value);

// A list of data file ids (the value of a garbage row).
std::string EncodeFileList(const std::vector<std::string>& file_ids);
Result<std::vector<std::string>> DecodeFileList(std::string_view value);

}  // namespace trainload::storage
