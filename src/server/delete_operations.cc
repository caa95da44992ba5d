// DeleteObject and DeleteObjects (batch, quiet mode, per-key If-Match).
#include "s3/conditions.h"
#include "s3/error_code.h"
#include "s3/naming.h"
#include "s3/request_xml.h"
#include "s3/response_xml.h"
#include "server/operation_helpers.h"
#include "server/operations.h"
#include "server/upload_body.h"

namespace trainload::server {
namespace {

using s3::ErrorCode;
using s3::MakeError;

// 1,000 keys of up to 1,024 bytes, escaped, with their XML.
constexpr size_t kMaxDeleteBody = 8 << 20;

storage::CommitCheck IfMatchCheck(std::optional<std::string> if_match) {
  if (!if_match) return {};
  s3::Conditions conditions;
  conditions.if_match = std::move(if_match);
  return [conditions](const storage::ObjectRecord* current) {
    return s3::EvaluateWrite(conditions, current != nullptr,
                             current != nullptr ? std::string_view(current->etag) : "");
  };
}

}  // namespace

Status DeleteObject(RequestContext& ctx, ServiceState& state) {
  std::optional<std::string> if_match;
  if (auto h = ctx.header("if-match")) if_match = std::string(*h);
  auto deleted = state.store.Delete(ctx.bucket(), ctx.key(), IfMatchCheck(std::move(if_match)));
  if (!deleted.has_value()) {
    if (deleted.error().code() == StatusCode::kNotFound && deleted.error().reason().empty()) {
      return RequireBucket(ctx, state);
    }
    return deleted.error();
  }
  return ctx.SendEmpty(204);
}

Status DeleteObjects(RequestContext& ctx, ServiceState& state) {
  const http::Headers& h = ctx.request().headers;
  bool has_integrity = h.Has("content-md5") || h.Has("x-amz-trailer");
  for (const auto& [name, value] : h.entries()) {
    has_integrity = has_integrity || ChecksumFromHeaderName(name).has_value();
  }
  if (!has_integrity) {
    return MakeError(ErrorCode::kInvalidRequest,
                     "Missing required header for this request: Content-MD5 (or an "
                     "x-amz-checksum-* header)");
  }
  TL_RETURN_IF_ERROR(RequireBucket(ctx, state));
  TL_ASSIGN_OR_RETURN(std::string body, ReadSmallBody(ctx.exchange(), ctx.auth, kMaxDeleteBody));
  TL_ASSIGN_OR_RETURN(s3::DeleteRequest request, s3::ParseDelete(body));

  s3::DeleteResult result;
  for (s3::ObjectToDelete& object : request.objects) {
    auto fail = [&](const Status& status) {
      auto code = s3::ErrorCodeOf(status).value_or(ErrorCode::kInternalError);
      result.errors.push_back(s3::DeleteObjectError{object.key, object.version_id,
                                                    std::string(s3::Info(code).name),
                                                    status.message()});
    };
    if (Status valid = s3::ValidateObjectKey(object.key); !valid.ok()) {
      fail(valid);
      continue;
    }
    if (!object.version_id.empty() && object.version_id != "null") {
      fail(MakeError(ErrorCode::kNoSuchVersion,
                     "The specified version does not exist: '" + object.version_id + "'"));
      continue;
    }
    auto deleted = state.store.Delete(ctx.bucket(), object.key, IfMatchCheck(object.etag));
    if (!deleted.has_value()) {
      fail(deleted.error());
      continue;
    }
    if (!request.quiet) {
      s3::DeletedObject done;
      done.key = object.key;
      done.version_id = object.version_id;
      result.deleted.push_back(std::move(done));
    }
  }
  return ctx.SendXml(200, s3::DeleteResultXml(result));
}

}  // namespace trainload::server
