// Requester: one S3 request as the client sends it — addressed (endpoint and bucket style),
// signed with SigV4, sent over the HTTP client, retried when the failure is transient and the
// request idempotent, and answered either with the response or with a Status translated from
// S3's error XML (reason() = the S3 code; the message names the operation, bucket and key, and
// says when retries ran out).
//
// Thread-safe; holds no per-request state. The referenced HTTP clients, budget and clock must
// outlive it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "client/config_resolver.h"
#include "client/retry_policy.h"
#include "common/time_format.h"
#include "http/client.h"
#include "s3/canonical_request.h"

namespace trainload::client {

struct S3Request {
  std::string_view operation;  // "GetObject", for messages
  std::string method = "GET";
  std::string bucket{};  // empty: the service (ListBuckets)
  std::string key{};     // empty: the bucket itself
  std::vector<s3::QueryParam> query{};
  http::Headers headers{};
  // The body, sent again as is by each attempt: owned, borrowed (must outlive Send), or a range
  // of an open file (read again by each attempt; see http::ClientRequest::body_file).
  std::string body{};
  std::span<const std::byte> body_view{};
  http::BodyFile body_file{};
  // Sign the body's SHA-256 (small XML bodies) instead of UNSIGNED-PAYLOAD.
  bool sign_body = false;
  bool idempotent = true;
};

struct S3Response {
  int status = 0;
  http::Headers headers;
  std::string body;
};

// Receives the body of a successful (2xx) streaming response. Begin() starts each attempt:
// a retried request delivers its body again from the start.
class BodyConsumer {
 public:
  virtual ~BodyConsumer() = default;
  virtual Status Begin(int status, const http::Headers& headers) = 0;
  virtual Status Append(std::span<const std::byte> data) = 0;
  // Optional: memory where the next body bytes may be received in place, sparing a copy
  // (http::ResponseSink::BodyDestination). Bytes that land there are announced by Commit(n)
  // instead of Append. Empty (the default): Append gets everything.
  virtual std::span<std::byte> Destination() { return {}; }
  virtual Status Commit(size_t /*n*/) { return Internal("BodyConsumer::Commit without Destination"); }
};

class Requester {
 public:
  // Each attempt runs on the calling thread (http::Client::Perform).
  Requester(const ResolvedConfig& config, http::Client& http, RetryBudget& budget,
            const Clock& clock);

  // Sends `request`; a 2xx response comes back with its whole body (at most `max_body`).
  Result<S3Response> Send(const S3Request& request, size_t max_body = 64 << 20);
  // Sends `request`; a 2xx response's body goes to `consumer` as it arrives, and the returned
  // S3Response carries status and headers only.
  Result<S3Response> SendStreaming(const S3Request& request, BodyConsumer& consumer);

  // A presigned URL for `method` on bucket/key.
  Result<std::string> Presign(std::string_view method, std::string_view bucket,
                              std::string_view key, int64_t expires_seconds);

  // "GetObject s3://bucket/key", for messages.
  static std::string Describe(const S3Request& request);

 private:
  Result<http::ClientRequest> Build(const S3Request& request);
  // One attempt; `consumer` is null for buffered requests.
  Result<S3Response> Attempt(const S3Request& request, BodyConsumer* consumer, size_t max_body);
  Result<S3Response> WithRetries(const S3Request& request, BodyConsumer* consumer,
                                 size_t max_body);

  const ResolvedConfig& config_;
  http::Client& http_;
  RetryBudget& budget_;
  const Clock& clock_;
};

// The Status for a non-2xx response: from its S3 error XML when there is one, else from the
// HTTP status (HEAD errors have no body). `context` is e.g. "GetObject s3://b/k".
Status ErrorFromResponse(int status, std::string_view body, std::string_view context,
                         bool has_key);

}  // namespace trainload::client
