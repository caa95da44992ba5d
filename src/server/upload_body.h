// Receives the body of a PutObject or UploadPart: streams it from the connection into a data
// file in bounded memory, undoing aws-chunked framing, and verifies every integrity check the
// request carries (Content-MD5, x-amz-checksum-* headers and trailers, x-amz-content-sha256,
// chunk signatures) before anything becomes visible.
//
// Not thread-safe: one call per request, on the connection's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <memory>
#include <optional>
#include <string>

#include "common/checksum.h"
#include "common/md5.h"
#include "http/exchange.h"
#include "s3/sigv4_verifier.h"
#include "server/storage/data_files.h"
#include "trainload/status.h"

namespace trainload::server {

struct ChecksumValue {
  ChecksumAlgorithm algorithm;
  std::string raw;  // big-endian digest bytes
};

// What was learned about a body while streaming it.
struct BodyDigests {
  uint64_t size = 0;
  std::string md5;  // raw 16 bytes (the ETag of a single PUT)
  // The checksum the client sent (verified), else the default one computed here.
  std::optional<ChecksumValue> checksum;
  bool checksum_from_client = false;
};

struct ReceivedBody {
  storage::StagedData data;
  BodyDigests digests;
};

struct ReceiveOptions {
  uint64_t max_size = 5ull << 30;
  // Computed when the client sends no checksum (S3 stores CRC64NVME for every new object).
  std::optional<ChecksumAlgorithm> default_algorithm = ChecksumAlgorithm::kCrc64Nvme;
  // For UploadPart: the algorithm the multipart upload was created with; a part that names a
  // different one is refused.
  std::optional<ChecksumAlgorithm> required_algorithm;
  // False for CompleteMultipartUpload, whose x-amz-checksum-* headers carry the checksum of the
  // object being completed, not of the request body: they are then not checked against it.
  bool checksum_headers_describe_body = true;
  // Shared by the server's concurrent uploads for the MD5 (null: hashed on this thread alone).
  Md5Lanes* md5_lanes = nullptr;
};

// Streams the decoded request body to `sink`, verifying it. Errors as ReceiveBody; the sink may
// already have seen bytes of a body that then fails verification. `body_written`, if given, is
// called once the sink has every byte of a body of known size, before the last of them are
// hashed (ReceiveBody starts the data file's flush there, so that it overlaps the hashing).
Result<BodyDigests> StreamBody(http::Exchange& exchange, const s3::VerifiedRequest& auth,
                               const ReceiveOptions& options,
                               const std::function<Status(std::span<const std::byte>)>& sink,
                               const std::function<void()>& body_written = {});

// Reads a small request body (an XML document) into memory, verified as StreamBody does.
// Bodies over `limit` bytes fail with MaxMessageLengthExceeded-style InvalidRequest.
// `checksum_headers_describe_body` as in ReceiveOptions.
Result<std::string> ReadSmallBody(http::Exchange& exchange, const s3::VerifiedRequest& auth,
                                  size_t limit, BodyDigests* digests = nullptr,
                                  bool checksum_headers_describe_body = true);

// Reads the whole request body into `writer` and finishes it. Errors, each an S3 code:
// MissingContentLength, EntityTooLarge, InvalidDigest (malformed Content-MD5), BadDigest
// (Content-MD5 or checksum mismatch), InvalidRequest (malformed or conflicting checksum
// headers), XAmzContentSHA256Mismatch, IncompleteBody and the aws-chunked errors. On any error
// the writer's temp file is removed and nothing is visible.
Result<ReceivedBody> ReceiveBody(http::Exchange& exchange, const s3::VerifiedRequest& auth,
                                 std::unique_ptr<storage::DataWriter> writer,
                                 const ReceiveOptions& options);

// The checksum an x-amz-checksum-* request header names, if exactly one is present and its
// value is well-formed. nullopt when none; InvalidRequest when several, a malformed value, or an
// algorithm trainload does not implement (x-amz-checksum-sha512, -md5, -xxhash64, ...).
Result<std::optional<ChecksumValue>> ChecksumFromHeaders(const http::Headers& headers);

}  // namespace trainload::server
