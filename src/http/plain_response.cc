#include "http/plain_response.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "http/message_framing.h"

namespace trainload::http {
namespace {

Status Malformed(std::string_view what, std::string_view text) {
  constexpr size_t kShown = 80;
  std::string shown(text.substr(0, kShown));
  if (text.size() > kShown) shown += "...";
  return Unavailable("malformed HTTP response: " + std::string(what) + " \"" + shown + "\"");
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
  Framing framing;
  std::string_view transfer_encoding;  // the last one, for the message
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
    std::string_view value = TrimSpaces(line.substr(colon + 1));
    head.headers.Add(name, value);
    // Content-Length is the only framing field whose value alone can be malformed.
    if (!NoteFramingField(name, value, framing)) return Error(Malformed("Content-Length", value));
    if (EqualsIgnoreCase(name, "transfer-encoding")) transfer_encoding = value;
  }
  if (framing.has_transfer_encoding) {
    // Only chunked is ever asked for (no TE header is sent); anything else is not readable.
    if (framing.other_coding || framing.chunked_twice || !framing.chunked_last) {
      return Error(Malformed("unsupported Transfer-Encoding", transfer_encoding));
    }
    head.chunked = true;  // RFC 9112 6.3: the coding wins over a length
  } else {
    head.content_length = framing.content_length;
  }
  head.keep_alive =
      !framing.connection_close && (!http10 || framing.connection_keep_alive);
  head.head_bytes = pos;
  return std::optional<ResponseHead>(std::move(head));
}

}  // namespace trainload::http
