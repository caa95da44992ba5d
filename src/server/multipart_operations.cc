// Multipart uploads: create, upload part (from a body or a copy source), complete, abort, and
// the two listings. Completing moves no data: the parts' files become the object's segments.
#include <map>

#include "common/encoding.h"
#include "s3/byte_range.h"
#include "s3/error_code.h"
#include "s3/list_xml.h"
#include "s3/request_xml.h"
#include "s3/response_xml.h"
#include "server/copy_source.h"
#include "server/multipart_digests.h"
#include "server/object_headers.h"
#include "server/operation_helpers.h"
#include "server/operations.h"
#include "server/upload_body.h"

namespace trainload::server {
namespace {

using s3::ErrorCode;
using s3::MakeError;

// 10,000 parts with their ETags and checksums.
constexpr size_t kMaxCompleteBody = 8 << 20;
constexpr uint64_t kMaxCopyPartSize = 5ull << 30;

Status NoSuchUpload(std::string_view upload_id) {
  return MakeError(ErrorCode::kNoSuchUpload,
                   "The specified multipart upload does not exist: '" + std::string(upload_id) +
                       "'. The upload ID might be invalid, or the multipart upload might have "
                       "been aborted or completed.");
}

// The upload named by ?uploadId for this bucket and key, or NoSuchBucket / NoSuchUpload.
Result<storage::UploadInfo> RequireUpload(RequestContext& ctx, ServiceState& state) {
  std::string upload_id(ctx.query().Get("uploadId").value_or(""));
  auto upload = state.store.GetUpload(ctx.bucket(), ctx.key(), upload_id);
  if (upload.has_value()) return upload;
  if (upload.error().code() != StatusCode::kNotFound) return upload;
  TL_RETURN_IF_ERROR(RequireBucket(ctx, state));
  return Error(NoSuchUpload(upload_id));
}

Result<uint32_t> RequirePartNumber(RequestContext& ctx) {
  auto number = IntegerParam(ctx.query(), "partNumber", 1, storage::kMaxPartNumber);
  if (!number.has_value() || !*number) {
    return Error(MakeError(ErrorCode::kInvalidArgument,
                           "Part number must be an integer between 1 and 10000, inclusive"));
  }
  return static_cast<uint32_t>(**number);
}

// The algorithm parts of `upload` carry: the one it was created with, else CRC64NVME, kept so
// the completed object gets a full-object CRC64NVME as S3 gives every new object.
ChecksumAlgorithm PartAlgorithm(const storage::UploadInfo& upload) {
  return upload.checksum_algorithm ? static_cast<ChecksumAlgorithm>(*upload.checksum_algorithm)
                                   : ChecksumAlgorithm::kCrc64Nvme;
}

std::string ChecksumElement(ChecksumAlgorithm algorithm) {
  return "Checksum" + std::string(ChecksumName(algorithm));
}

Status SendPartResponse(RequestContext& ctx, const storage::UploadInfo& upload,
                        const storage::PartRecord& part, bool client_checksum) {
  http::Headers headers = ctx.BaseHeaders();
  headers.Add("etag", "\"" + part.etag + "\"");
  if (client_checksum && upload.checksum_algorithm && !part.checksum.empty()) {
    headers.Add(ChecksumHeaderName(PartAlgorithm(upload)), Base64Encode(part.checksum));
  }
  return ctx.SendEmpty(200, std::move(headers));
}

// CompleteMultipartUpload's x-amz-checksum-type and x-amz-checksum-<algorithm> headers state what
// the client expects of the completed object (S3: a type other than the upload's, or a
// full-object checksum other than the parts combine to, is BadDigest and nothing is committed).
Status CheckClaimedObjectChecksum(RequestContext& ctx, const storage::UploadInfo& upload,
                                  ChecksumAlgorithm algorithm, bool full_object,
                                  const std::optional<std::string>& computed) {
  if (auto type = ctx.header("x-amz-checksum-type")) {
    std::string_view actual = full_object ? "FULL_OBJECT" : "COMPOSITE";
    if (upload.checksum_algorithm && *type != actual) {
      return MakeError(ErrorCode::kBadDigest,
                       "The checksum type you specified (" + std::string(*type) +
                           ") does not match the upload's checksum type (" + std::string(actual) +
                           ")");
    }
  }
  // Composite values ("...-N") are checksums of checksums: only full-object ones are compared.
  if (!full_object || !computed) return Status::Ok();
  TL_ASSIGN_OR_RETURN(std::optional<ChecksumValue> claimed,
                      ChecksumFromHeaders(ctx.request().headers));
  if (!claimed || claimed->algorithm != algorithm) return Status::Ok();
  if (claimed->raw != *computed) {
    return MakeError(ErrorCode::kBadDigest,
                     "The " + std::string(ChecksumName(algorithm)) +
                         " you specified did not match the calculated checksum.");
  }
  return Status::Ok();
}

}  // namespace

Status CreateMultipartUpload(RequestContext& ctx, ServiceState& state) {
  TL_RETURN_IF_ERROR(RequireBucket(ctx, state));
  TL_ASSIGN_OR_RETURN(storage::ObjectAttributes attributes,
                      AttributesFromHeaders(ctx.request().headers));
  TL_ASSIGN_OR_RETURN(std::optional<ChecksumAlgorithm> algorithm, RequestedAlgorithm(ctx));
  bool full_object = false;
  if (auto type = ctx.header("x-amz-checksum-type")) {
    if (*type != "FULL_OBJECT" && *type != "COMPOSITE") {
      return MakeError(ErrorCode::kInvalidRequest,
                       "Value for x-amz-checksum-type header is invalid: '" + std::string(*type) +
                           "'");
    }
    full_object = *type == "FULL_OBJECT";
    if (!algorithm) {
      return MakeError(ErrorCode::kInvalidRequest,
                       "x-amz-checksum-type requires x-amz-checksum-algorithm");
    }
  } else if (algorithm == ChecksumAlgorithm::kCrc64Nvme) {
    full_object = true;  // CRC64NVME supports only full-object checksums
  }
  if (full_object && !IsCrc(*algorithm)) {
    return MakeError(ErrorCode::kInvalidRequest,
                     "The FULL_OBJECT checksum type is not supported with " +
                         std::string(ChecksumName(*algorithm)));
  }
  if (algorithm == ChecksumAlgorithm::kCrc64Nvme && !full_object) {
    return MakeError(ErrorCode::kInvalidRequest,
                     "The COMPOSITE checksum type is not supported with CRC64NVME");
  }
  std::optional<int> stored_algorithm;
  if (algorithm) stored_algorithm = static_cast<int>(*algorithm);
  TL_ASSIGN_OR_RETURN(storage::UploadInfo upload,
                      state.store.CreateUpload(ctx.bucket(), ctx.key(), std::move(attributes),
                                               stored_algorithm, full_object));
  http::Headers headers = ctx.BaseHeaders();
  if (algorithm) {
    headers.Add("x-amz-checksum-algorithm", ChecksumName(*algorithm));
    headers.Add("x-amz-checksum-type", full_object ? "FULL_OBJECT" : "COMPOSITE");
  }
  s3::InitiateMultipartUploadResult result{ctx.bucket(), ctx.key(), upload.upload_id};
  return ctx.SendXml(200, s3::InitiateMultipartUploadXml(result), std::move(headers));
}

Status UploadPart(RequestContext& ctx, ServiceState& state) {
  TL_ASSIGN_OR_RETURN(uint32_t part_number, RequirePartNumber(ctx));
  TL_ASSIGN_OR_RETURN(storage::UploadInfo upload, RequireUpload(ctx, state));
  TL_ASSIGN_OR_RETURN(std::unique_ptr<storage::DataWriter> writer, state.store.NewWriter());
  ReceiveOptions options;
  options.max_size = state.options.max_put_size;
  options.md5_lanes = &state.md5_lanes;
  options.default_algorithm = PartAlgorithm(upload);
  if (upload.checksum_algorithm) options.required_algorithm = PartAlgorithm(upload);
  TL_ASSIGN_OR_RETURN(ReceivedBody body,
                      ReceiveBody(ctx.exchange(), ctx.auth, std::move(writer), options));
  storage::PartRecord fields;
  fields.etag = HexEncode(body.digests.md5);
  if (body.digests.checksum) fields.checksum = body.digests.checksum->raw;
  auto part = state.store.PutPart(ctx.bucket(), ctx.key(), upload.upload_id, part_number,
                                  std::move(fields), std::move(body.data));
  if (!part.has_value()) {
    if (part.error().code() == StatusCode::kNotFound) return NoSuchUpload(upload.upload_id);
    return part.error();
  }
  return SendPartResponse(ctx, upload, *part, body.digests.checksum_from_client);
}

Status UploadPartCopy(RequestContext& ctx, ServiceState& state) {
  TL_ASSIGN_OR_RETURN(uint32_t part_number, RequirePartNumber(ctx));
  TL_ASSIGN_OR_RETURN(storage::UploadInfo upload, RequireUpload(ctx, state));
  TL_ASSIGN_OR_RETURN(CopySource source, ParseCopySource(*ctx.header("x-amz-copy-source")));
  TL_ASSIGN_OR_RETURN(std::unique_ptr<storage::ObjectReader> reader,
                      OpenCopySource(ctx, state, source));
  uint64_t size = reader->size();
  s3::ByteRange range{0, size == 0 ? 0 : size - 1};
  uint64_t length = size;
  if (auto header = ctx.header("x-amz-copy-source-range")) {
    TL_ASSIGN_OR_RETURN(range, s3::ParseCopySourceRange(*header, size));
    length = range.length();
  }
  if (length > kMaxCopyPartSize) {
    return MakeError(ErrorCode::kInvalidRequest,
                     "The specified copy range is larger than the maximum part size of "
                     "5368709120 bytes");
  }
  TL_ASSIGN_OR_RETURN(ReceivedBody body, CopyThroughDigests(state, *reader, range.first, length,
                                                            PartAlgorithm(upload)));
  storage::PartRecord fields;
  fields.etag = HexEncode(body.digests.md5);
  fields.checksum = body.digests.checksum->raw;
  auto part = state.store.PutPart(ctx.bucket(), ctx.key(), upload.upload_id, part_number,
                                  std::move(fields), std::move(body.data));
  if (!part.has_value()) {
    if (part.error().code() == StatusCode::kNotFound) return NoSuchUpload(upload.upload_id);
    return part.error();
  }
  s3::CopyResult result;
  result.etag = part->etag;
  result.last_modified_millis = part->last_modified_ms;
  if (upload.checksum_algorithm) {
    result.checksums.emplace_back(ChecksumElement(PartAlgorithm(upload)),
                                  Base64Encode(part->checksum));
  }
  return ctx.SendXml(200, s3::CopyPartXml(result));
}

Status CompleteMultipartUpload(RequestContext& ctx, ServiceState& state) {
  TL_ASSIGN_OR_RETURN(storage::UploadInfo upload, RequireUpload(ctx, state));
  TL_ASSIGN_OR_RETURN(std::string body,
                      ReadSmallBody(ctx.exchange(), ctx.auth, kMaxCompleteBody, nullptr,
                                    /*checksum_headers_describe_body=*/false));
  TL_ASSIGN_OR_RETURN(std::vector<s3::CompletedPart> requested,
                      s3::ParseCompleteMultipartUpload(body));
  s3::Conditions conditions = WriteConditions(ctx);
  TL_RETURN_IF_ERROR(EarlyWriteCheck(ctx, state, conditions));

  // Every uploaded part, by number.
  std::map<uint32_t, storage::PartRecord> uploaded;
  for (uint32_t after = 0;;) {
    TL_ASSIGN_OR_RETURN(storage::PartPage page,
                        state.store.ListParts(ctx.bucket(), ctx.key(), upload.upload_id, after,
                                              storage::kMaxListParts));
    for (storage::PartRecord& part : page.parts) uploaded[part.part_number] = std::move(part);
    if (!page.truncated) break;
    after = page.next_part_number_marker;
  }

  auto invalid_part = [](uint32_t number, std::string_view why) {
    return MakeError(ErrorCode::kInvalidPart,
                     "One or more of the specified parts could not be found. The part may not "
                     "have been uploaded, or the specified entity tag may not have matched the "
                     "part's entity tag: part " + std::to_string(number) + " " + std::string(why));
  };
  // The list itself is checked first, as S3 does: a list out of order is InvalidPartOrder
  // whatever the listed parts are (a part that is "not last" only has a meaning in a valid list).
  uint32_t previous = 0;
  for (const s3::CompletedPart& p : requested) {
    if (p.part_number < 1 || p.part_number > storage::kMaxPartNumber) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "Part number must be an integer between 1 and 10000, inclusive: " +
                           std::to_string(p.part_number));
    }
    if (p.part_number <= previous) {
      return MakeError(ErrorCode::kInvalidPartOrder,
                       "The list of parts was not in ascending order: part " +
                           std::to_string(p.part_number) + " follows part " +
                           std::to_string(previous));
    }
    previous = p.part_number;
  }
  const ChecksumAlgorithm algorithm = PartAlgorithm(upload);
  std::vector<PartDigest> digests;
  std::vector<storage::CompletedPart> parts;
  for (size_t i = 0; i < requested.size(); ++i) {
    const s3::CompletedPart& p = requested[i];
    auto found = uploaded.find(p.part_number);
    if (found == uploaded.end()) return invalid_part(p.part_number, "was not uploaded");
    const storage::PartRecord& part = found->second;
    if (p.etag != part.etag) {
      return invalid_part(p.part_number, "has ETag \"" + part.etag + "\", not \"" + p.etag + "\"");
    }
    if (i + 1 < requested.size() && part.size < state.options.min_part_size) {
      return MakeError(ErrorCode::kEntityTooSmall,
                       "Your proposed upload is smaller than the minimum allowed size: part " +
                           std::to_string(p.part_number) + " is " + std::to_string(part.size) +
                           " bytes, every part but the last must be at least " +
                           std::to_string(state.options.min_part_size));
    }
    for (const auto& [element, value] : p.checksums) {
      if (element == ChecksumElement(algorithm) && upload.checksum_algorithm &&
          value != Base64Encode(part.checksum)) {
        return invalid_part(p.part_number, "has a different " + element);
      }
    }
    digests.push_back(PartDigest{HexDecode(part.etag).value_or(""), part.checksum, part.size});
    parts.push_back(storage::CompletedPart{p.part_number, part.etag});
  }

  storage::ObjectRecord record;
  record.key = ctx.key();
  record.etag = MultipartETag(digests);
  record.attributes = upload.attributes;
  bool full_object = !upload.checksum_algorithm || upload.checksum_full_object;
  std::optional<std::string> checksum = full_object ? FullObjectChecksum(algorithm, digests)
                                                    : CompositeChecksum(algorithm, digests);
  TL_RETURN_IF_ERROR(CheckClaimedObjectChecksum(ctx, upload, algorithm, full_object, checksum));
  if (checksum) {
    record.checksum = storage::StoredChecksum{static_cast<int>(algorithm), *checksum, full_object};
  }
  auto committed = state.store.CompleteUpload(ctx.bucket(), ctx.key(), upload.upload_id, parts,
                                              std::move(record), WriteCheck(conditions));
  if (!committed.has_value()) {
    const Status& error = committed.error();
    if (error.code() == StatusCode::kNotFound && error.reason().empty()) {
      return NoSuchUpload(upload.upload_id);
    }
    if (error.code() == StatusCode::kInvalidArgument && error.reason().empty()) {
      return MakeError(ErrorCode::kInvalidPart, error.message());
    }
    return error;
  }

  const http::Request& request = ctx.request();
  s3::CompleteMultipartUploadResult result;
  result.location = std::string(request.tls ? "https://" : "http://") +
                    std::string(request.headers.Get("host").value_or("localhost")) + "/" +
                    ctx.bucket() + "/" + UriEncode(ctx.key(), /*encode_slash=*/false);
  result.bucket = ctx.bucket();
  result.key = ctx.key();
  result.etag = committed->etag;
  if (upload.checksum_algorithm && committed->checksum) {
    result.checksums.emplace_back(ChecksumElement(algorithm),
                                  ChecksumWireValue(*committed->checksum, committed->part_count));
    result.checksum_type = std::string(ChecksumTypeName(*committed->checksum));
  }
  return ctx.SendXml(200, s3::CompleteMultipartUploadXml(result));
}

Status AbortMultipartUpload(RequestContext& ctx, ServiceState& state) {
  TL_ASSIGN_OR_RETURN(storage::UploadInfo upload, RequireUpload(ctx, state));
  Status status = state.store.AbortUpload(ctx.bucket(), ctx.key(), upload.upload_id);
  if (status.code() == StatusCode::kNotFound) return NoSuchUpload(upload.upload_id);
  TL_RETURN_IF_ERROR(status);
  return ctx.SendEmpty(204);
}

Status ListParts(RequestContext& ctx, ServiceState& state) {
  TL_ASSIGN_OR_RETURN(storage::UploadInfo upload, RequireUpload(ctx, state));
  TL_ASSIGN_OR_RETURN(std::optional<int64_t> marker,
                      IntegerParam(ctx.query(), "part-number-marker", 0, storage::kMaxPartNumber));
  TL_ASSIGN_OR_RETURN(std::optional<int64_t> max_parts,
                      IntegerParam(ctx.query(), "max-parts", 0, 1 << 30));
  size_t max = static_cast<size_t>(std::min<int64_t>(max_parts.value_or(1000), 1000));
  TL_ASSIGN_OR_RETURN(storage::PartPage page,
                      state.store.ListParts(ctx.bucket(), ctx.key(), upload.upload_id,
                                            static_cast<uint32_t>(marker.value_or(0)), max));
  s3::ListPartsResult result;
  result.bucket = ctx.bucket();
  result.key = ctx.key();
  result.upload_id = upload.upload_id;
  result.part_number_marker = static_cast<uint32_t>(marker.value_or(0));
  result.next_part_number_marker = page.next_part_number_marker;
  result.max_parts = static_cast<int>(max);
  result.is_truncated = page.truncated;
  result.initiator = ctx.Owner();
  result.owner = ctx.Owner();
  if (!upload.attributes.storage_class.empty()) result.storage_class = upload.attributes.storage_class;
  if (upload.checksum_algorithm) {
    result.checksum_algorithm = std::string(ChecksumName(PartAlgorithm(upload)));
    result.checksum_type = upload.checksum_full_object ? "FULL_OBJECT" : "COMPOSITE";
  }
  for (const storage::PartRecord& part : page.parts) {
    s3::ListedPart listed;
    listed.part_number = part.part_number;
    listed.last_modified_millis = part.last_modified_ms;
    listed.etag = part.etag;
    listed.size = part.size;
    if (upload.checksum_algorithm && !part.checksum.empty()) {
      listed.checksums.emplace_back(ChecksumElement(PartAlgorithm(upload)),
                                    Base64Encode(part.checksum));
    }
    result.parts.push_back(std::move(listed));
  }
  return ctx.SendXml(200, s3::ListPartsXml(result));
}

Status ListMultipartUploads(RequestContext& ctx, ServiceState& state) {
  TL_RETURN_IF_ERROR(RequireBucket(ctx, state));
  const QueryParams& q = ctx.query();
  storage::UploadQuery query;
  query.prefix = q.Get("prefix").value_or("");
  query.delimiter = q.Get("delimiter").value_or("");
  query.key_marker = q.Get("key-marker").value_or("");
  query.upload_id_marker = q.Get("upload-id-marker").value_or("");
  TL_ASSIGN_OR_RETURN(std::optional<int64_t> max_uploads,
                      IntegerParam(q, "max-uploads", 0, 1 << 30));
  query.max_uploads = static_cast<size_t>(std::min<int64_t>(max_uploads.value_or(1000), 1000));
  bool url_encoding = false;
  if (auto type = q.Get("encoding-type")) {
    if (*type != "url") {
      return MakeError(ErrorCode::kInvalidArgument,
                       "Invalid Encoding Method specified in Request: '" + std::string(*type) + "'");
    }
    url_encoding = true;
  }
  TL_ASSIGN_OR_RETURN(storage::UploadPage page, state.store.ListUploads(ctx.bucket(), query));
  s3::ListMultipartUploadsResult result;
  result.bucket = ctx.bucket();
  result.key_marker = query.key_marker;
  result.upload_id_marker = query.upload_id_marker;
  result.next_key_marker = page.next_key_marker;
  result.next_upload_id_marker = page.next_upload_id_marker;
  result.delimiter = query.delimiter;
  result.prefix = query.prefix;
  result.max_uploads = static_cast<int>(query.max_uploads);
  result.url_encoding = url_encoding;
  result.is_truncated = page.truncated;
  for (const storage::UploadInfo& upload : page.uploads) {
    s3::ListedUpload listed;
    listed.key = upload.key;
    listed.upload_id = upload.upload_id;
    listed.initiator = ctx.Owner();
    listed.owner = ctx.Owner();
    if (!upload.attributes.storage_class.empty()) listed.storage_class = upload.attributes.storage_class;
    listed.initiated_millis = upload.initiated_ms;
    if (upload.checksum_algorithm) {
      listed.checksum_algorithm = std::string(ChecksumName(PartAlgorithm(upload)));
      listed.checksum_type = upload.checksum_full_object ? "FULL_OBJECT" : "COMPOSITE";
    }
    result.uploads.push_back(std::move(listed));
  }
  result.common_prefixes = std::move(page.common_prefixes);
  return ctx.SendXml(200, s3::ListMultipartUploadsXml(result));
}

}  // namespace trainload::server
