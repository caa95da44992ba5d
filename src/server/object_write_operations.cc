// PutObject and CopyObject: new object versions, committed atomically with their checksums and
// the request's write conditions (If-None-Match: *, If-Match) checked at commit.
#include "common/encoding.h"
#include "s3/conditions.h"
#include "s3/error_code.h"
#include "s3/response_xml.h"
#include "server/copy_source.h"
#include "server/object_headers.h"
#include "server/operation_helpers.h"
#include "server/operations.h"
#include "server/upload_body.h"

namespace trainload::server {
namespace {

using s3::ErrorCode;
using s3::MakeError;

// The largest object CopyObject copies (larger ones need UploadPartCopy), as S3.
constexpr uint64_t kMaxCopySize = 5ull << 30;

void AddChecksumResponseHeaders(const std::optional<storage::StoredChecksum>& checksum,
                                uint32_t part_count, http::Headers& headers) {
  if (!checksum) return;
  headers.Add(ChecksumHeaderName(StoredAlgorithm(*checksum)),
              ChecksumWireValue(*checksum, part_count));
  headers.Add("x-amz-checksum-type", ChecksumTypeName(*checksum));
}

}  // namespace

Status PutObject(RequestContext& ctx, ServiceState& state) {
  TL_RETURN_IF_ERROR(RequireBucket(ctx, state));
  if (ctx.header("x-amz-write-offset-bytes")) {
    return MakeError(ErrorCode::kNotImplemented,
                     "appends (x-amz-write-offset-bytes) are only supported in directory buckets");
  }
  TL_ASSIGN_OR_RETURN(storage::ObjectAttributes attributes,
                      AttributesFromHeaders(ctx.request().headers));
  s3::Conditions conditions = WriteConditions(ctx);
  TL_RETURN_IF_ERROR(EarlyWriteCheck(ctx, state, conditions));

  TL_ASSIGN_OR_RETURN(std::unique_ptr<storage::DataWriter> writer, state.store.NewWriter());
  ReceiveOptions options;
  options.max_size = state.options.max_put_size;
  options.md5_lanes = &state.md5_lanes;
  TL_ASSIGN_OR_RETURN(ReceivedBody body,
                      ReceiveBody(ctx.exchange(), ctx.auth, std::move(writer), options));

  storage::ObjectRecord record;
  record.key = ctx.key();
  record.etag = HexEncode(body.digests.md5);
  record.attributes = std::move(attributes);
  record.checksum = ToStored(body.digests.checksum);
  TL_ASSIGN_OR_RETURN(storage::ObjectRecord committed,
                      state.store.Commit(ctx.bucket(), std::move(record), std::move(body.data),
                                         WriteCheck(conditions)));
  http::Headers headers = ctx.BaseHeaders();
  headers.Add("etag", "\"" + committed.etag + "\"");
  if (body.digests.checksum_from_client) AddChecksumResponseHeaders(committed.checksum, 0, headers);
  return ctx.SendEmpty(200, std::move(headers));
}

Status CopyObject(RequestContext& ctx, ServiceState& state) {
  TL_RETURN_IF_ERROR(RequireBucket(ctx, state));
  TL_ASSIGN_OR_RETURN(CopySource source, ParseCopySource(*ctx.header("x-amz-copy-source")));
  std::string directive(ctx.header("x-amz-metadata-directive").value_or("COPY"));
  if (directive != "COPY" && directive != "REPLACE") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "Unknown metadata directive: '" + directive + "' (expected COPY or REPLACE)");
  }
  TL_ASSIGN_OR_RETURN(std::optional<ChecksumAlgorithm> requested, RequestedAlgorithm(ctx));
  TL_ASSIGN_OR_RETURN(storage::ObjectAttributes header_attributes,
                      AttributesFromHeaders(ctx.request().headers));
  bool self_copy = source.bucket == ctx.bucket() && source.key == ctx.key();
  if (self_copy && directive == "COPY" && !ctx.header("x-amz-storage-class") && !requested) {
    return MakeError(ErrorCode::kInvalidRequest,
                     "This copy request is illegal because it is trying to copy an object to "
                     "itself without changing the object's metadata, storage class, website "
                     "redirect location or encryption attributes.");
  }
  s3::Conditions conditions = WriteConditions(ctx);
  TL_RETURN_IF_ERROR(EarlyWriteCheck(ctx, state, conditions));
  TL_ASSIGN_OR_RETURN(std::unique_ptr<storage::ObjectReader> reader,
                      OpenCopySource(ctx, state, source));
  const storage::ObjectRecord& src = reader->record();
  if (src.size > kMaxCopySize) {
    return MakeError(ErrorCode::kInvalidRequest,
                     "The specified copy source is larger than the maximum allowable size for a "
                     "copy source: 5368709120 (use UploadPartCopy)");
  }

  storage::ObjectRecord record;
  record.key = ctx.key();
  if (directive == "REPLACE") {
    record.attributes = std::move(header_attributes);
  } else {
    record.attributes = src.attributes;
    if (ctx.header("x-amz-storage-class")) {
      record.attributes.storage_class = header_attributes.storage_class;
    }
  }
  // A plain (non-multipart) source keeps its MD5 ETag and full-object checksum, so its bytes
  // can be copied in the kernel; anything else is read once to compute them.
  bool keeps_digests = src.part_count == 0 && src.checksum && src.checksum->full_object &&
                       (!requested || StoredAlgorithm(*src.checksum) == *requested);
  storage::StagedData data;
  if (keeps_digests) {
    TL_ASSIGN_OR_RETURN(data, state.store.CopyRange(*reader, 0, src.size));
    record.etag = src.etag;
    record.checksum = src.checksum;
  } else {
    TL_ASSIGN_OR_RETURN(ReceivedBody body,
                        CopyThroughDigests(state, *reader, 0, src.size,
                                           requested.value_or(ChecksumAlgorithm::kCrc64Nvme)));
    data = std::move(body.data);
    record.etag = HexEncode(body.digests.md5);
    record.checksum = ToStored(body.digests.checksum);
  }
  TL_ASSIGN_OR_RETURN(storage::ObjectRecord committed,
                      state.store.Commit(ctx.bucket(), std::move(record), std::move(data),
                                         WriteCheck(conditions)));
  s3::CopyResult result;
  result.etag = committed.etag;
  result.last_modified_millis = committed.last_modified_ms;
  if (committed.checksum) {
    result.checksums.emplace_back(
        "Checksum" + std::string(ChecksumName(StoredAlgorithm(*committed.checksum))),
        ChecksumWireValue(*committed.checksum, 0));
    result.checksum_type = std::string(ChecksumTypeName(*committed.checksum));
  }
  return ctx.SendXml(200, s3::CopyObjectXml(result));
}

}  // namespace trainload::server
