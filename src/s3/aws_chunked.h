// Streaming decoder for `Content-Encoding: aws-chunked` request bodies (SigV4 streaming uploads).
//
// Three framings, chosen by the request's x-amz-content-sha256 (docs/aws-chunked.md has the wire
// format of each):
//   STREAMING-AWS4-HMAC-SHA256-PAYLOAD          `hex;chunk-signature=sig\r\n data \r\n` ...
//                                               `0;chunk-signature=sig\r\n\r\n`
//   STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER  the same, then trailer lines and
//                                               `x-amz-trailer-signature:sig\r\n\r\n`
//   STREAMING-UNSIGNED-PAYLOAD-TRAILER          `hex\r\n data \r\n` ... `0\r\n`, trailer lines,
//   `\r\n`
//
// The decoder checks the framing, the chain of chunk signatures, the trailer signature, the total
// against x-amz-decoded-content-length, S3's 8 KiB minimum for every chunk but the last, and that
// the trailers are exactly the declared ones. It does not check what a trailer says (the
// checksum value is the caller's to compare, giving BadDigest) nor the seed signature (SigV4).
//
// Payload bytes reach the sink as spans into the buffer given to Feed(), never copied; only chunk
// header and trailer lines that straddle two Feed() calls are buffered (at most kMaxLineBytes).
// Payload bytes of a chunk are passed on BEFORE that chunk's signature is checked (the signature
// covers the whole chunk), so a caller must treat everything it received as unverified until
// Finish() returns ok, and discard the whole upload on any error.
//
// Errors are S3 errors (reason() is the S3 code): IncompleteBody for bad framing, a truncated
// body or a length mismatch; SignatureDoesNotMatch for a chunk or trailer signature;
// InvalidChunkSizeError for a short chunk that is not the last; MalformedTrailerError for missing,
// undeclared, repeated or malformed trailers. Every message says which chunk or line and which
// body byte offset was wrong. After an error, Feed() and Finish() keep returning it.
//
// Not thread-safe; use one decoder per request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/digest.h"
#include "trainload/status.h"

namespace trainload::s3 {

enum class ChunkedMode {
  kSigned,               // STREAMING-AWS4-HMAC-SHA256-PAYLOAD
  kSignedWithTrailer,    // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
  kUnsignedWithTrailer,  // STREAMING-UNSIGNED-PAYLOAD-TRAILER
};

// The mode named by an x-amz-content-sha256 value (exact, case-sensitive as S3 is); nullopt for
// anything else, including the SigV4a STREAMING-AWS4-ECDSA-P256-SHA256-* values.
std::optional<ChunkedMode> ChunkedModeFromPayloadHash(std::string_view x_amz_content_sha256);

// The x-amz-content-sha256 value of `mode`.
std::string_view PayloadHashOf(ChunkedMode mode);

// Signature computation, injected so this module stays free of SigV4. The server binds the two
// functions to the request's signing key, x-amz-date and credential scope. Both return lowercase
// hex signatures.
struct ChunkSigner {
  // The Signature= of the request's Authorization header; the first chunk chains from it.
  std::string seed_signature;
  // HMAC over "AWS4-HMAC-SHA256-PAYLOAD\n<date>\n<scope>\n<previous>\n<sha256("")>\n<chunk hash>".
  std::function<std::string(std::string_view previous_signature, std::string_view chunk_sha256_hex)>
      chunk_signature;
  // HMAC over "AWS4-HMAC-SHA256-TRAILER\n<date>\n<scope>\n<previous>\n<sha256(trailers)>", where
  // trailers is "name:value\n" per trailer line in the order received.
  std::function<std::string(std::string_view previous_signature,
                            std::string_view canonical_trailers)>
      trailer_signature;
};

class AwsChunkedDecoder {
 public:
  // Receives decoded payload; a non-ok return stops decoding and is returned by Feed().
  using Sink = std::function<Status(std::span<const std::byte>)>;

  // The longest chunk header or trailer line accepted, CRLF excluded.
  static constexpr size_t kMaxLineBytes = 4096;
  // The most trailer lines accepted (the trailer signature included).
  static constexpr size_t kMaxTrailerLines = 16;
  // S3's minimum size of every data chunk but the last.
  static constexpr uint64_t kMinChunkBytes = 8192;

  // `signer` is required in the two signed modes (its absence is reported by Feed/Finish as an
  // InternalError) and ignored in unsigned mode. `declared_trailers` are the names listed in
  // x-amz-trailer (compared case-insensitively). `decoded_content_length` is
  // x-amz-decoded-content-length when the request had one.
  AwsChunkedDecoder(ChunkedMode mode, std::optional<ChunkSigner> signer,
                    std::vector<std::string> declared_trailers,
                    std::optional<uint64_t> decoded_content_length);

  AwsChunkedDecoder(const AwsChunkedDecoder&) = delete;
  AwsChunkedDecoder& operator=(const AwsChunkedDecoder&) = delete;

  // Consumes the next wire bytes, in pieces of any size (one byte at a time works). Calls `sink`
  // zero or more times with payload spans that point into `wire`. Returns the first error.
  Status Feed(std::span<const std::byte> wire, const Sink& sink);
  Status Feed(std::string_view wire, const Sink& sink) {
    return Feed(std::as_bytes(std::span(wire.data(), wire.size())), sink);
  }

  // Call once at the end of the wire body. Checks that the body ended after the final chunk (the
  // blank line that ends the trailer section may be missing), that the payload length equals
  // decoded_content_length, that every declared trailer arrived and, in signed-trailer mode, that
  // the trailer signature arrived.
  Status Finish();

  // Trailer fields received so far, in order: lowercased name and value with surrounding
  // whitespace removed, e.g. {"x-amz-checksum-crc32", "sOO8/Q=="}. The trailer signature is not
  // listed.
  const std::vector<std::pair<std::string, std::string>>& trailers() const { return trailers_; }
  // Payload bytes passed to the sink so far.
  uint64_t decoded_bytes() const { return decoded_bytes_; }

 private:
  enum class State {
    kChunkHeader,  // reading "hex[;ext]\r\n"
    kData,         // passing chunk data through
    kDataCrlf,     // expecting the "\r\n" after chunk data
    kTrailer,      // after the final chunk: trailer lines up to a blank line
    kDone,         // the blank line after the final chunk (and trailers) was read
    kFinished,     // Finish() returned ok
  };

  Status Fail(Status status);
  Status ConsumeLine(std::span<const std::byte> wire, size_t& pos);
  Status ConsumeData(std::span<const std::byte> wire, size_t& pos, const Sink& sink);
  Status ConsumeDataCrlf(std::span<const std::byte> wire, size_t& pos);
  Status OnChunkHeader(std::string_view line);
  Status OnTrailerLine(std::string_view line);
  Status CheckChunkSignature(std::string_view chunk_sha256_hex);
  Status CheckTrailerSection() const;
  Status EndOfBodyError() const;
  bool IsSigned() const { return mode_ != ChunkedMode::kUnsignedWithTrailer; }

  const ChunkedMode mode_;
  const std::optional<ChunkSigner> signer_;
  std::vector<std::string> declared_trailers_;
  const std::optional<uint64_t> decoded_content_length_;

  State state_ = State::kChunkHeader;
  Status failure_;             // sticky: the first error (or a bad configuration)
  uint64_t wire_offset_ = 0;   // body bytes consumed so far
  uint64_t line_offset_ = 0;   // body offset where line_ began
  std::string line_;           // the current header/trailer line, up to and including '\r'
  uint64_t chunk_number_ = 0;  // 1-based number of the current chunk
  uint64_t chunk_size_ = 0;    // declared size of the current chunk
  uint64_t chunk_left_ = 0;    // data bytes of the current chunk still to come
  uint64_t previous_chunk_size_ = 0;
  int crlf_seen_ = 0;  // bytes of the post-data "\r\n" matched so far
  uint64_t decoded_bytes_ = 0;

  // Signed modes: the signature the current chunk claims, the chain so far, the chunk's hash.
  std::string claimed_signature_;
  std::string previous_signature_;
  Digest chunk_digest_{DigestAlgorithm::kSha256};

  bool skipped_blank_line_ = false;
  bool trailer_signature_seen_ = false;
  size_t trailer_lines_ = 0;
  std::string canonical_trailers_;
  std::vector<std::pair<std::string, std::string>> trailers_;
};

}  // namespace trainload::s3
