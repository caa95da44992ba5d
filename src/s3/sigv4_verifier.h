// Server-side verification of AWS Signature Version 4 requests, with the error codes and
// messages Amazon S3 returns.
//
// VerifyRequest() checks either kind of SigV4 authentication: the Authorization header
// ("AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…") or a presigned URL
// (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders,
// X-Amz-Signature in the query). It rebuilds the canonical request from the wire form of the
// request (see canonical_request.h), so any client escaping of the same key verifies.
// It does not read the body: for a hex x-amz-content-sha256 the caller hashes the body and
// compares (XAmzContentSHA256Mismatch); for STREAMING-* payloads the aws-chunked decoder checks
// chunk signatures with VerifiedRequest::signing_key and ::signature (ChunkSignature in sigv4.h).
//
// Errors (S3 code, from error_code.h):
//   - both an Authorization header and query authentication: InvalidArgument
//   - SigV2 ("AWS key:sig", or AWSAccessKeyId/Signature in the query): InvalidRequest
//   - unknown Authorization scheme: InvalidArgument "Unsupported Authorization Type"
//   - malformed header, credential scope, service, region: AuthorizationHeaderMalformed
//   - malformed presign parameters, X-Amz-Expires out of range: AuthorizationQueryParametersError
//   - header auth without a valid x-amz-date / Date: AccessDenied
//   - header auth more than max_skew_seconds off: RequestTimeTooSkewed
//   - presigned past X-Amz-Date + X-Amz-Expires: AccessDenied "Request has expired"
//   - presigned X-Amz-Date more than max_skew_seconds ahead: AccessDenied "Request is not valid
//   yet"
//   - header auth without x-amz-content-sha256: InvalidRequest; a bad value: InvalidArgument
//   - Host or an x-amz-* header present but not signed: AccessDenied
//   - unknown access key: whatever the SecretLookup returns (InvalidAccessKeyId)
//   - a malformed %-escape in path or query: InvalidArgument
//   - signature mismatch: SignatureDoesNotMatch
//
// Pure functions; thread-safe as long as the SecretLookup is (SigningKeyCache is). VerifyRequest
// keeps per-thread scratch buffers (the split query, the canonical request and string to sign)
// that it reuses from call to call, so that a verification allocates little beyond its result;
// a SecretLookup may itself call VerifyRequest (the nested call uses buffers of its own).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "common/digest.h"
#include "s3/sigv4.h"
#include "trainload/status.h"

namespace trainload::s3 {

// What the verifier looks at.
struct RequestView {
  std::string_view method;
  std::string_view raw_path;   // wire form, percent-encoded, no query
  std::string_view raw_query;  // wire form, without '?'
  // Names lowercased, wire order, duplicates possible.
  std::span<const std::pair<std::string, std::string>> headers;
};

struct VerifiedRequest {
  std::string access_key_id;
  SigningScope scope;
  std::string amz_date;      // YYYYMMDDTHHMMSSZ, the time the signature covers
  int64_t request_time = 0;  // unix seconds
  std::string signature;     // hex; the seed signature of an aws-chunked body
  Sha256Bytes signing_key{};
  // x-amz-content-sha256 for header auth; X-Amz-Content-Sha256 from the query or
  // UNSIGNED-PAYLOAD for presigned URLs.
  std::string payload_hash;
  // x-amz-security-token / x-amz-s3session-token (header), or X-Amz-Security-Token /
  // X-Amz-S3session-Token (query); empty when none.
  std::string session_token;
  bool presigned = false;
};

struct VerifyOptions {
  int64_t max_skew_seconds = 900;
  std::string region;  // the region this server answers for; empty accepts any
};

// Returns the secret access key of an access key id, or an error Status (an unknown id:
// MakeError(ErrorCode::kInvalidAccessKeyId, ...)) that VerifyRequest passes through unchanged.
using SecretLookup = std::function<Result<std::string>(std::string_view access_key_id)>;

enum class AuthKind { kAnonymous, kHeader, kPresigned };

// kHeader when a non-blank Authorization header is present; otherwise kPresigned when the query
// carries SigV4 (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature) or SigV2 (AWSAccessKeyId,
// Signature) authentication parameters; otherwise kAnonymous. A request classified kHeader or
// kPresigned must pass VerifyRequest; a malformed one is an error there, never anonymous.
AuthKind ClassifyAuth(const RequestView& request);

// Verifies the SigV4 signature of `request` at time `now_seconds` (see the error list above).
Result<VerifiedRequest> VerifyRequest(const RequestView& request, const SecretLookup& lookup,
                                      int64_t now_seconds, const VerifyOptions& options,
                                      SigningKeyCache& keys);

}  // namespace trainload::s3
