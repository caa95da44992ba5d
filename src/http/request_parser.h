// HTTP/1.1 request framing for the server: the request head (RFC 9112 §2-§6) and chunked request
// bodies (§7.1), parsed without allocating per field.
//
// Strict on purpose, because the server sits in front of an object store and a lenient parser is
// how requests get smuggled: CRLF line ends only (no bare LF), no empty lines before the request
// line, no obs-fold continuation lines, no whitespace between a field name and its colon, no
// control characters in values, one Content-Length value (repeats must agree), and a
// Transfer-Encoding that ends in a single "chunked" and comes without Content-Length. Anything
// else is kMalformed, which the server answers with 400 and a closed connection.
//
// Pure functions and a value-type decoder; thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "http/headers.h"
#include "trainload/status.h"

namespace trainload::http {

// What ParseRequestHead found at the start of its input.
enum class HeadParse {
  kComplete,    // a whole head; RequestHead is filled
  kIncomplete,  // every complete line so far is valid; more bytes are needed
  kTooLarge,    // the head does not end within `max_head_bytes`
  kMalformed,   // not an acceptable HTTP/1.x request head
};

// The request line and framing of a complete head. `method` and `target` point into the parsed
// input.
struct RequestHead {
  std::string_view method;
  std::string_view target;
  int minor_version = 1;                   // HTTP/1.<minor_version>
  std::optional<uint64_t> content_length;  // absent when not sent or when chunked
  bool chunked = false;                    // Transfer-Encoding ends in "chunked"
  bool keep_alive = true;                  // from the version and the Connection field
  bool expect_continue = false;            // Expect: 100-continue
  size_t head_bytes = 0;                   // request line through the empty line, inclusive
};

// Parses the request head at the start of `input` (bytes after the head, a body or pipelined
// requests, are left alone). On kComplete, `head` describes it and `headers` holds its fields in
// order (names lowercased, values without surrounding whitespace); `headers` is cleared first
// and keeps its capacity, so a reused Headers makes a typical head allocation-free. On other
// outcomes `head` and `headers` are unspecified. A head of more than `max_head_bytes` bytes is
// kTooLarge even when complete.
HeadParse ParseRequestHead(std::string_view input, size_t max_head_bytes, RequestHead& head,
                           Headers& headers);

// Removes chunked transfer coding from a request body, incrementally: feed it the body bytes as
// they arrive, in any pieces. Chunk extensions and trailer fields are checked for framing and
// dropped (aws-chunked signatures and checksums travel inside the chunk data, not here).
class ChunkedDecoder {
 public:
  struct Step {
    size_t consumed = 0;  // bytes of `input` used
    size_t produced = 0;  // bytes written to `output`
  };

  // Decodes from `input` into `output` until the input is used up, the output is full, or the
  // body ends (done(); the bytes after it are not consumed). Errors (kInvalidArgument) name
  // the framing fault, once the data before it has been returned; every later call fails the
  // same way.
  Result<Step> Decode(std::span<const std::byte> input, std::span<std::byte> output);
  bool done() const { return state_ == State::kDone; }

 private:
  enum class State {
    kSize,           // hex digits of a chunk size
    kSizeSpace,      // whitespace after the size, before ';' or CR
    kExtension,      // ";..." up to CR
    kSizeLf,         // LF ending a size line
    kData,           // chunk bytes
    kDataCr,         // CR after chunk bytes
    kDataLf,         // LF after chunk bytes
    kTrailerStart,   // start of a trailer line, or CR of the final empty line
    kTrailerLine,    // a trailer field up to CR
    kTrailerLf,      // LF ending a trailer field
    kFinalLf,        // LF of the final empty line
    kDone,
  };

  State state_ = State::kSize;
  uint64_t chunk_left_ = 0;  // kData: bytes of the current chunk still to come
  int size_digits_ = 0;      // kSize: digits read
  size_t line_bytes_ = 0;    // size line or trailer section length so far, for the limits
  uint64_t chunks_ = 0;      // complete chunk size lines, for error messages
  std::string error_;        // set once a fault was met
};

}  // namespace trainload::http
