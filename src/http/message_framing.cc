#include "http/message_framing.h"

#include <cstdint>

#include "http/headers.h"

namespace trainload::http {
namespace {

// Calls `fn(token)` for each comma-separated element of a field value list, trimmed; empty
// elements are skipped (RFC 9110 §5.6.1).
template <typename Fn>
void ForEachListElement(std::string_view value, Fn fn) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view element = TrimSpaces(value.substr(0, comma));
    if (!element.empty()) fn(element);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

// Digits only, no sign, no overflow.
std::optional<uint64_t> ParseContentLength(std::string_view value) {
  if (value.empty()) return std::nullopt;
  uint64_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (n > (UINT64_MAX - digit) / 10) return std::nullopt;
    n = n * 10 + digit;
  }
  return n;
}

}  // namespace

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool NoteFramingField(std::string_view name, std::string_view value, Framing& framing) {
  if (EqualsIgnoreCase(name, "content-length")) {
    auto length = ParseContentLength(value);
    if (!length) return false;
    if (framing.content_length && *framing.content_length != *length) return false;
    framing.content_length = length;
  } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
    framing.has_transfer_encoding = true;
    ForEachListElement(value, [&](std::string_view coding) {
      std::string_view name_only = TrimSpaces(coding.substr(0, coding.find(';')));
      bool chunked = EqualsIgnoreCase(name_only, "chunked");
      if (chunked && framing.chunked_last) framing.chunked_twice = true;
      if (!chunked) framing.other_coding = true;
      framing.chunked_last = chunked;
    });
  } else if (EqualsIgnoreCase(name, "connection")) {
    ForEachListElement(value, [&](std::string_view option) {
      if (EqualsIgnoreCase(option, "close")) framing.connection_close = true;
      if (EqualsIgnoreCase(option, "keep-alive")) framing.connection_keep_alive = true;
    });
  } else if (EqualsIgnoreCase(name, "expect")) {
    framing.expect_continue = EqualsIgnoreCase(value, "100-continue");
  }
  return true;
}

}  // namespace trainload::http
