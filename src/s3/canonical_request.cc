#include "s3/canonical_request.h"

#include <algorithm>

#include "common/encoding.h"

namespace trainload::s3 {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Decodes one query component. '+' is kept as '+': AWS UriEncode never writes '+' for a space,
// so a '+' on the wire is a literal plus in every signer we interoperate with.
Result<std::string> DecodeComponent(std::string_view text, std::string_view what) {
  std::optional<std::string> decoded = PercentDecode(text, /*plus_as_space=*/false);
  if (!decoded) {
    return Error(InvalidArgument("malformed percent-encoding in query " + std::string(what) + " '" +
                                 std::string(text) + "'"));
  }
  return std::move(*decoded);
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (LowerAscii(a[i]) != LowerAscii(b[i])) return false;
  }
  return true;
}

Result<std::string> CanonicalUri(std::string_view raw_path) {
  if (raw_path.empty()) return std::string("/");
  // Decoding first makes every client spelling of one key ("!" or "%21", "%c3%a9" or
  // "%C3%A9") canonicalize to the same bytes, which is what a signer that UriEncodes the key
  // computed. One consequence: "%2F" decodes to '/' and is signed as '/', the same key to S3.
  std::optional<std::string> decoded = PercentDecode(raw_path, /*plus_as_space=*/false);
  if (!decoded) {
    return Error(InvalidArgument("malformed percent-encoding in request path '" +
                                 std::string(raw_path) + "'"));
  }
  return UriEncode(*decoded, /*encode_slash=*/false);
}

Result<std::vector<QueryParam>> ParseQuery(std::string_view raw_query) {
  std::vector<QueryParam> params;
  size_t start = 0;
  while (start <= raw_query.size()) {
    size_t end = raw_query.find('&', start);
    if (end == std::string_view::npos) end = raw_query.size();
    std::string_view piece = raw_query.substr(start, end - start);
    start = end + 1;
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    std::string_view name = piece.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    QueryParam param;
    TL_ASSIGN_OR_RETURN(param.name, DecodeComponent(name, "parameter name"));
    TL_ASSIGN_OR_RETURN(param.value, DecodeComponent(value, "value of '" + param.name + "'"));
    params.push_back(std::move(param));
  }
  return params;
}

std::string CanonicalQuery(std::span<const QueryParam> params, std::string_view exclude) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params.size());
  for (const QueryParam& param : params) {
    if (!exclude.empty() && param.name == exclude) continue;
    encoded.emplace_back(UriEncode(param.name, /*encode_slash=*/true),
                         UriEncode(param.value, /*encode_slash=*/true));
  }
  // AWS sorts after encoding, by name and then by value (byte order).
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (IsBlank(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

std::string CanonicalHeaders(std::span<const Header> headers,
                             std::span<const std::string_view> signed_names) {
  std::string out;
  for (std::string_view name : signed_names) {
    out += name;
    out += ':';
    bool first = true;
    for (const auto& [header_name, header_value] : headers) {
      if (!EqualsIgnoreCase(header_name, name)) continue;
      if (!first) out += ',';
      out += CanonicalHeaderValue(header_value);
      first = false;
    }
    out += '\n';
  }
  return out;
}

std::string CanonicalRequest(std::string_view method, std::string_view canonical_uri,
                             std::string_view canonical_query, std::string_view canonical_headers,
                             std::string_view signed_headers, std::string_view payload_hash) {
  std::string out;
  out.reserve(method.size() + canonical_uri.size() + canonical_query.size() +
              canonical_headers.size() + signed_headers.size() + payload_hash.size() + 8);
  out += method;
  out += '\n';
  out += canonical_uri;
  out += '\n';
  out += canonical_query;
  out += '\n';
  out += canonical_headers;
  out += '\n';
  out += signed_headers;
  out += '\n';
  out += payload_hash;
  return out;
}

}  // namespace trainload::s3
