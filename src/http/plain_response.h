// The response head of HTTP/1.1 (RFC 9112 sections 4-6), as the built-in plain-HTTP client
// reads it. Pure parsing, no I/O; thread-safe. Chunked bodies are decoded by the same
// ChunkedDecoder as request bodies (http/request_parser.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
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

}  // namespace trainload::http
