// AWS Signature Version 4 for S3: signing keys, string to sign, request signing (Authorization
// header and presigned URLs) and the chained signatures of aws-chunked uploads.
//
// Pure protocol code: no I/O and no clock; the time comes in as an amz date
// ("YYYYMMDDTHHMMSSZ"). Free functions are thread-safe. SigningKeyCache is thread-safe.
// Verification on the server side lives in sigv4_verifier.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/digest.h"
#include "s3/canonical_request.h"
#include "trainload/status.h"

namespace trainload::s3 {

inline constexpr std::string_view kSigV4Algorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
inline constexpr std::string_view kStreamingSignedPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
inline constexpr std::string_view kStreamingSignedPayloadTrailer =
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
inline constexpr std::string_view kStreamingUnsignedPayloadTrailer =
    "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
// Hex SHA-256 of the empty string: the payload hash of a request without a body.
inline constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
// Presigned URLs live at most seven days.
inline constexpr int64_t kMaxPresignExpiresSeconds = 604800;

// The credential scope of a signature. `date` is YYYYMMDD; `service` is "s3" or "s3express".
struct SigningScope {
  std::string date;
  std::string region;
  std::string service;

  friend bool operator==(const SigningScope&, const SigningScope&) = default;
};

// "YYYYMMDD/region/service/aws4_request".
std::string CredentialScope(const SigningScope& scope);

// HMAC chain "AWS4"+secret -> date -> region -> service -> "aws4_request".
Sha256Bytes DeriveSigningKey(std::string_view secret_access_key, const SigningScope& scope);

// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256(canonical_request)>".
std::string StringToSign(std::string_view amz_date, const SigningScope& scope,
                         std::string_view canonical_request);
// StringToSign(...) appended to `out`. `canonical_request` may view the contents of `out`
// itself: it is hashed before anything is appended.
void AppendStringToSign(std::string_view amz_date, const SigningScope& scope,
                        std::string_view canonical_request, std::string& out);

// Lowercase hex HMAC-SHA256 of `string_to_sign` under `signing_key`.
std::string HexSignature(const Sha256Bytes& signing_key, std::string_view string_to_sign);
// HexSignature(...) written to `out` (exactly 64 characters), without allocating.
void HexSignatureTo(const Sha256Bytes& signing_key, std::string_view string_to_sign,
                    std::span<char, 64> out);

// Signature of one aws-chunked chunk (STREAMING-AWS4-HMAC-SHA256-PAYLOAD):
// HMAC over "AWS4-HMAC-SHA256-PAYLOAD\n<date>\n<scope>\n<previous>\n<sha256("")>\n<chunk hash>".
// `previous_signature` is the seed signature (from the Authorization header) for the first chunk,
// then the signature of the chunk before; the final empty chunk is signed like any other.
std::string ChunkSignature(const Sha256Bytes& signing_key, std::string_view amz_date,
                           const SigningScope& scope, std::string_view previous_signature,
                           std::string_view chunk_sha256_hex);

// Signature of the trailer chunk (…-PAYLOAD-TRAILER): HMAC over
// "AWS4-HMAC-SHA256-TRAILER\n<date>\n<scope>\n<previous>\n<hex sha256(trailer)>", where
// `previous_signature` is the signature of the final empty chunk and `trailer_headers_canonical`
// is each trailer as "name:value\n" (e.g. "x-amz-checksum-crc32:AAAAAA==\n").
std::string TrailerSignature(const Sha256Bytes& signing_key, std::string_view amz_date,
                             const SigningScope& scope, std::string_view previous_signature,
                             std::string_view trailer_headers_canonical);

// Constant-time equality of two signatures (the time depends on the lengths only).
bool SignaturesEqual(std::string_view a, std::string_view b);

// Derived signing keys by (secret, date, region, service), so that a server verifying many
// requests runs the four-HMAC derivation once per key and day instead of once per request.
// Holds at most `capacity` keys and evicts the least recently used. Thread-safe: one mutex
// guards the map and the recency list; derivation runs outside it.
class SigningKeyCache {
 public:
  static constexpr size_t kDefaultCapacity = 4096;

  explicit SigningKeyCache(size_t capacity = kDefaultCapacity);
  SigningKeyCache(const SigningKeyCache&) = delete;
  SigningKeyCache& operator=(const SigningKeyCache&) = delete;

  // DeriveSigningKey(secret, scope), from the cache when present.
  Sha256Bytes Get(std::string_view secret_access_key, const SigningScope& scope);

  size_t size() const;

 private:
  struct Entry {
    Sha256Bytes key;
    std::list<std::string>::iterator recency;
  };

  const size_t capacity_;
  mutable std::mutex mu_;
  // Guarded by mu_. `recency_` owns the cache keys, most recently used first; `entries_` is
  // keyed by views into those strings (list nodes never move).
  std::list<std::string> recency_;
  std::unordered_map<std::string_view, Entry> entries_;
};

// Long-term or temporary credentials. A session token goes out as x-amz-security-token (STS
// credentials), or as x-amz-s3session-token when `s3express_session` is set (credentials from
// S3 Express CreateSession).
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token{};
  bool s3express_session = false;
};

// A request about to be sent, as it will appear on the wire.
struct SigningRequest {
  std::string_view method;
  std::string_view raw_path;   // percent-encoded as sent, no query
  std::string_view raw_query;  // as sent, without '?'
  // Every header the request will carry (any case); must include Host. All of them are signed
  // except hop-by-hop and agent headers (Authorization, User-Agent, Expect, Connection,
  // Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade, Proxy-*, X-Amzn-Trace-Id).
  std::span<const Header> headers;
  std::string_view payload_hash;  // hex SHA-256 of the body, or UNSIGNED-PAYLOAD / STREAMING-…
  std::string_view amz_date;      // YYYYMMDDTHHMMSSZ
  std::string_view region;
  std::string_view service;  // "s3" or "s3express"
};

struct SignedRequest {
  // Headers the signature covers that `headers` lacked; send them with the request (lowercase
  // names): x-amz-date, x-amz-content-sha256 (for s3 and s3express), the session token header.
  std::vector<Header> added_headers;
  std::string authorization;  // value of the Authorization header
  std::string signature;      // hex; the seed signature of an aws-chunked body
  Sha256Bytes signing_key;    // for ChunkSignature / TrailerSignature
};

// Signs `request` for the Authorization header. InvalidArgument when amz_date is malformed, Host
// is missing, the path or query holds a malformed %-escape, or a given x-amz-date /
// x-amz-content-sha256 header disagrees with amz_date / payload_hash.
Result<SignedRequest> SignRequest(const SigningRequest& request, const Credentials& credentials);

// Presigns `request` (payload_hash is ignored: presigned URLs sign UNSIGNED-PAYLOAD) for
// `expires_seconds` (1..604800). Returns the whole query string to put after '?': the original
// raw_query, then X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, the session token
// (X-Amz-Security-Token or X-Amz-S3session-Token), X-Amz-SignedHeaders and X-Amz-Signature.
// InvalidArgument as SignRequest, and for an expiry out of range.
Result<std::string> Presign(const SigningRequest& request, const Credentials& credentials,
                            int64_t expires_seconds);

}  // namespace trainload::s3
