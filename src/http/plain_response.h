// The wire format of HTTP/1.1 responses, as the built-in plain-HTTP client reads them: the
// response head (RFC 9112 sections 4-6) and the chunked transfer coding (section 7.1).
//
// Pure parsing, no I/O. ParseResponseHead is a function; a ChunkedDecoder is a small state
// machine fed whatever arrived, one per response. Both thread-compatible.
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

struct ResponseHead {
  int status = 0;
  Headers headers;
  size_t head_bytes = 0;  // status line, header lines and the blank line
  std::optional<uint64_t> content_length;
  bool chunked = false;     // Transfer-Encoding ends in "chunked"
  bool keep_alive = true;   // false: "Connection: close", or HTTP/1.0 without keep-alive
};

// Parses the response head at the start of `data`. nullopt while the blank line that ends it
// has not arrived. Errors (kUnavailable) name what is malformed: not "HTTP/1.x NNN", a header
// line without a colon, an invalid or conflicting Content-Length, a transfer coding other than
// chunked. Header values are trimmed of surrounding blanks.
Result<std::optional<ResponseHead>> ParseResponseHead(std::string_view data);

// Whether a response to `method` with `status` has no body whatever its headers say.
bool ResponseHasNoBody(std::string_view method, int status);

// Removes the chunked transfer coding, incrementally: Feed() consumes a prefix of what arrived
// and points `data` at the body bytes within it (a piece of `in`, so no copy is made). Chunk
// extensions and trailer fields are skipped.
class ChunkedDecoder {
 public:
  // Returns how many bytes of `in` were consumed (all of them unless the body ended inside
  // `in`, or one data run ended: call again with the rest). Errors (kUnavailable) name what is
  // malformed: a size that is not hexadecimal or over 2^62, a missing CRLF after chunk data,
  // a size or trailer line over 8 KiB.
  Result<size_t> Feed(std::span<const std::byte> in, std::span<const std::byte>& data);
  // The last chunk and the trailer section have been consumed.
  bool done() const { return state_ == State::kDone; }

 private:
  enum class State { kSize, kData, kDataEnd, kTrailer, kDone };
  // Appends to line_ up to and including '\n'; true when the line is complete.
  Result<bool> TakeLine(std::span<const std::byte> in, size_t& consumed);

  State state_ = State::kSize;
  uint64_t remaining_ = 0;  // data bytes left in the current chunk
  std::string line_;        // a size, CRLF or trailer line that arrived in pieces
};

}  // namespace trainload::http
