// The catalogue of S3 error codes trainload emits (server) and recognises (client).
//
// Each code has its wire name (`<Code>` in the error XML), its HTTP status, the StatusCode it
// maps to inside trainload, and S3's default message. MakeError() builds the Status that carries
// a code through the layers: the code's name becomes Status::reason(), which the server's edge
// turns back into XML and the client's edge parses out of XML. Pure data; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "trainload/status.h"

namespace trainload::s3 {

enum class ErrorCode {
  kAccessDenied,
  kAuthorizationHeaderMalformed,
  kAuthorizationQueryParametersError,
  kBadDigest,
  kBucketAlreadyExists,
  kBucketAlreadyOwnedByYou,
  kBucketNotEmpty,
  kConditionalRequestConflict,
  kEntityTooLarge,
  kEntityTooSmall,
  kExpiredToken,
  kIdempotentParameterMismatch,
  kIncompleteBody,
  kInternalError,
  kInvalidAccessKeyId,
  kInvalidArgument,
  kInvalidBucketName,
  kInvalidBucketState,
  kInvalidDigest,
  kInvalidEncryptionAlgorithmError,
  kInvalidPart,
  kInvalidPartOrder,
  kInvalidRange,
  kInvalidRequest,
  kInvalidStorageClass,
  kInvalidToken,
  kInvalidWriteOffset,
  kKeyTooLongError,
  kMalformedXML,
  kMetadataTooLarge,
  kMethodNotAllowed,
  kMissingContentLength,
  kMissingSecurityHeader,
  kNoSuchBucket,
  kNoSuchKey,
  kNoSuchUpload,
  kNoSuchVersion,
  kNotImplemented,
  kNotModified,
  kPreconditionFailed,
  kRequestHeaderSectionTooLarge,
  kRequestTimeTooSkewed,
  kRequestTimeout,
  kServiceUnavailable,
  kSignatureDoesNotMatch,
  kSlowDown,
  kTooManyParts,
  kXAmzContentSHA256Mismatch,
  kXAmzContentChecksumMismatch,
  kMalformedTrailerError,
  kInvalidChunkSizeError,
  kInvalidURI,
  kNoSuchBucketPolicy,
  kNoSuchCORSConfiguration,
  kNoSuchLifecycleConfiguration,
  kServerSideEncryptionConfigurationNotFoundError,
  kNoSuchTagSet,
  kNoSuchWebsiteConfiguration,
  kReplicationConfigurationNotFoundError,
  kOwnershipControlsNotFoundError,
  kNoSuchPublicAccessBlockConfiguration,
  kIllegalLocationConstraintException,
  kInvalidPartNumber,
};

struct ErrorInfo {
  std::string_view name;  // wire name, e.g. "NoSuchKey"
  int http_status;
  StatusCode status_code;
  std::string_view default_message;
};

const ErrorInfo& Info(ErrorCode code);

// Looks up a wire name ("NoSuchKey"); nullopt when the name is not in the catalogue.
std::optional<ErrorCode> ErrorCodeFromName(std::string_view name);

// A Status carrying `code`: its StatusCode, reason() = wire name, and `message` (or the
// default message when `message` is empty).
Status MakeError(ErrorCode code, std::string message = {});

// The S3 error code a Status carries in reason(), if any.
std::optional<ErrorCode> ErrorCodeOf(const Status& status);

}  // namespace trainload::s3
