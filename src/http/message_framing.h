// The fields that frame an HTTP/1.1 message (RFC 9112 section 6) — Content-Length,
// Transfer-Encoding and Connection — gathered field by field. Shared by the server's request
// parser (request_parser.h) and the built-in client's response parser (plain_response.h), so
// both read these fields the same way. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace trainload::http {

struct Framing {
  std::optional<uint64_t> content_length;
  bool has_transfer_encoding = false;
  bool chunked_last = false;   // the last coding so far is "chunked"
  bool chunked_twice = false;
  bool other_coding = false;   // a coding other than "chunked" was named
  bool connection_close = false;
  bool connection_keep_alive = false;
  bool expect_continue = false;
};

// Applies one field to `framing` (other fields are ignored); false when its value makes the
// message malformed: a Content-Length that is not all digits, overflows, or disagrees with an
// earlier one.
bool NoteFramingField(std::string_view name, std::string_view value, Framing& framing);

// `s` without leading and trailing spaces and tabs.
std::string_view TrimSpaces(std::string_view s);

}  // namespace trainload::http
