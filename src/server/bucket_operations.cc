// Bucket-level operations: list, create, delete, head, and the bucket subresources trainload
// answers (location, versioning, ACL, and "not configured" for the rest).
#include <string>

#include "common/encoding.h"
#include "s3/error_code.h"
#include "s3/naming.h"
#include "s3/request_xml.h"
#include "s3/response_xml.h"
#include "s3/xml_writer.h"
#include "server/operation_helpers.h"
#include "server/operations.h"
#include "server/upload_body.h"

namespace trainload::server {
namespace {

using s3::ErrorCode;
using s3::MakeError;

constexpr size_t kMaxConfigurationBody = 64 * 1024;

}  // namespace

Status ListBuckets(RequestContext& ctx, ServiceState& state) {
  const QueryParams& q = ctx.query();
  TL_ASSIGN_OR_RETURN(std::optional<int64_t> max_buckets,
                      IntegerParam(q, "max-buckets", 1, 10000));
  size_t max = max_buckets ? static_cast<size_t>(*max_buckets) : storage::kMaxListBuckets;
  std::string start_after;
  if (auto token = q.Get("continuation-token"); token && !token->empty()) {
    auto decoded = Base64Decode(*token);
    if (!decoded) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "The continuation token provided is incorrect: '" + std::string(*token) +
                           "'");
    }
    start_after = *decoded;
  }
  std::string prefix(q.Get("prefix").value_or(""));
  TL_ASSIGN_OR_RETURN(storage::BucketPage page, state.store.ListBuckets(prefix, start_after, max));
  s3::ListAllMyBucketsResult result;
  result.owner = ctx.Owner();
  result.prefix = prefix;
  for (const storage::BucketInfo& b : page.buckets) {
    result.buckets.push_back(s3::ListedBucket{b.name, b.created_ms, b.region});
  }
  if (page.truncated) result.continuation_token = Base64Encode(page.next_marker);
  return ctx.SendXml(200, s3::ListAllMyBucketsXml(result));
}

Status CreateBucket(RequestContext& ctx, ServiceState& state) {
  TL_RETURN_IF_ERROR(s3::ValidateBucketName(ctx.bucket()));
  TL_ASSIGN_OR_RETURN(std::string body, ReadSmallBody(ctx.exchange(), ctx.auth,
                                                      kMaxConfigurationBody));
  TL_ASSIGN_OR_RETURN(s3::CreateBucketConfiguration config,
                      s3::ParseCreateBucketConfiguration(body));
  if (ctx.header("x-amz-bucket-object-lock-enabled") == "true") {
    return MakeError(ErrorCode::kNotImplemented, "object lock is not supported by trainload");
  }
  if (s3::IsDirectoryBucketName(ctx.bucket()) || config.bucket_type == "Directory") {
    return MakeError(ErrorCode::kNotImplemented,
                     "directory buckets ('" + ctx.bucket() +
                         "') are not supported by this trainload server yet");
  }
  const std::string& region = state.options.region;
  std::string constraint = config.location_constraint;
  if (constraint == "US" || constraint == "") constraint = "us-east-1";
  if (constraint != region) {
    return MakeError(ErrorCode::kIllegalLocationConstraintException,
                     "The " + config.location_constraint +
                         " location constraint is incompatible for the region specific endpoint "
                         "this request was sent to (this server is " + region + ").");
  }
  auto created = state.store.CreateBucket(ctx.bucket(), region,
                                          storage::BucketKind::kGeneralPurpose);
  if (!created.has_value()) {
    if (created.error().code() != StatusCode::kAlreadyExists) return created.error();
    // us-east-1 answers 200 to the owner re-creating a bucket; other regions say 409.
    if (region != "us-east-1") {
      return MakeError(ErrorCode::kBucketAlreadyOwnedByYou,
                       "Your previous request to create the named bucket succeeded and you "
                       "already own it: '" + ctx.bucket() + "'");
    }
  }
  http::Headers headers = ctx.BaseHeaders();
  headers.Add("location", "/" + ctx.bucket());
  return ctx.SendEmpty(200, std::move(headers));
}

Status DeleteBucket(RequestContext& ctx, ServiceState& state) {
  Status status = state.store.DeleteBucket(ctx.bucket());
  if (status.code() == StatusCode::kNotFound) {
    return MakeError(ErrorCode::kNoSuchBucket,
                     "The specified bucket does not exist: '" + ctx.bucket() + "'");
  }
  if (status.code() == StatusCode::kFailedPrecondition) {
    return MakeError(ErrorCode::kBucketNotEmpty,
                     "The bucket you tried to delete is not empty: '" + ctx.bucket() + "'");
  }
  TL_RETURN_IF_ERROR(status);
  return ctx.SendEmpty(204);
}

Status HeadBucket(RequestContext& ctx, ServiceState& state) {
  TL_RETURN_IF_ERROR(RequireBucket(ctx, state));
  TL_ASSIGN_OR_RETURN(storage::BucketInfo bucket, state.store.GetBucket(ctx.bucket()));
  http::Headers headers = ctx.BaseHeaders();
  headers.Add("x-amz-bucket-region", bucket.region);
  headers.Add("x-amz-access-point-alias", "false");
  return ctx.SendEmpty(200, std::move(headers));
}

Status GetBucketLocation(RequestContext& ctx, ServiceState& state) {
  TL_RETURN_IF_ERROR(RequireBucket(ctx, state));
  TL_ASSIGN_OR_RETURN(storage::BucketInfo bucket, state.store.GetBucket(ctx.bucket()));
  return ctx.SendXml(200, s3::LocationConstraintXml(bucket.region));
}

Status GetBucketVersioning(RequestContext& ctx, ServiceState& state) {
  TL_RETURN_IF_ERROR(RequireBucket(ctx, state));
  return ctx.SendXml(200, s3::VersioningConfigurationXml(""));
}

Status PutBucketVersioning(RequestContext& ctx, ServiceState& state) {
  TL_RETURN_IF_ERROR(RequireBucket(ctx, state));
  TL_ASSIGN_OR_RETURN(std::string body, ReadSmallBody(ctx.exchange(), ctx.auth,
                                                      kMaxConfigurationBody));
  TL_ASSIGN_OR_RETURN(std::string status, s3::ParseVersioningStatus(body));
  if (status != "Suspended") {
    return MakeError(ErrorCode::kNotImplemented,
                     "bucket versioning '" + status +
                         "' is not supported by trainload (buckets are unversioned)");
  }
  return ctx.SendEmpty(200);
}

Status GetBucketAcl(RequestContext& ctx, ServiceState& state) {
  TL_RETURN_IF_ERROR(RequireBucket(ctx, state));
  // One owner with full control: trainload has no ACLs, and this is what S3 reports for a
  // bucket with ACLs disabled (bucket owner enforced).
  return ctx.SendXml(200, s3::OwnerOnlyAclXml(ctx.Owner()));
}

Status GetBucketSubresource(RequestContext& ctx, ServiceState& state) {
  TL_RETURN_IF_ERROR(RequireBucket(ctx, state));
  const QueryParams& q = ctx.query();
  auto empty_document = [&](std::string_view root, std::string_view inner) {
    std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<" + std::string(root) +
                      " xmlns=\"" + std::string(s3::kS3Namespace) + "\">" + std::string(inner) +
                      "</" + std::string(root) + ">";
    return ctx.SendXml(200, xml);
  };
  if (q.Has("logging")) return empty_document("BucketLoggingStatus", "");
  if (q.Has("notification")) return empty_document("NotificationConfiguration", "");
  if (q.Has("requestPayment")) {
    return empty_document("RequestPaymentConfiguration", "<Payer>BucketOwner</Payer>");
  }
  struct Missing {
    std::string_view param;
    ErrorCode code;
  };
  constexpr Missing kMissing[] = {
      {"policy", ErrorCode::kNoSuchBucketPolicy},
      {"cors", ErrorCode::kNoSuchCORSConfiguration},
      {"lifecycle", ErrorCode::kNoSuchLifecycleConfiguration},
      {"encryption", ErrorCode::kServerSideEncryptionConfigurationNotFoundError},
      {"tagging", ErrorCode::kNoSuchTagSet},
      {"website", ErrorCode::kNoSuchWebsiteConfiguration},
      {"replication", ErrorCode::kReplicationConfigurationNotFoundError},
      {"ownershipControls", ErrorCode::kOwnershipControlsNotFoundError},
      {"publicAccessBlock", ErrorCode::kNoSuchPublicAccessBlockConfiguration},
  };
  for (const Missing& m : kMissing) {
    if (q.Has(m.param)) return MakeError(m.code);
  }
  return MakeError(ErrorCode::kNotImplemented, "this bucket configuration is not supported");
}

}  // namespace trainload::server
