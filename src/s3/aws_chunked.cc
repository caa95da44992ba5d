#include "s3/aws_chunked.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "common/encoding.h"
#include "s3/error_code.h"

namespace trainload::s3 {
namespace {

constexpr std::string_view kSignedHash = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
constexpr std::string_view kSignedTrailerHash = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
constexpr std::string_view kUnsignedTrailerHash = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
constexpr std::string_view kTrailerSignatureName = "x-amz-trailer-signature";
// Hex SHA-256 of the empty string: the hash of the final chunk's (empty) data.
constexpr std::string_view kEmptySha256Hex =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

Status IncompleteBody(std::string message) {
  return MakeError(ErrorCode::kIncompleteBody, "aws-chunked body: " + message);
}
Status BadSignature(std::string message) {
  return MakeError(ErrorCode::kSignatureDoesNotMatch, "aws-chunked body: " + message);
}
Status MalformedTrailer(std::string message) {
  return MakeError(ErrorCode::kMalformedTrailerError, "aws-chunked body: " + message);
}
Status InvalidChunkSize(std::string message) {
  return MakeError(ErrorCode::kInvalidChunkSizeError, "aws-chunked body: " + message);
}

// Client-supplied text for a message: quoted, control bytes escaped, long text cut.
std::string Quoted(std::string_view text) {
  constexpr size_t kMaxShown = 48;
  std::string out = "\"";
  for (size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  out += text.size() > kMaxShown ? "\"..." : "\"";
  return out;
}

std::string_view TrimOws(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string ToLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// RFC 9110 token characters, the only ones allowed in a field name.
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// 1 to 16 hex digits; anything longer could not be a real chunk and would overflow.
std::optional<uint64_t> ParseHexSize(std::string_view text) {
  if (text.empty() || text.size() > 16) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    value = (value << 4) | static_cast<uint64_t>(digit);
  }
  return value;
}

// Signatures are compared in time independent of where they first differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out.empty() ? "none" : out;
}

}  // namespace

std::optional<ChunkedMode> ChunkedModeFromPayloadHash(std::string_view x_amz_content_sha256) {
  if (x_amz_content_sha256 == kSignedHash) return ChunkedMode::kSigned;
  if (x_amz_content_sha256 == kSignedTrailerHash) return ChunkedMode::kSignedWithTrailer;
  if (x_amz_content_sha256 == kUnsignedTrailerHash) return ChunkedMode::kUnsignedWithTrailer;
  return std::nullopt;
}

std::string_view PayloadHashOf(ChunkedMode mode) {
  switch (mode) {
    case ChunkedMode::kSigned:
      return kSignedHash;
    case ChunkedMode::kSignedWithTrailer:
      return kSignedTrailerHash;
    case ChunkedMode::kUnsignedWithTrailer:
      return kUnsignedTrailerHash;
  }
  return {};
}

AwsChunkedDecoder::AwsChunkedDecoder(ChunkedMode mode, std::optional<ChunkSigner> signer,
                                     std::vector<std::string> declared_trailers,
                                     std::optional<uint64_t> decoded_content_length)
    : mode_(mode),
      signer_(std::move(signer)),
      declared_trailers_(std::move(declared_trailers)),
      decoded_content_length_(decoded_content_length) {
  for (std::string& name : declared_trailers_) name = ToLower(TrimOws(name));
  std::erase(declared_trailers_, std::string());
  // Configuration errors surface from the first Feed/Finish, as constructors cannot fail.
  if (IsSigned() && (!signer_ || !signer_->chunk_signature ||
                     (mode_ == ChunkedMode::kSignedWithTrailer && !signer_->trailer_signature))) {
    failure_ = MakeError(
        ErrorCode::kInternalError,
        "AwsChunkedDecoder for " + std::string(PayloadHashOf(mode_)) + " was given no ChunkSigner");
  } else if (mode_ == ChunkedMode::kSigned && !declared_trailers_.empty()) {
    failure_ = MalformedTrailer("x-amz-trailer declares " + Join(declared_trailers_) + " but " +
                                std::string(kSignedHash) + " bodies carry no trailers");
  }
  if (signer_) previous_signature_ = signer_->seed_signature;
}

Status AwsChunkedDecoder::Fail(Status status) {
  failure_ = status;
  return status;
}

Status AwsChunkedDecoder::Feed(std::span<const std::byte> wire, const Sink& sink) {
  if (!failure_.ok()) return failure_;
  size_t pos = 0;
  while (pos < wire.size()) {
    Status status;
    switch (state_) {
      case State::kChunkHeader:
      case State::kTrailer:
        status = ConsumeLine(wire, pos);
        break;
      case State::kData:
        status = ConsumeData(wire, pos, sink);
        break;
      case State::kDataCrlf:
        status = ConsumeDataCrlf(wire, pos);
        break;
      case State::kDone:
      case State::kFinished: {
        const std::string_view rest(reinterpret_cast<const char*>(wire.data()) + pos,
                                    wire.size() - pos);
        status = IncompleteBody("unexpected bytes " + Quoted(rest) + " at byte " +
                                std::to_string(wire_offset_) + ", after the end of the body");
        break;
      }
    }
    if (!status.ok()) return Fail(std::move(status));
  }
  return Status::Ok();
}

// Lines are short, so they are copied into line_ even when they lie whole within `wire`; that
// keeps one code path for lines that straddle Feed() calls. line_ keeps the '\r' so that a CR
// ending one Feed() still pairs with the LF starting the next.
Status AwsChunkedDecoder::ConsumeLine(std::span<const std::byte> wire, size_t& pos) {
  if (line_.empty()) line_offset_ = wire_offset_;
  const char* begin = reinterpret_cast<const char*>(wire.data()) + pos;
  const size_t available = wire.size() - pos;
  const auto* newline = static_cast<const char*>(std::memchr(begin, '\n', available));
  const size_t take = newline != nullptr ? static_cast<size_t>(newline - begin) : available;
  const char* what = state_ == State::kChunkHeader ? "chunk header" : "trailer line";
  if (line_.size() + take > kMaxLineBytes + 1) {
    return IncompleteBody(std::string(what) + " starting " +
                          Quoted(line_ + std::string(begin, take)) + " at byte " +
                          std::to_string(line_offset_) + " is longer than " +
                          std::to_string(kMaxLineBytes) + " bytes");
  }
  line_.append(begin, take);
  pos += take;
  wire_offset_ += take;
  if (newline == nullptr) return Status::Ok();
  ++pos;
  ++wire_offset_;
  if (line_.empty() || line_.back() != '\r') {
    return IncompleteBody(std::string(what) + " " + Quoted(line_) + " at byte " +
                          std::to_string(line_offset_) + " ends in a bare LF; expected CRLF");
  }
  line_.pop_back();
  const Status status = state_ == State::kChunkHeader ? OnChunkHeader(line_) : OnTrailerLine(line_);
  line_.clear();
  return status;
}

Status AwsChunkedDecoder::ConsumeData(std::span<const std::byte> wire, size_t& pos,
                                      const Sink& sink) {
  const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk_left_, wire.size() - pos));
  const std::span<const std::byte> piece = wire.subspan(pos, n);
  pos += n;
  wire_offset_ += n;
  chunk_left_ -= n;
  decoded_bytes_ += n;
  if (IsSigned()) chunk_digest_.Update(piece);
  TL_RETURN_IF_ERROR(sink(piece));
  if (chunk_left_ == 0) {
    if (IsSigned()) TL_RETURN_IF_ERROR(CheckChunkSignature(HexEncode(chunk_digest_.Finish())));
    state_ = State::kDataCrlf;
    crlf_seen_ = 0;
  }
  return Status::Ok();
}

Status AwsChunkedDecoder::ConsumeDataCrlf(std::span<const std::byte> wire, size_t& pos) {
  const char expected = crlf_seen_ == 0 ? '\r' : '\n';
  const char got = static_cast<char>(wire[pos]);
  if (got != expected) {
    return IncompleteBody("chunk " + std::to_string(chunk_number_) + " declares " +
                          std::to_string(chunk_size_) + " bytes but they are followed by " +
                          Quoted(std::string_view(&got, 1)) + " at byte " +
                          std::to_string(wire_offset_) + ", not by the CRLF that ends a chunk");
  }
  ++pos;
  ++wire_offset_;
  if (++crlf_seen_ == 2) state_ = State::kChunkHeader;
  return Status::Ok();
}

Status AwsChunkedDecoder::OnChunkHeader(std::string_view line) {
  ++chunk_number_;
  const std::string where = "chunk " + std::to_string(chunk_number_) + " header " + Quoted(line) +
                            " at byte " + std::to_string(line_offset_);
  const size_t semicolon = line.find(';');
  const std::string_view size_text = TrimOws(line.substr(0, semicolon));
  const std::optional<uint64_t> size = ParseHexSize(size_text);
  if (!size) {
    return IncompleteBody(where + ": chunk size " + Quoted(size_text) +
                          " is not a hexadecimal number of 1 to 16 digits");
  }

  // Extensions are `;name=value`. Only chunk-signature means anything; unsigned bodies may carry
  // other extensions (RFC 9112 lets any chunk have them), which are ignored.
  std::optional<std::string_view> signature;
  if (semicolon != std::string_view::npos) {
    std::string_view rest = line.substr(semicolon + 1);
    while (true) {
      const size_t next = rest.find(';');
      const std::string_view extension = TrimOws(rest.substr(0, next));
      const size_t equals = extension.find('=');
      const std::string name = ToLower(TrimOws(extension.substr(0, equals)));
      if (name == "chunk-signature") {
        if (signature && IsSigned()) {
          return IncompleteBody(where + ": chunk-signature appears twice");
        }
        signature = equals == std::string_view::npos ? std::string_view()
                                                     : TrimOws(extension.substr(equals + 1));
      }
      if (next == std::string_view::npos) break;
      rest.remove_prefix(next + 1);
    }
  }
  if (IsSigned()) {
    if (!signature) {
      return IncompleteBody(where + ": no chunk-signature, which every chunk of a " +
                            std::string(PayloadHashOf(mode_)) + " body carries");
    }
    claimed_signature_ = *signature;
  }

  // S3 rejects a short chunk once a later data chunk shows it was not the last.
  if (*size > 0 && chunk_number_ > 1 && previous_chunk_size_ < kMinChunkBytes) {
    return InvalidChunkSize("chunk " + std::to_string(chunk_number_ - 1) + " has " +
                            std::to_string(previous_chunk_size_) +
                            " bytes; only the last chunk may be smaller than " +
                            std::to_string(kMinChunkBytes) + " bytes");
  }
  if (decoded_content_length_ && *size > *decoded_content_length_ - decoded_bytes_) {
    return IncompleteBody(where + ": " + std::to_string(*size) + " more bytes after " +
                          std::to_string(decoded_bytes_) + " exceed x-amz-decoded-content-length " +
                          std::to_string(*decoded_content_length_));
  }
  if (*size > std::numeric_limits<uint64_t>::max() - decoded_bytes_) {
    return IncompleteBody(where + ": the payload length overflows 64 bits");
  }

  chunk_size_ = *size;
  chunk_left_ = *size;
  previous_chunk_size_ = *size;
  if (*size > 0) {
    state_ = State::kData;
    return Status::Ok();
  }
  // The final chunk: signed like any other, over empty data.
  if (IsSigned()) TL_RETURN_IF_ERROR(CheckChunkSignature(kEmptySha256Hex));
  state_ = State::kTrailer;
  return Status::Ok();
}

Status AwsChunkedDecoder::CheckChunkSignature(std::string_view chunk_sha256_hex) {
  const std::string expected = signer_->chunk_signature(previous_signature_, chunk_sha256_hex);
  if (!ConstantTimeEquals(expected, claimed_signature_)) {
    return BadSignature("chunk " + std::to_string(chunk_number_) + " (" +
                        std::to_string(chunk_size_) + " bytes): chunk-signature " +
                        Quoted(claimed_signature_) +
                        " does not match the signature calculated for its data");
  }
  previous_signature_ = claimed_signature_;
  return Status::Ok();
}

Status AwsChunkedDecoder::OnTrailerLine(std::string_view line) {
  const std::string where =
      "trailer line " + Quoted(line) + " at byte " + std::to_string(line_offset_);
  if (line.empty()) {
    // Some clients put a blank line between the final chunk and the trailers (the framing shown
    // in AWS's own signed-trailer example); one such line is skipped while trailers are awaited.
    const bool awaiting_trailers =
        mode_ == ChunkedMode::kSignedWithTrailer ||
        (mode_ == ChunkedMode::kUnsignedWithTrailer && !declared_trailers_.empty());
    if (awaiting_trailers && trailer_lines_ == 0 && !skipped_blank_line_) {
      skipped_blank_line_ = true;
      return Status::Ok();
    }
    state_ = State::kDone;
    return CheckTrailerSection();
  }
  if (mode_ == ChunkedMode::kSigned) {
    return IncompleteBody(where + ": a " + std::string(kSignedHash) +
                          " body ends with a blank line after the final chunk");
  }
  if (trailer_signature_seen_) {
    return MalformedTrailer(where + ": nothing may follow " + std::string(kTrailerSignatureName));
  }
  if (++trailer_lines_ > kMaxTrailerLines) {
    return MalformedTrailer(where + ": more than " + std::to_string(kMaxTrailerLines) +
                            " trailer lines");
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    return MalformedTrailer(where + ": no ':' between name and value");
  }
  const std::string_view raw_name = line.substr(0, colon);
  if (raw_name.empty() || !std::all_of(raw_name.begin(), raw_name.end(), IsTokenChar)) {
    return MalformedTrailer(where + ": " + Quoted(raw_name) + " is not a header name");
  }
  const std::string name = ToLower(raw_name);
  const std::string_view value = TrimOws(line.substr(colon + 1));
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) {
      return MalformedTrailer(where + ": the value contains a control character");
    }
  }

  if (name == kTrailerSignatureName) {
    if (mode_ != ChunkedMode::kSignedWithTrailer) {
      return MalformedTrailer(where + ": a trailer signature in a " +
                              std::string(PayloadHashOf(mode_)) + " body");
    }
    const std::string expected =
        signer_->trailer_signature(previous_signature_, canonical_trailers_);
    if (!ConstantTimeEquals(expected, value)) {
      return BadSignature(where +
                          ": the trailer signature does not match the one calculated for "
                          "the trailers before it");
    }
    trailer_signature_seen_ = true;
    return Status::Ok();
  }
  if (std::find(declared_trailers_.begin(), declared_trailers_.end(), name) ==
      declared_trailers_.end()) {
    return MalformedTrailer(where + ": " + name + " is not declared in x-amz-trailer (declared: " +
                            Join(declared_trailers_) + ")");
  }
  for (const auto& [seen, unused] : trailers_) {
    if (seen == name) return MalformedTrailer(where + ": " + name + " appears twice");
  }
  trailers_.emplace_back(name, std::string(value));
  canonical_trailers_.append(name).append(":").append(value).append("\n");
  return Status::Ok();
}

Status AwsChunkedDecoder::CheckTrailerSection() const {
  for (const std::string& name : declared_trailers_) {
    const bool arrived = std::any_of(trailers_.begin(), trailers_.end(),
                                     [&](const auto& trailer) { return trailer.first == name; });
    if (!arrived) {
      return MalformedTrailer("trailer " + name + ", declared in x-amz-trailer, did not arrive");
    }
  }
  if (mode_ == ChunkedMode::kSignedWithTrailer && !trailer_signature_seen_) {
    return BadSignature("the trailers ended without " + std::string(kTrailerSignatureName));
  }
  return Status::Ok();
}

Status AwsChunkedDecoder::EndOfBodyError() const {
  const std::string at = " (body ended at byte " + std::to_string(wire_offset_) + " after " +
                         std::to_string(decoded_bytes_) + " payload bytes)";
  switch (state_) {
    case State::kChunkHeader:
      if (!line_.empty()) {
        return IncompleteBody("the body ended inside chunk " + std::to_string(chunk_number_ + 1) +
                              " header " + Quoted(line_) + at);
      }
      return IncompleteBody("the body ended without the final 0-size chunk" + at);
    case State::kData:
      return IncompleteBody("the body ended " + std::to_string(chunk_left_) +
                            " bytes short of the " + std::to_string(chunk_size_) +
                            " declared by chunk " + std::to_string(chunk_number_) + at);
    case State::kDataCrlf:
      return IncompleteBody("the body ended before the CRLF after chunk " +
                            std::to_string(chunk_number_) + at);
    case State::kTrailer:
      return IncompleteBody("the body ended inside trailer line " + Quoted(line_) + at);
    case State::kDone:
    case State::kFinished:
      break;
  }
  return Status::Ok();
}

Status AwsChunkedDecoder::Finish() {
  if (!failure_.ok()) return failure_;
  if (state_ == State::kFinished) return Status::Ok();
  // The blank line that ends the trailer section is optional at the very end of the body.
  const bool ended = state_ == State::kDone || (state_ == State::kTrailer && line_.empty());
  if (!ended) return Fail(EndOfBodyError());
  if (decoded_content_length_ && decoded_bytes_ != *decoded_content_length_) {
    return Fail(IncompleteBody("the payload is " + std::to_string(decoded_bytes_) +
                               " bytes but x-amz-decoded-content-length is " +
                               std::to_string(*decoded_content_length_)));
  }
  if (Status status = CheckTrailerSection(); !status.ok()) return Fail(std::move(status));
  state_ = State::kFinished;
  return Status::Ok();
}

}  // namespace trainload::s3
