#include "server/operation_helpers.h"

#include <charconv>

#include "s3/error_code.h"

namespace trainload::server {

using s3::ErrorCode;
using s3::MakeError;

Status RequireBucket(RequestContext& ctx, ServiceState& state) {
  auto bucket = state.store.GetBucket(ctx.bucket());
  if (bucket.has_value()) return Status::Ok();
  if (bucket.error().code() != StatusCode::kNotFound) return bucket.error();
  return MakeError(ErrorCode::kNoSuchBucket,
                   "The specified bucket does not exist: '" + ctx.bucket() + "'");
}

Status ObjectNotFound(RequestContext& ctx, ServiceState& state, const Status& status) {
  if (status.code() != StatusCode::kNotFound || !status.reason().empty()) return status;
  TL_RETURN_IF_ERROR(RequireBucket(ctx, state));
  return MakeError(ErrorCode::kNoSuchKey, "The specified key does not exist.");
}

s3::Conditions WriteConditions(const RequestContext& ctx) {
  return s3::ConditionsFromHeaders([&](std::string_view name) { return ctx.header(name); });
}

bool HasWriteConditions(const s3::Conditions& c) {
  return c.if_match.has_value() || c.if_none_match.has_value();
}

storage::CommitCheck WriteCheck(const s3::Conditions& conditions) {
  if (!HasWriteConditions(conditions)) return {};
  return [conditions](const storage::ObjectRecord* current) {
    return s3::EvaluateWrite(conditions, current != nullptr,
                             current != nullptr ? std::string_view(current->etag) : "");
  };
}

Status EarlyWriteCheck(RequestContext& ctx, ServiceState& state, const s3::Conditions& conditions) {
  if (!HasWriteConditions(conditions)) return Status::Ok();
  auto current = state.store.Head(ctx.bucket(), ctx.key());
  return WriteCheck(conditions)(current.has_value() ? &*current : nullptr);
}

Result<std::optional<ChecksumAlgorithm>> RequestedAlgorithm(const RequestContext& ctx) {
  auto name = ctx.header("x-amz-checksum-algorithm");
  if (!name) return std::optional<ChecksumAlgorithm>();
  auto algorithm = ChecksumFromName(*name);
  if (!algorithm) {
    return Error(MakeError(ErrorCode::kInvalidRequest,
                           "Checksum algorithm provided is unsupported: '" + std::string(*name) +
                               "'. Please try again with any of the valid types: [CRC32, CRC32C, "
                               "CRC64NVME, SHA1, SHA256]"));
  }
  return std::optional<ChecksumAlgorithm>(*algorithm);
}

std::optional<storage::StoredChecksum> ToStored(const std::optional<ChecksumValue>& value) {
  if (!value) return std::nullopt;
  return storage::StoredChecksum{static_cast<int>(value->algorithm), value->raw, true};
}

Result<std::optional<int64_t>> IntegerParam(const QueryParams& query, std::string_view name,
                                            int64_t min, int64_t max) {
  auto text = query.Get(name);
  if (!text) return std::optional<int64_t>();
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < min || value > max) {
    return Error(MakeError(ErrorCode::kInvalidArgument,
                           "Provided " + std::string(name) + " must be an integer from " +
                               std::to_string(min) + " to " + std::to_string(max) + ", got '" +
                               std::string(*text) + "'"));
  }
  return std::optional<int64_t>(value);
}

}  // namespace trainload::server
