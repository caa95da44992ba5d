#include "server/object_headers.h"

#include <array>

#include "common/encoding.h"
#include "common/time_format.h"
#include "s3/error_code.h"

namespace trainload::server {
namespace {

using s3::ErrorCode;
using s3::MakeError;

constexpr std::array<std::string_view, 11> kStorageClasses = {
    "STANDARD",   "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA",
    "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE", "OUTPOSTS",
    "GLACIER_IR", "SNOW",  "EXPRESS_ONEZONE"};

// Content-Encoding without the aws-chunked token, which only describes the upload framing.
std::string StoredContentEncoding(std::string_view value) {
  std::string out;
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view token = value.substr(0, comma);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    if (!token.empty() && !http::EqualsIgnoreCase(token, "aws-chunked")) {
      if (!out.empty()) out += ",";
      out += token;
    }
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
  }
  return out;
}

}  // namespace

Result<storage::ObjectAttributes> AttributesFromHeaders(const http::Headers& headers) {
  storage::ObjectAttributes a;
  size_t metadata_bytes = 0;
  for (const auto& [name, value] : headers.entries()) {
    if (name == "content-type") {
      a.content_type = value;
    } else if (name == "content-encoding") {
      a.content_encoding = StoredContentEncoding(value);
    } else if (name == "content-disposition") {
      a.content_disposition = value;
    } else if (name == "content-language") {
      a.content_language = value;
    } else if (name == "cache-control") {
      a.cache_control = value;
    } else if (name == "expires") {
      a.expires = value;
    } else if (name.starts_with("x-amz-meta-")) {
      std::string meta_name = name.substr(11);
      metadata_bytes += meta_name.size() + value.size();
      a.user_metadata.emplace_back(std::move(meta_name), value);
    } else if (name == "x-amz-storage-class") {
      bool known = false;
      for (std::string_view c : kStorageClasses) known = known || c == value;
      if (!known) {
        return Error(MakeError(ErrorCode::kInvalidStorageClass,
                               "The storage class you specified is not valid: '" + value + "'"));
      }
      if (value != "STANDARD") a.storage_class = value;
    } else if (name == "x-amz-tagging") {
      return Error(MakeError(ErrorCode::kNotImplemented,
                             "object tagging (x-amz-tagging) is not supported by trainload"));
    } else if (name.starts_with("x-amz-object-lock-")) {
      return Error(MakeError(ErrorCode::kNotImplemented,
                             "object lock (" + name + ") is not supported by trainload"));
    } else if (name == "x-amz-server-side-encryption" && value != "AES256") {
      return Error(MakeError(ErrorCode::kNotImplemented,
                             "server-side encryption '" + value +
                                 "' is not supported by trainload (only AES256 is accepted)"));
    } else if (name.starts_with("x-amz-server-side-encryption-customer-")) {
      return Error(MakeError(ErrorCode::kNotImplemented,
                             "SSE-C (" + name + ") is not supported by trainload"));
    }
  }
  if (metadata_bytes > kMaxUserMetadataBytes) {
    return Error(MakeError(ErrorCode::kMetadataTooLarge,
                           "Your metadata headers exceed the maximum allowed metadata size: " +
                               std::to_string(metadata_bytes) + " bytes, the limit is 2048"));
  }
  return a;
}

bool ChecksumModeEnabled(const http::Headers& headers) {
  auto mode = headers.Get("x-amz-checksum-mode");
  return mode && http::EqualsIgnoreCase(*mode, "ENABLED");
}

ChecksumAlgorithm StoredAlgorithm(const storage::StoredChecksum& checksum) {
  return static_cast<ChecksumAlgorithm>(checksum.algorithm);
}

std::string_view ChecksumTypeName(const storage::StoredChecksum& checksum) {
  return checksum.full_object ? "FULL_OBJECT" : "COMPOSITE";
}

std::string ChecksumWireValue(const storage::StoredChecksum& checksum, uint32_t part_count) {
  std::string value = Base64Encode(checksum.value);
  if (!checksum.full_object) value += "-" + std::to_string(part_count);
  return value;
}

void AddObjectHeaders(const storage::ObjectRecord& record, const ObjectHeaderOptions& options,
                      const QueryParams& query, http::Headers& out) {
  const storage::ObjectAttributes& a = record.attributes;
  auto override_or = [&](std::string_view param, std::string_view stored) -> std::string_view {
    auto v = query.Get(param);
    return v ? *v : stored;
  };
  out.Add("etag", "\"" + record.etag + "\"");
  out.Add("last-modified", FormatHttpDate(record.last_modified_ms / 1000));
  out.Add("accept-ranges", "bytes");
  std::string_view type = override_or("response-content-type", a.content_type);
  out.Add("content-type", type.empty() ? "binary/octet-stream" : type);
  auto add_if = [&](std::string_view name, std::string_view param, std::string_view stored) {
    std::string_view v = override_or(param, stored);
    if (!v.empty()) out.Add(name, v);
  };
  add_if("content-encoding", "response-content-encoding", a.content_encoding);
  add_if("content-disposition", "response-content-disposition", a.content_disposition);
  add_if("content-language", "response-content-language", a.content_language);
  add_if("cache-control", "response-cache-control", a.cache_control);
  add_if("expires", "response-expires", a.expires);
  for (const auto& [name, value] : a.user_metadata) out.Add("x-amz-meta-" + name, value);
  if (!a.storage_class.empty()) out.Add("x-amz-storage-class", a.storage_class);

  if (options.part_number && record.part_count > 0) {
    out.Add("x-amz-mp-parts-count", std::to_string(record.part_count));
  }
  if (options.include_checksum && record.checksum) {
    const storage::StoredChecksum& c = *record.checksum;
    std::string_view header = ChecksumHeaderName(StoredAlgorithm(c));
    if (!options.part_number || record.part_count == 0) {
      out.Add(header, ChecksumWireValue(c, record.part_count));
      out.Add("x-amz-checksum-type", ChecksumTypeName(c));
    } else if (*options.part_number >= 1 && *options.part_number <= record.part_checksums.size() &&
               !record.part_checksums[*options.part_number - 1].empty()) {
      out.Add(header, Base64Encode(record.part_checksums[*options.part_number - 1]));
    }
  }
}

}  // namespace trainload::server
