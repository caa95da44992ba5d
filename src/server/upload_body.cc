#include "server/upload_body.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <memory>
#include <vector>

#include "common/digest.h"
#include "common/encoding.h"
#include "s3/aws_chunked.h"
#include "server/digest_pipeline.h"
#include "s3/error_code.h"
#include "s3/sigv4.h"

namespace trainload::server {
namespace {

using s3::ErrorCode;
using s3::MakeError;

constexpr size_t kBufferBytes = 1 << 20;

std::optional<uint64_t> ParseUint(std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

Result<std::optional<ChecksumValue>> ParseChecksumValue(ChecksumAlgorithm algorithm,
                                                        std::string_view header_name,
                                                        std::string_view value) {
  auto raw = Base64Decode(value);
  if (!raw || raw->size() != ChecksumSize(algorithm)) {
    return Error(MakeError(ErrorCode::kInvalidRequest,
                           "Value for " + std::string(header_name) + " header is invalid."));
  }
  return ChecksumValue{algorithm, std::move(*raw)};
}

// What the request says about its body, gathered before reading it.
struct BodyPlan {
  std::optional<s3::ChunkedMode> chunked;
  std::optional<uint64_t> size;           // decoded size, when known up front
  std::optional<std::string> content_md5;  // raw
  std::optional<ChecksumValue> header_checksum;
  std::optional<ChecksumAlgorithm> trailer_algorithm;
  std::optional<std::string> payload_sha256;  // raw, when x-amz-content-sha256 is a hash
};

Result<BodyPlan> PlanBody(const http::Request& request, const s3::VerifiedRequest& auth,
                          const ReceiveOptions& options) {
  BodyPlan plan;
  const http::Headers& h = request.headers;
  plan.chunked = s3::ChunkedModeFromPayloadHash(auth.payload_hash);
  if (!plan.chunked) {
    if (auto encoding = h.Get("content-encoding");
        encoding && encoding->find("aws-chunked") != std::string_view::npos) {
      return Error(MakeError(ErrorCode::kInvalidArgument,
                             "Content-Encoding aws-chunked needs a STREAMING-* "
                             "x-amz-content-sha256 value, got '" + auth.payload_hash + "'"));
    }
  }
  if (plan.chunked) {
    auto decoded = h.Get("x-amz-decoded-content-length");
    if (!decoded) {
      return Error(MakeError(ErrorCode::kMissingContentLength,
                             "aws-chunked uploads must send x-amz-decoded-content-length"));
    }
    plan.size = ParseUint(*decoded);
    if (!plan.size) {
      return Error(MakeError(ErrorCode::kInvalidArgument,
                             "x-amz-decoded-content-length is not a number: '" +
                                 std::string(*decoded) + "'"));
    }
  } else if (request.content_length) {
    plan.size = request.content_length;
  } else if (!request.chunked) {
    plan.size = 0;
  }
  if (plan.size && *plan.size > options.max_size) {
    return Error(MakeError(ErrorCode::kEntityTooLarge,
                           "Your proposed upload exceeds the maximum allowed size: " +
                               std::to_string(*plan.size) + " bytes, the limit is " +
                               std::to_string(options.max_size)));
  }

  if (auto md5 = h.Get("content-md5")) {
    auto raw = Base64Decode(*md5);
    if (!raw || raw->size() != 16) {
      return Error(MakeError(ErrorCode::kInvalidDigest,
                             "The Content-MD5 you specified is not valid: '" + std::string(*md5) +
                                 "'"));
    }
    plan.content_md5 = std::move(*raw);
  }
  if (options.checksum_headers_describe_body) {
    TL_ASSIGN_OR_RETURN(plan.header_checksum, ChecksumFromHeaders(h));
  }

  if (auto trailer = h.Get("x-amz-trailer")) {
    auto algorithm = ChecksumFromHeaderName(*trailer);
    if (!algorithm) {
      return Error(MakeError(ErrorCode::kInvalidRequest,
                             "The value specified in the x-amz-trailer header is not supported: '" +
                                 std::string(*trailer) + "'"));
    }
    if (!plan.chunked || *plan.chunked == s3::ChunkedMode::kSigned) {
      return Error(MakeError(ErrorCode::kInvalidRequest,
                             "x-amz-trailer needs a STREAMING-*-TRAILER x-amz-content-sha256"));
    }
    plan.trailer_algorithm = algorithm;
  }
  if (plan.header_checksum && plan.trailer_algorithm) {
    return Error(MakeError(ErrorCode::kInvalidRequest,
                           "Expecting a single x-amz-checksum- header. Multiple checksum Types "
                           "are not allowed."));
  }
  if (auto sdk = h.Get("x-amz-sdk-checksum-algorithm");
      sdk && options.checksum_headers_describe_body) {
    auto algorithm = ChecksumFromName(*sdk);
    if (!algorithm) {
      return Error(MakeError(ErrorCode::kInvalidRequest,
                             "Checksum algorithm provided is unsupported: '" + std::string(*sdk) +
                                 "'. Please try again with any of the valid types: [CRC32, "
                                 "CRC32C, CRC64NVME, SHA1, SHA256]"));
    }
    bool present = (plan.header_checksum && plan.header_checksum->algorithm == *algorithm) ||
                   plan.trailer_algorithm == *algorithm;
    if (!present) {
      return Error(MakeError(ErrorCode::kInvalidRequest,
                             "x-amz-sdk-checksum-algorithm specified, but no corresponding "
                             "x-amz-checksum-* or x-amz-trailer headers were found."));
    }
  }
  std::optional<ChecksumAlgorithm> client_algorithm =
      plan.header_checksum ? std::optional(plan.header_checksum->algorithm) : plan.trailer_algorithm;
  if (options.required_algorithm && client_algorithm && client_algorithm != options.required_algorithm) {
    return Error(MakeError(
        ErrorCode::kInvalidRequest,
        "Checksum Type mismatch occurred, expected checksum Type: " +
            std::string(ChecksumName(*options.required_algorithm)) +
            ", actual checksum Type: " + std::string(ChecksumName(*client_algorithm))));
  }

  if (!plan.chunked && auth.payload_hash != "UNSIGNED-PAYLOAD") {
    auto raw = HexDecode(auth.payload_hash);
    if (!raw || raw->size() != 32) {
      return Error(MakeError(ErrorCode::kInvalidArgument,
                             "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-* or a "
                             "SHA-256 hex digest, got '" + auth.payload_hash + "'"));
    }
    plan.payload_sha256 = std::move(*raw);
  }
  return plan;
}

std::vector<std::string> DeclaredTrailers(const http::Headers& headers) {
  std::vector<std::string> out;
  if (auto trailer = headers.Get("x-amz-trailer")) {
    std::string_view rest = *trailer;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view name = rest.substr(0, comma);
      while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
      while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
      if (!name.empty()) out.push_back(http::ToLowerAscii(name));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  return out;
}

s3::ChunkSigner MakeChunkSigner(const s3::VerifiedRequest& auth) {
  s3::ChunkSigner signer;
  signer.seed_signature = auth.signature;
  signer.chunk_signature = [&auth](std::string_view previous, std::string_view chunk_hash) {
    return s3::ChunkSignature(auth.signing_key, auth.amz_date, auth.scope, previous, chunk_hash);
  };
  signer.trailer_signature = [&auth](std::string_view previous, std::string_view trailers) {
    return s3::TrailerSignature(auth.signing_key, auth.amz_date, auth.scope, previous, trailers);
  };
  return signer;
}

// An x-amz-checksum-<algorithm> header naming an algorithm trainload does not implement (S3 added
// MD5, SHA512 and the XXHASH family in 2025; botocore 1.43 sends them). mode, type and algorithm
// are request options that share the prefix, not checksum values.
bool IsUnsupportedChecksumHeader(std::string_view name) {
  constexpr std::string_view kPrefix = "x-amz-checksum-";
  if (name.size() <= kPrefix.size() ||
      !http::EqualsIgnoreCase(name.substr(0, kPrefix.size()), kPrefix)) {
    return false;
  }
  std::string_view rest = name.substr(kPrefix.size());
  for (std::string_view option : {"mode", "type", "algorithm"}) {
    if (http::EqualsIgnoreCase(rest, option)) return false;
  }
  return true;
}

Status Mismatch(ChecksumAlgorithm algorithm) {
  return MakeError(ErrorCode::kBadDigest, "The " + std::string(ChecksumName(algorithm)) +
                                              " you specified did not match the calculated "
                                              "checksum.");
}

}  // namespace

Result<std::optional<ChecksumValue>> ChecksumFromHeaders(const http::Headers& headers) {
  std::optional<ChecksumValue> found;
  for (const auto& [name, value] : headers.entries()) {
    auto algorithm = ChecksumFromHeaderName(name);
    if (!algorithm) {
      // Storing a body under a checksum nobody verified would defeat the client's check.
      if (IsUnsupportedChecksumHeader(name)) {
        return Error(MakeError(ErrorCode::kInvalidRequest,
                               "Checksum algorithm provided is unsupported: '" + name +
                                   "'. Please try again with any of the valid types: [CRC32, "
                                   "CRC32C, CRC64NVME, SHA1, SHA256]"));
      }
      continue;
    }
    if (found) {
      return Error(MakeError(ErrorCode::kInvalidRequest,
                             "Expecting a single x-amz-checksum- header. Multiple checksum Types "
                             "are not allowed."));
    }
    TL_ASSIGN_OR_RETURN(found, ParseChecksumValue(*algorithm, name, value));
  }
  return found;
}

Result<BodyDigests> StreamBody(http::Exchange& exchange, const s3::VerifiedRequest& auth,
                               const ReceiveOptions& options,
                               const std::function<Status(std::span<const std::byte>)>& sink,
                               const std::function<void()>& body_written) {
  const http::Request& request = exchange.request();
  TL_ASSIGN_OR_RETURN(BodyPlan plan, PlanBody(request, auth, options));

  std::optional<ChecksumAlgorithm> algorithm =
      plan.header_checksum     ? std::optional(plan.header_checksum->algorithm)
      : plan.trailer_algorithm ? plan.trailer_algorithm
      : options.required_algorithm ? options.required_algorithm
                                   : options.default_algorithm;
  // Large bodies are hashed on a second thread while this one receives and writes.
  constexpr uint64_t kThreadedDigestBytes = 8 << 20;
  DigestPipeline digests_in_flight(algorithm, plan.payload_sha256.has_value(),
                                   plan.size.value_or(kThreadedDigestBytes) >=
                                       kThreadedDigestBytes,
                                   options.md5_lanes);

  uint64_t received = 0;
  auto count = [&](size_t n) -> Status {
    received += n;
    if (received > options.max_size) {
      return MakeError(ErrorCode::kEntityTooLarge,
                       "Your proposed upload exceeds the maximum allowed size of " +
                           std::to_string(options.max_size) + " bytes");
    }
    return Status::Ok();
  };
  auto all_written = [&] {
    if (body_written && plan.size && received == *plan.size) body_written();
  };
  // A small body of known size is hashed only once all of it is written, so that the flush
  // body_written starts overlaps the whole MD5 (~2 ms a MiB), not just its last piece's. It is
  // kept in `deferred` meanwhile: received straight into it when the wire bytes are the body,
  // copied there from the aws-chunked decoder otherwise.
  constexpr uint64_t kDeferredHashBytes = 2 << 20;
  std::unique_ptr<std::byte[]> deferred;
  size_t deferred_size = 0;
  if (body_written && plan.size && *plan.size <= kDeferredHashBytes &&
      !digests_in_flight.threaded()) {
    deferred = std::make_unique_for_overwrite<std::byte[]>(static_cast<size_t>(*plan.size));
  }
  auto digest_and_sink = [&](std::span<const std::byte> data) -> Status {
    TL_RETURN_IF_ERROR(count(data.size()));
    TL_RETURN_IF_ERROR(sink(data));
    if (deferred) {
      // The HTTP layer and the aws-chunked decoder stop at the declared size; kept in bounds
      // here all the same, as this buffer is sized by it.
      if (deferred_size + data.size() > *plan.size) {
        return MakeError(ErrorCode::kIncompleteBody,
                         "You did not provide the number of bytes specified: expected " +
                             std::to_string(*plan.size) + ", received more");
      }
      std::memcpy(deferred.get() + deferred_size, data.data(), data.size());
      deferred_size += data.size();
    } else {
      digests_in_flight.Update(data);
    }
    all_written();
    return Status::Ok();
  };

  std::optional<s3::AwsChunkedDecoder> decoder;
  if (plan.chunked) {
    std::optional<s3::ChunkSigner> signer;
    if (*plan.chunked != s3::ChunkedMode::kUnsignedWithTrailer) signer = MakeChunkSigner(auth);
    decoder.emplace(*plan.chunked, std::move(signer), DeclaredTrailers(request.headers), plan.size);
  }

  auto read = [&](std::span<std::byte> into) -> Result<size_t> {
    auto n = exchange.ReadBody(into);
    if (!n.has_value()) {
      return Error(MakeError(ErrorCode::kIncompleteBody,
                             "the request body ended early: " + n.error().message()));
    }
    return *n;
  };
  if (!decoder && deferred) {
    for (;;) {
      std::span<std::byte> space(deferred.get() + deferred_size, *plan.size - deferred_size);
      if (space.empty()) break;  // the HTTP layer ends the body at its Content-Length
      TL_ASSIGN_OR_RETURN(size_t n, read(space));
      if (n == 0) break;
      TL_RETURN_IF_ERROR(count(n));
      TL_RETURN_IF_ERROR(sink(space.first(n)));
      deferred_size += n;
      all_written();
    }
  } else if (!decoder && digests_in_flight.threaded()) {
    // The body is the wire bytes: receive them straight into the pipeline's chunks, write them
    // from there, and let the pipeline hash them in place.
    for (;;) {
      std::span<std::byte> space = digests_in_flight.ReceiveBuffer();
      TL_ASSIGN_OR_RETURN(size_t n, read(space));
      if (n == 0) break;
      TL_RETURN_IF_ERROR(count(n));
      TL_RETURN_IF_ERROR(sink(space.first(n)));
      all_written();
      digests_in_flight.Received(n);
    }
  } else {
    // Sized to the wire body when it is small, and not zero-filled: a 16 KiB PUT should not
    // pay for clearing (and faulting in) a whole buffer it never uses.
    size_t buffer_size = static_cast<size_t>(std::clamp<uint64_t>(
        exchange.body_remaining().value_or(kBufferBytes), 1, kBufferBytes));
    auto buffer = std::make_unique_for_overwrite<std::byte[]>(buffer_size);
    for (;;) {
      TL_ASSIGN_OR_RETURN(size_t n, read(std::span(buffer.get(), buffer_size)));
      if (n == 0) break;
      std::span<const std::byte> wire(buffer.get(), n);
      TL_RETURN_IF_ERROR(decoder ? decoder->Feed(wire, digest_and_sink) : digest_and_sink(wire));
    }
  }
  if (decoder) TL_RETURN_IF_ERROR(decoder->Finish());
  if (plan.size && received != *plan.size) {
    return Error(MakeError(ErrorCode::kIncompleteBody,
                           "You did not provide the number of bytes specified: expected " +
                               std::to_string(*plan.size) + ", received " +
                               std::to_string(received)));
  }

  if (deferred) digests_in_flight.Update(std::span(deferred.get(), deferred_size));
  Digests computed = digests_in_flight.Finish();
  BodyDigests digests;
  digests.size = received;
  digests.md5 = std::move(computed.md5);
  if (plan.content_md5 && *plan.content_md5 != digests.md5) {
    return Error(MakeError(ErrorCode::kBadDigest,
                           "The Content-MD5 you specified did not match what we received."));
  }
  if (plan.payload_sha256 && computed.sha256 != *plan.payload_sha256) {
    return Error(MakeError(ErrorCode::kXAmzContentSHA256Mismatch,
                           "The provided 'x-amz-content-sha256' header does not match what was "
                           "computed."));
  }
  if (algorithm) {
    digests.checksum = ChecksumValue{*algorithm, std::move(computed.checksum)};
    std::optional<ChecksumValue> expected = plan.header_checksum;
    if (plan.trailer_algorithm) {
      std::string_view name = ChecksumHeaderName(*plan.trailer_algorithm);
      for (const auto& [trailer, value] : decoder->trailers()) {
        if (trailer == name) {
          TL_ASSIGN_OR_RETURN(expected, ParseChecksumValue(*plan.trailer_algorithm, name, value));
        }
      }
    }
    if (expected) {
      if (expected->raw != digests.checksum->raw) return Error(Mismatch(expected->algorithm));
      digests.checksum_from_client = true;
    }
  }
  return digests;
}

Result<ReceivedBody> ReceiveBody(http::Exchange& exchange, const s3::VerifiedRequest& auth,
                                 std::unique_ptr<storage::DataWriter> writer,
                                 const ReceiveOptions& options) {
  ReceivedBody body;
  TL_ASSIGN_OR_RETURN(body.digests,
                      StreamBody(
                          exchange, auth, options,
                          [&](std::span<const std::byte> data) { return writer->Append(data); },
                          // Without fsync there is no flush for the hashing to overlap.
                          writer->syncs() ? std::function<void()>([&] { writer->StartFlush(); })
                                          : std::function<void()>()));
  TL_ASSIGN_OR_RETURN(body.data, writer->Finish());
  return body;
}

Result<std::string> ReadSmallBody(http::Exchange& exchange, const s3::VerifiedRequest& auth,
                                  size_t limit, BodyDigests* digests,
                                  bool checksum_headers_describe_body) {
  ReceiveOptions options;
  options.max_size = limit;
  options.default_algorithm.reset();
  options.checksum_headers_describe_body = checksum_headers_describe_body;
  std::string body;
  auto result = StreamBody(exchange, auth, options, [&](std::span<const std::byte> data) {
    body.append(reinterpret_cast<const char*>(data.data()), data.size());
    return Status::Ok();
  });
  if (!result.has_value()) {
    if (result.error().reason() == "EntityTooLarge") {
      return Error(MakeError(ErrorCode::kInvalidRequest,
                             "The request body is larger than " + std::to_string(limit) +
                                 " bytes, the most this operation accepts"));
    }
    return Error(result.error());
  }
  if (digests != nullptr) *digests = std::move(*result);
  return body;
}

}  // namespace trainload::server
