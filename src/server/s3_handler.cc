#include "server/s3_handler.h"

#include <sys/random.h>

#include <cstdio>
#include <iostream>

#include "common/encoding.h"
#include "s3/error_code.h"
#include "s3/naming.h"
#include "s3/response_xml.h"
#include "server/operations.h"

namespace trainload::server {
namespace {

using s3::ErrorCode;
using s3::MakeError;

uint64_t RandomSeed() {
  uint64_t seed = 0;
  if (getrandom(&seed, sizeof seed, 0) != sizeof seed) seed = 0x9e3779b97f4a7c15ull;
  return seed;
}

// The S3 code for a Status that carries none: storage and I/O errors.
ErrorCode CodeFor(const Status& status, const Route& route) {
  switch (status.code()) {
    case StatusCode::kNotFound:
      return route.key.empty() ? ErrorCode::kNoSuchBucket : ErrorCode::kNoSuchKey;
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange: return ErrorCode::kInvalidArgument;
    case StatusCode::kPermissionDenied: return ErrorCode::kAccessDenied;
    case StatusCode::kAlreadyExists: return ErrorCode::kBucketAlreadyOwnedByYou;
    case StatusCode::kUnimplemented: return ErrorCode::kNotImplemented;
    case StatusCode::kUnavailable:
    case StatusCode::kResourceExhausted: return ErrorCode::kServiceUnavailable;
    case StatusCode::kDeadlineExceeded: return ErrorCode::kRequestTimeout;
    default: return ErrorCode::kInternalError;
  }
}

}  // namespace

S3Handler::S3Handler(ServiceState state, const CredentialStore& credentials)
    : state_(state), credentials_(credentials), id_seed_(RandomSeed()) {}

std::string S3Handler::NewRequestId() {
  // Unique per server run and cheap: a random per-process seed mixed with a counter.
  uint64_t n = request_counter_.fetch_add(1, std::memory_order_relaxed);
  uint64_t x = (id_seed_ ^ (n * 0x9e3779b97f4a7c15ull));
  x ^= x >> 31;
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i, x >>= 4) id[static_cast<size_t>(i)] = kHex[x & 0xf];
  return id;
}

void S3Handler::Handle(http::Exchange& exchange) {
  std::string id = NewRequestId();
  std::string host_id = Base64Encode(id + id);
  RequestContext ctx(exchange, std::move(id), std::move(host_id));
  Status status = Serve(ctx);
  if (!status.ok()) SendError(ctx, status);
}

void S3Handler::HandleProtocolError(http::ProtocolError error, http::Exchange& exchange) {
  std::string id = NewRequestId();
  RequestContext ctx(exchange, id, Base64Encode(id + id));
  Status status = error == http::ProtocolError::kHeaderTooLarge
                      ? MakeError(ErrorCode::kRequestHeaderSectionTooLarge,
                                  "Your request header section exceeds the maximum allowed size "
                                  "of " + std::to_string(state_.options.http.max_header_bytes) +
                                      " bytes.")
                      : MakeError(ErrorCode::kInvalidRequest, "The request is not valid HTTP/1.1.");
  SendError(ctx, status);
}

Status S3Handler::Serve(RequestContext& ctx) {
  const http::Request& request = ctx.request();
  auto host = request.headers.Get("host");
  TL_ASSIGN_OR_RETURN(ctx.route,
                      ResolveRoute(request.method, request.raw_path(), request.raw_query(),
                                   host.value_or(""), state_.options.domains,
                                   request.headers.Has("x-amz-copy-source")));
  TL_RETURN_IF_ERROR(Authenticate(ctx));
  if (!ctx.key().empty()) TL_RETURN_IF_ERROR(s3::ValidateObjectKey(ctx.key()));
  if (auto version = ctx.query().Get("versionId"); version && *version != "null") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "Invalid version id specified: '" + std::string(*version) +
                         "' (trainload buckets are unversioned; only 'null' exists)");
  }
  return Dispatch(ctx);
}

Status S3Handler::Authenticate(RequestContext& ctx) {
  const http::Request& request = ctx.request();
  s3::RequestView view{request.method, request.raw_path(), request.raw_query(),
                       request.headers.entries()};
  if (s3::ClassifyAuth(view) == s3::AuthKind::kAnonymous) {
    return MakeError(ErrorCode::kAccessDenied,
                     "Access Denied: anonymous requests are not allowed; sign requests with "
                     "AWS Signature Version 4");
  }
  s3::VerifyOptions options;
  options.region = state_.options.region;
  auto lookup = [this](std::string_view id) { return credentials_.SecretFor(id); };
  TL_ASSIGN_OR_RETURN(ctx.auth, s3::VerifyRequest(view, lookup, state_.clock.NowSeconds(), options,
                                                  signing_keys_));
  return Status::Ok();
}

Status S3Handler::Dispatch(RequestContext& ctx) {
  ServiceState& s = state_;
  switch (ctx.route.operation) {
    case Operation::kListBuckets: return ListBuckets(ctx, s);
    case Operation::kCreateBucket: return CreateBucket(ctx, s);
    case Operation::kDeleteBucket: return DeleteBucket(ctx, s);
    case Operation::kHeadBucket: return HeadBucket(ctx, s);
    case Operation::kGetBucketLocation: return GetBucketLocation(ctx, s);
    case Operation::kGetBucketVersioning: return GetBucketVersioning(ctx, s);
    case Operation::kPutBucketVersioning: return PutBucketVersioning(ctx, s);
    case Operation::kGetBucketAcl: return GetBucketAcl(ctx, s);
    case Operation::kGetBucketSubresource: return GetBucketSubresource(ctx, s);
    case Operation::kListObjects: return ListObjectsV1(ctx, s);
    case Operation::kListObjectsV2: return ListObjectsV2(ctx, s);
    case Operation::kListObjectVersions: return ListObjectVersions(ctx, s);
    case Operation::kListMultipartUploads: return ListMultipartUploads(ctx, s);
    case Operation::kDeleteObjects: return DeleteObjects(ctx, s);
    case Operation::kGetObject:
    case Operation::kHeadObject: return GetObject(ctx, s);
    case Operation::kPutObject: return PutObject(ctx, s);
    case Operation::kCopyObject: return CopyObject(ctx, s);
    case Operation::kDeleteObject: return DeleteObject(ctx, s);
    case Operation::kGetObjectAcl: return GetObjectAcl(ctx, s);
    case Operation::kGetObjectTagging: return GetObjectTagging(ctx, s);
    case Operation::kCreateMultipartUpload: return CreateMultipartUpload(ctx, s);
    case Operation::kUploadPart: return UploadPart(ctx, s);
    case Operation::kUploadPartCopy: return UploadPartCopy(ctx, s);
    case Operation::kCompleteMultipartUpload: return CompleteMultipartUpload(ctx, s);
    case Operation::kAbortMultipartUpload: return AbortMultipartUpload(ctx, s);
    case Operation::kListParts: return ListParts(ctx, s);
    case Operation::kCreateSession:
    case Operation::kGetObjectAttributes:
    case Operation::kRenameObject:
      return MakeError(ErrorCode::kNotImplemented,
                       std::string(OperationName(ctx.route.operation)) +
                           " is not implemented by trainload yet");
    case Operation::kUnsupported:
      return MakeError(ErrorCode::kNotImplemented,
                       ctx.route.unsupported_what + " is not implemented by trainload");
  }
  return MakeError(ErrorCode::kInternalError, "unrouted operation");
}

void S3Handler::SendError(RequestContext& ctx, const Status& status) {
  http::Exchange& exchange = ctx.exchange();
  if (exchange.head_sent()) return;  // too late: the short body makes the client see an error
  ErrorCode code = s3::ErrorCodeOf(status).value_or(CodeFor(status, ctx.route));
  const s3::ErrorInfo& info = s3::Info(code);
  if (info.http_status >= 500) {
    std::cerr << "trainload server: " << ctx.request().method << " " << ctx.request().target
              << " failed: " << status.ToString() << " (request " << ctx.request_id() << ")\n";
  }
 http::Headers headers = ctx.BaseHeaders();
  for (const auto& [name, value] : ctx.error_headers.entries()) headers.Add(name, value);
  if (ctx.request().method == "HEAD" || info.http_status == 304) {
    (void)ctx.SendEmpty(info.http_status, std::move(headers));
    return;
  }
  s3::ErrorDocument doc;
  doc.code = std::string(info.name);
  doc.message = status.message().empty() ? std::string(info.default_message) : status.message();
  if (code == ErrorCode::kNoSuchKey && !ctx.key().empty()) doc.extra.emplace_back("Key", ctx.key());
  if (code == ErrorCode::kNoSuchBucket || code == ErrorCode::kBucketNotEmpty ||
      code == ErrorCode::kBucketAlreadyOwnedByYou) {
    doc.extra.emplace_back("BucketName", ctx.bucket());
  }
  doc.resource = std::string(ctx.request().raw_path());
  doc.request_id = ctx.request_id();
  doc.host_id = ctx.host_id();
  (void)ctx.SendXml(info.http_status, s3::ErrorXml(doc), std::move(headers));
}

}  // namespace trainload::server
