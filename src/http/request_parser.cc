#include "http/request_parser.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "http/message_framing.h"

namespace trainload::http {
namespace {

// Limits of the chunked framing lines: a size line (size and extensions) and the trailer
// section. Generous for real clients, small enough that a peer cannot make the server scan
// unbounded garbage between body bytes.
constexpr size_t kMaxChunkLineBytes = 4096;
constexpr size_t kMaxTrailerBytes = 16 * 1024;

// RFC 9110 §5.6.2 tchar.
constexpr bool IsTokenChar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

// Visible characters of a request-target (anything but controls, space and DEL; bytes >= 0x80
// pass, as clients sometimes send UTF-8 unescaped).
constexpr bool IsTargetChar(unsigned char c) { return c > 0x20 && c != 0x7f; }

// RFC 9110 §5.5 field-vchar / SP / HTAB / obs-text.
constexpr bool IsValueChar(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

constexpr bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// Parses "METHOD SP target SP HTTP/1.d".
bool ParseRequestLine(std::string_view line, RequestHead& head) {
  size_t sp1 = line.find(' ');
  if (sp1 == 0 || sp1 == std::string_view::npos) return false;
  head.method = line.substr(0, sp1);
  for (char c : head.method) {
    if (!IsTokenChar(static_cast<unsigned char>(c))) return false;
  }
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return false;
  head.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  for (char c : head.target) {
    if (!IsTargetChar(static_cast<unsigned char>(c))) return false;
  }
  std::string_view version = line.substr(sp2 + 1);
  if (version.size() != 8 || version.substr(0, 7) != "HTTP/1." || version[7] < '0' ||
      version[7] > '9') {
    return false;
  }
  head.minor_version = version[7] - '0';
  return true;
}

}  // namespace

HeadParse ParseRequestHead(std::string_view input, size_t max_head_bytes, RequestHead& head,
                           Headers& headers) {
  head = RequestHead();
  headers.Clear();
  // Only the first max_head_bytes can belong to an acceptable head; a fault inside them is
  // reported as such, a head that does not end inside them is too large.
  const bool truncated = input.size() > max_head_bytes;
  std::string_view window = input.substr(0, max_head_bytes);
  Framing framing;
  size_t pos = 0;
  bool request_line = true;
  for (;;) {
    size_t lf = window.find('\n', pos);
    if (lf == std::string_view::npos) {
      // Every complete line so far is valid; the rest may still come, unless there is no room.
      return truncated || window.size() == max_head_bytes ? HeadParse::kTooLarge
                                                          : HeadParse::kIncomplete;
    }
    if (lf == pos || window[lf - 1] != '\r') return HeadParse::kMalformed;  // bare LF
    std::string_view line = window.substr(pos, lf - 1 - pos);
    pos = lf + 1;
    if (line.find('\r') != std::string_view::npos) return HeadParse::kMalformed;
    if (request_line) {
      if (!ParseRequestLine(line, head)) return HeadParse::kMalformed;
      request_line = false;
      continue;
    }
    if (line.empty()) break;  // end of the head
    if (IsSpace(line.front())) return HeadParse::kMalformed;  // obs-fold
    size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) return HeadParse::kMalformed;
    std::string_view name = line.substr(0, colon);
    for (char c : name) {
      if (!IsTokenChar(static_cast<unsigned char>(c))) return HeadParse::kMalformed;
    }
    std::string_view value = TrimSpaces(line.substr(colon + 1));
    for (char c : value) {
      if (!IsValueChar(static_cast<unsigned char>(c))) return HeadParse::kMalformed;
    }
    if (!NoteFramingField(name, value, framing)) return HeadParse::kMalformed;
    headers.Add(name, value);
  }

  // RFC 9112 §6.1 and §6.3: a Transfer-Encoding must end in exactly one "chunked" (otherwise
  // the body length is unknowable), must not come with Content-Length (a smuggling vector), and
  // is not HTTP/1.0.
  if (framing.has_transfer_encoding) {
    if (!framing.chunked_last || framing.chunked_twice || framing.content_length ||
        head.minor_version == 0) {
      return HeadParse::kMalformed;
    }
    head.chunked = true;
  } else {
    head.content_length = framing.content_length;
  }
  head.keep_alive = head.minor_version >= 1 ? !framing.connection_close
                                            : framing.connection_keep_alive &&
                                                  !framing.connection_close;
  head.expect_continue = framing.expect_continue;
  head.head_bytes = pos;
  return HeadParse::kComplete;
}

Result<ChunkedDecoder::Step> ChunkedDecoder::Decode(std::span<const std::byte> input,
                                                    std::span<std::byte> output) {
  Step step;
  if (!error_.empty()) return Error(InvalidArgument(error_));
  // A fault is reported by the call that meets it, unless that call already produced data:
  // then the data is delivered first and the next call reports the fault.
  auto fail = [&](std::string what) -> Result<Step> {
    error_ = "malformed chunked request body: " + what + " (chunk " +
             std::to_string(chunks_ + 1) + ")";
    if (step.produced > 0) return step;
    return Error(InvalidArgument(error_));
  };
  while (step.consumed < input.size() && state_ != State::kDone) {
    if (state_ == State::kData) {
      if (step.produced == output.size()) break;
      size_t n = static_cast<size_t>(std::min<uint64_t>(
          {chunk_left_, input.size() - step.consumed, output.size() - step.produced}));
      std::memcpy(output.data() + step.produced, input.data() + step.consumed, n);
      step.consumed += n;
      step.produced += n;
      chunk_left_ -= n;
      if (chunk_left_ == 0) state_ = State::kDataCr;
      continue;
    }
    char c = static_cast<char>(input[step.consumed]);
    ++step.consumed;
    switch (state_) {
      case State::kSize: {
        int digit = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
        if (digit >= 0) {
          if (++size_digits_ > 16) return fail("chunk size longer than 16 hex digits");
          chunk_left_ = chunk_left_ * 16 + static_cast<uint64_t>(digit);
          break;
        }
        if (size_digits_ == 0) return fail("chunk size is not hexadecimal");
        --step.consumed;  // this byte ends the size: look at it again
        state_ = State::kSizeSpace;
        break;
      }
      case State::kSizeSpace:
        if (IsSpace(c)) break;
        if (c == ';') {
          state_ = State::kExtension;
        } else if (c == '\r') {
          state_ = State::kSizeLf;
        } else {
          return fail("unexpected byte after the chunk size");
        }
        break;
      case State::kExtension:
        if (c == '\r') {
          state_ = State::kSizeLf;
        } else if (!IsValueChar(static_cast<unsigned char>(c))) {
          return fail("control character in a chunk extension");
        }
        break;
      case State::kSizeLf:
        if (c != '\n') return fail("chunk size line not ended by CRLF");
        ++chunks_;
        size_digits_ = 0;
        line_bytes_ = 0;
        if (chunk_left_ == 0) {
          state_ = State::kTrailerStart;
        } else {
          state_ = State::kData;
        }
        continue;  // the limit below counts size lines only
      case State::kDataCr:
        if (c != '\r') return fail("chunk data longer than its size");
        state_ = State::kDataLf;
        break;
      case State::kDataLf:
        if (c != '\n') return fail("chunk data not followed by CRLF");
        state_ = State::kSize;
        chunk_left_ = 0;
        line_bytes_ = 0;
        continue;
      case State::kTrailerStart:
        if (c == '\r') {
          state_ = State::kFinalLf;
        } else if (IsTokenChar(static_cast<unsigned char>(c))) {
          state_ = State::kTrailerLine;
        } else {
          return fail("malformed trailer field");
        }
        break;
      case State::kTrailerLine:
        if (c == '\r') {
          state_ = State::kTrailerLf;
        } else if (!IsValueChar(static_cast<unsigned char>(c))) {
          return fail("control character in a trailer field");
        }
        break;
      case State::kTrailerLf:
        if (c != '\n') return fail("trailer field not ended by CRLF");
        state_ = State::kTrailerStart;
        break;
      case State::kFinalLf:
        if (c != '\n') return fail("chunked body not ended by CRLF");
        state_ = State::kDone;
        break;
      case State::kData:
      case State::kDone:
        break;
    }
    ++line_bytes_;
    bool in_trailers = state_ == State::kTrailerStart || state_ == State::kTrailerLine ||
                       state_ == State::kTrailerLf || state_ == State::kFinalLf;
    if (line_bytes_ > (in_trailers ? kMaxTrailerBytes : kMaxChunkLineBytes)) {
      return fail(in_trailers ? "trailer section too long" : "chunk size line too long");
    }
  }
  return step;
}

}  // namespace trainload::http
