#include "server/copy_source.h"

#include <vector>

#include "common/digest.h"
#include "common/encoding.h"
#include "s3/conditions.h"
#include "s3/error_code.h"
#include "s3/naming.h"

namespace trainload::server {
namespace {

using s3::ErrorCode;
using s3::MakeError;

Status BadSource(std::string_view header, std::string_view why) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "Invalid copy source '" + std::string(header) + "': " + std::string(why));
}

}  // namespace

Result<CopySource> ParseCopySource(std::string_view header) {
  std::string_view text = header;
  if (size_t q = text.find('?'); q != std::string_view::npos) {
    std::string_view params = text.substr(q + 1);
    text = text.substr(0, q);
    if (params != "versionId=null" && !params.empty()) {
      return Error(BadSource(header, "only versionId=null exists (buckets are unversioned)"));
    }
  }
  auto decoded = PercentDecode(text);
  if (!decoded) return Error(BadSource(header, "malformed percent-encoding"));
  std::string_view path = *decoded;
  if (path.starts_with('/')) path.remove_prefix(1);
  size_t slash = path.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == path.size()) {
    return Error(BadSource(header, "expected /bucket/key"));
  }
  CopySource source{std::string(path.substr(0, slash)), std::string(path.substr(slash + 1))};
  TL_RETURN_IF_ERROR(s3::ValidateObjectKey(source.key));
  return source;
}

Result<std::unique_ptr<storage::ObjectReader>> OpenCopySource(RequestContext& ctx,
                                                              ServiceState& state,
                                                              const CopySource& source) {
  auto reader = state.store.OpenObject(source.bucket, source.key);
  if (!reader.has_value()) {
    if (reader.error().code() != StatusCode::kNotFound) return Error(reader.error());
    if (!state.store.GetBucket(source.bucket).has_value()) {
      return Error(MakeError(ErrorCode::kNoSuchBucket,
                             "The copy source bucket does not exist: '" + source.bucket + "'"));
    }
    return Error(MakeError(ErrorCode::kNoSuchKey,
                           "The copy source key does not exist: '" + source.key + "'"));
  }
  const storage::ObjectRecord& record = (*reader)->record();
  s3::Conditions conditions = s3::ConditionsFromHeaders(
      [&](std::string_view name) { return ctx.header(name); }, "x-amz-copy-source-");
  s3::ConditionOutcome outcome =
      s3::EvaluateCopySource(conditions, record.etag, record.last_modified_ms / 1000,
                             state.clock.NowSeconds());
  if (outcome != s3::ConditionOutcome::kProceed) {
    return Error(s3::ConditionStatus(outcome, "/" + source.bucket + "/" + source.key));
  }
  return reader;
}

Result<ReceivedBody> CopyThroughDigests(ServiceState& state, const storage::ObjectReader& source,
                                        uint64_t offset, uint64_t length,
                                        ChecksumAlgorithm algorithm) {
  TL_ASSIGN_OR_RETURN(std::unique_ptr<storage::DataWriter> writer, state.store.NewWriter());
  Digest md5(DigestAlgorithm::kMd5);
  std::unique_ptr<Checksummer> checksummer = Checksummer::Create(algorithm);
  std::vector<std::byte> buffer(1 << 20);
  uint64_t done = 0;
  while (done < length) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), length - done));
    TL_ASSIGN_OR_RETURN(size_t n, source.ReadAt(offset + done, std::span(buffer.data(), want)));
    if (n == 0) {
      return Error(DataLoss("copy source ended early at byte " + std::to_string(offset + done)));
    }
    std::span<const std::byte> data(buffer.data(), n);
    md5.Update(data);
    checksummer->Update(data);
    TL_RETURN_IF_ERROR(writer->Append(data));
    done += n;
  }
  ReceivedBody body;
  body.digests.size = done;
  body.digests.md5 = md5.Finish();
  body.digests.checksum = ChecksumValue{algorithm, checksummer->Finish()};
  TL_ASSIGN_OR_RETURN(body.data, writer->Finish());
  return body;
}

}  // namespace trainload::server
