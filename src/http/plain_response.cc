#include "http/plain_response.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace trainload::http {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Whether the comma-separated list `value` holds `token` (any case).
bool HasToken(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    if (EqualsIgnoreCase(Trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

Status Malformed(std::string_view what, std::string_view text) {
  constexpr size_t kShown = 80;
  std::string shown(text.substr(0, kShown));
  if (text.size() > kShown) shown += "...";
  return Unavailable("malformed HTTP response: " + std::string(what) + " \"" + shown + "\"");
}

std::optional<uint64_t> ParseDecimal(std::string_view text) {
  uint64_t value = 0;
  if (text.empty() || text.size() > 19) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

bool ResponseHasNoBody(std::string_view method, int status) {
  return method == "HEAD" || status == 204 || status == 304 || (status >= 100 && status < 200);
}

Result<std::optional<ResponseHead>> ParseResponseHead(std::string_view data) {
  ResponseHead head;
  size_t pos = 0;
  bool status_line = true;
  bool http10 = false;
  bool connection_close = false;
  bool connection_keep_alive = false;
  std::optional<std::string_view> transfer_encoding;
  for (;;) {
    size_t newline = data.find('\n', pos);
    if (newline == std::string_view::npos) return std::optional<ResponseHead>();
    std::string_view line = data.substr(pos, newline - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = newline + 1;
    if (status_line) {
      // "HTTP/1.1 200 OK": version, a space, three digits, then a space or the end.
      if (line.size() < 12 || !line.starts_with("HTTP/1.") || line[8] != ' ' ||
          (line.size() > 12 && line[12] != ' ')) {
        return Error(Malformed("status line", line));
      }
      int status = 0;
      auto [end, ec] = std::from_chars(line.data() + 9, line.data() + 12, status);
      if (ec != std::errc() || end != line.data() + 12 || status < 100) {
        return Error(Malformed("status line", line));
      }
      head.status = status;
      http10 = line[7] == '0';
      status_line = false;
      continue;
    }
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') {
      return Error(Malformed("folded header line", line));
    }
    size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos ||
        line.substr(0, colon).find_first_of(" \t") != std::string_view::npos) {
      return Error(Malformed("header line", line));
    }
    std::string_view name = line.substr(0, colon);
    std::string_view value = Trim(line.substr(colon + 1));
    head.headers.Add(name, value);
    if (EqualsIgnoreCase(name, "content-length")) {
      std::optional<uint64_t> length = ParseDecimal(value);
      if (!length || (head.content_length && *head.content_length != *length)) {
        return Error(Malformed("Content-Length", value));
      }
      head.content_length = length;
    } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
      transfer_encoding = value;
    } else if (EqualsIgnoreCase(name, "connection")) {
      connection_close = connection_close || HasToken(value, "close");
      connection_keep_alive = connection_keep_alive || HasToken(value, "keep-alive");
    }
  }
  if (transfer_encoding) {
    // Only chunked is ever asked for (no TE header is sent); anything else is not readable.
    std::string_view te = Trim(*transfer_encoding);
    if (!EqualsIgnoreCase(te, "chunked")) {
      return Error(Malformed("unsupported Transfer-Encoding", te));
    }
    head.chunked = true;
    head.content_length.reset();  // RFC 9112 6.3: the coding wins over a length
  }
  head.keep_alive = !connection_close && (!http10 || connection_keep_alive);
  head.head_bytes = pos;
  return std::optional<ResponseHead>(std::move(head));
}

}  // namespace trainload::http
