#include "s3/error_code.h"

#include <array>

namespace trainload::s3 {
namespace {

using enum StatusCode;

// Indexed by ErrorCode; keep in enum order (checked by error_code_test).
constexpr std::array kErrors = {
    ErrorInfo{"AccessDenied", 403, kPermissionDenied, "Access Denied"},
    ErrorInfo{"AuthorizationHeaderMalformed", 400, kInvalidArgument,
              "The authorization header is malformed."},
    ErrorInfo{"AuthorizationQueryParametersError", 400, kInvalidArgument,
              "Error parsing the X-Amz-Credential parameter."},
    ErrorInfo{"BadDigest", 400, kInvalidArgument,
              "The Content-MD5 or checksum you specified did not match what we received."},
    ErrorInfo{"BucketAlreadyExists", 409, kAlreadyExists,
              "The requested bucket name is not available."},
    ErrorInfo{"BucketAlreadyOwnedByYou", 409, kAlreadyExists,
              "Your previous request to create the named bucket succeeded and you already own it."},
    ErrorInfo{"BucketNotEmpty", 409, kFailedPrecondition,
              "The bucket you tried to delete is not empty."},
    ErrorInfo{"ConditionalRequestConflict", 409, kAborted,
              "A conflicting operation occurred. If using PutObject you can retry the request."},
    ErrorInfo{"EntityTooLarge", 400, kInvalidArgument,
              "Your proposed upload exceeds the maximum allowed size."},
    ErrorInfo{"EntityTooSmall", 400, kInvalidArgument,
              "Your proposed upload is smaller than the minimum allowed size."},
    ErrorInfo{"ExpiredToken", 400, kUnauthenticated, "The provided token has expired."},
    ErrorInfo{"IdempotentParameterMismatch", 400, kInvalidArgument,
              "The client token was reused with different request parameters."},
    ErrorInfo{"IncompleteBody", 400, kInvalidArgument,
              "You did not provide the number of bytes specified by the Content-Length header."},
    ErrorInfo{"InternalError", 500, kInternal,
              "We encountered an internal error. Please try again."},
    ErrorInfo{"InvalidAccessKeyId", 403, kUnauthenticated,
              "The AWS Access Key Id you provided does not exist in our records."},
    ErrorInfo{"InvalidArgument", 400, kInvalidArgument, "Invalid Argument"},
    ErrorInfo{"InvalidBucketName", 400, kInvalidArgument,
              "The specified bucket is not valid."},
    ErrorInfo{"InvalidBucketState", 409, kFailedPrecondition,
              "The request is not valid with the current state of the bucket."},
    ErrorInfo{"InvalidDigest", 400, kInvalidArgument,
              "The Content-MD5 or checksum you specified is not valid."},
    ErrorInfo{"InvalidEncryptionAlgorithmError", 400, kInvalidArgument,
              "The encryption request you specified is not valid."},
    ErrorInfo{"InvalidPart", 400, kInvalidArgument,
              "One or more of the specified parts could not be found."},
    ErrorInfo{"InvalidPartOrder", 400, kInvalidArgument,
              "The list of parts was not in ascending order."},
    ErrorInfo{"InvalidRange", 416, kOutOfRange, "The requested range is not satisfiable"},
    ErrorInfo{"InvalidRequest", 400, kInvalidArgument, "Invalid Request"},
    ErrorInfo{"InvalidStorageClass", 400, kInvalidArgument,
              "The storage class you specified is not valid."},
    ErrorInfo{"InvalidToken", 400, kUnauthenticated,
              "The provided token is malformed or otherwise invalid."},
    ErrorInfo{"InvalidWriteOffset", 400, kFailedPrecondition,
              "The write offset value that you specified does not match the current object size."},
    ErrorInfo{"KeyTooLongError", 400, kInvalidArgument, "Your key is too long."},
    ErrorInfo{"MalformedXML", 400, kInvalidArgument,
              "The XML you provided was not well-formed or did not validate against our published "
              "schema."},
    ErrorInfo{"MetadataTooLarge", 400, kInvalidArgument,
              "Your metadata headers exceed the maximum allowed metadata size."},
    ErrorInfo{"MethodNotAllowed", 405, kInvalidArgument,
              "The specified method is not allowed against this resource."},
    ErrorInfo{"MissingContentLength", 411, kInvalidArgument,
              "You must provide the Content-Length HTTP header."},
    ErrorInfo{"MissingSecurityHeader", 400, kInvalidArgument,
              "Your request is missing a required header."},
    ErrorInfo{"NoSuchBucket", 404, kNotFound, "The specified bucket does not exist."},
    ErrorInfo{"NoSuchKey", 404, kNotFound, "The specified key does not exist."},
    ErrorInfo{"NoSuchUpload", 404, kNotFound,
              "The specified multipart upload does not exist. The upload ID might be invalid, or "
              "the multipart upload might have been aborted or completed."},
    ErrorInfo{"NoSuchVersion", 404, kNotFound,
              "The version ID specified in the request does not match an existing version."},
    ErrorInfo{"NotImplemented", 501, kUnimplemented,
              "A header or query you provided implies functionality that is not implemented."},
    ErrorInfo{"NotModified", 304, kFailedPrecondition, "Not Modified"},
    ErrorInfo{"PreconditionFailed", 412, kFailedPrecondition,
              "At least one of the pre-conditions you specified did not hold."},
    ErrorInfo{"RequestHeaderSectionTooLarge", 400, kInvalidArgument,
              "Your request header section exceeds the maximum allowed size."},
    ErrorInfo{"RequestTimeTooSkewed", 403, kUnauthenticated,
              "The difference between the request time and the current time is too large."},
    ErrorInfo{"RequestTimeout", 400, kDeadlineExceeded,
              "Your socket connection to the server was not read from or written to within the "
              "timeout period."},
    ErrorInfo{"ServiceUnavailable", 503, kUnavailable, "Please reduce your request rate."},
    ErrorInfo{"SignatureDoesNotMatch", 403, kUnauthenticated,
              "The request signature we calculated does not match the signature you provided. "
              "Check your key and signing method."},
    ErrorInfo{"SlowDown", 503, kUnavailable, "Please reduce your request rate."},
    ErrorInfo{"TooManyParts", 400, kInvalidArgument,
              "The object already has the maximum number of parts."},
    ErrorInfo{"XAmzContentSHA256Mismatch", 400, kInvalidArgument,
              "The provided 'x-amz-content-sha256' header does not match what was computed."},
    ErrorInfo{"XAmzContentChecksumMismatch", 400, kInvalidArgument,
              "The provided 'x-amz-checksum' header does not match what was computed."},
    ErrorInfo{"MalformedTrailerError", 400, kInvalidArgument,
              "The request contained trailing data that was not well-formed or did not conform "
              "to our published schema."},
    ErrorInfo{"InvalidChunkSizeError", 400, kInvalidArgument,
              "Only the last chunk is allowed to have a size less than 8192 bytes"},
    ErrorInfo{"InvalidURI", 400, kInvalidArgument, "Couldn't parse the specified URI."},
    ErrorInfo{"NoSuchBucketPolicy", 404, kNotFound, "The bucket policy does not exist"},
    ErrorInfo{"NoSuchCORSConfiguration", 404, kNotFound, "The CORS configuration does not exist"},
    ErrorInfo{"NoSuchLifecycleConfiguration", 404, kNotFound,
              "The lifecycle configuration does not exist"},
    ErrorInfo{"ServerSideEncryptionConfigurationNotFoundError", 404, kNotFound,
              "The server side encryption configuration was not found"},
    ErrorInfo{"NoSuchTagSet", 404, kNotFound, "The TagSet does not exist"},
    ErrorInfo{"NoSuchWebsiteConfiguration", 404, kNotFound,
              "The specified bucket does not have a website configuration"},
    ErrorInfo{"ReplicationConfigurationNotFoundError", 404, kNotFound,
              "The replication configuration was not found"},
    ErrorInfo{"OwnershipControlsNotFoundError", 404, kNotFound,
              "The bucket ownership controls were not found"},
    ErrorInfo{"NoSuchPublicAccessBlockConfiguration", 404, kNotFound,
              "The public access block configuration was not found"},
    ErrorInfo{"IllegalLocationConstraintException", 400, kInvalidArgument,
              "The location constraint is incompatible for the region specific endpoint this "
              "request was sent to."},
    ErrorInfo{"InvalidPartNumber", 416, kOutOfRange, "The requested partnumber is not satisfiable"},
};

static_assert(kErrors.size() ==
                  static_cast<size_t>(ErrorCode::kInvalidPartNumber) + 1,
              "kErrors must list every ErrorCode in enum order");

}  // namespace

const ErrorInfo& Info(ErrorCode code) { return kErrors[static_cast<size_t>(code)]; }

std::optional<ErrorCode> ErrorCodeFromName(std::string_view name) {
  for (size_t i = 0; i < kErrors.size(); ++i) {
    if (kErrors[i].name == name) return static_cast<ErrorCode>(i);
  }
  return std::nullopt;
}

Status MakeError(ErrorCode code, std::string message) {
  const ErrorInfo& info = Info(code);
  if (message.empty()) message = std::string(info.default_message);
  return Status(info.status_code, std::move(message), std::string(info.name));
}

std::optional<ErrorCode> ErrorCodeOf(const Status& status) {
  if (status.reason().empty()) return std::nullopt;
  return ErrorCodeFromName(status.reason());
}

}  // namespace trainload::s3
