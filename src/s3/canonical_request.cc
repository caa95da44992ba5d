#include "s3/canonical_request.h"

#include <algorithm>
#include <array>

#include "common/encoding.h"

namespace trainload::s3 {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// AWS UriEncode's unreserved bytes, as a table: the canonical-form check runs over every byte
// of every query component of every request.
constexpr std::array<bool, 256> kUnreserved = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) {
    table[c] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.' || c == '_' || c == '~';
  }
  return table;
}();

bool Unreserved(unsigned char c) { return kUnreserved[c]; }

int UpperHexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;  // lowercase hex decodes fine but is not UriEncode's output
}

// Whether `text` is already in UriEncode form, i.e. UriEncode(PercentDecode(text)) == text:
// only unreserved bytes ('/' too unless `encode_slash`) and uppercase %XX escapes of bytes
// UriEncode escapes. Signers UriEncode, so this is the common case, and canonicalizing it needs
// no decoding, re-encoding or allocation.
bool IsUriEncoded(std::string_view text, bool encode_slash) {
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (Unreserved(c) || (c == '/' && !encode_slash)) continue;
    if (c != '%' || i + 2 >= text.size()) return false;
    int high = UpperHexValue(text[i + 1]);
    int low = UpperHexValue(text[i + 2]);
    if (high < 0 || low < 0) return false;
    unsigned char decoded = static_cast<unsigned char>(high * 16 + low);
    // An escape of a byte UriEncode writes as itself is not canonical ("%41" is "A").
    if (Unreserved(decoded) || (decoded == '/' && !encode_slash)) return false;
    i += 2;
  }
  return true;
}

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

// "name=value&..." of encoded pairs, which AWS sorts after encoding, by name and then by value
// (byte order). `size_hint`: the joined length when known, else 0.
template <typename Text>
std::string JoinSorted(std::vector<std::pair<Text, Text>>& encoded, size_t size_hint) {
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  out.reserve(size_hint);
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
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
  // Most signers send the path already in UriEncode form: nothing to decode or re-encode.
  if (IsUriEncoded(raw_path, /*encode_slash=*/false)) return std::string(raw_path);
  std::optional<std::string> decoded = PercentDecode(raw_path, /*plus_as_space=*/false);
  if (!decoded) {
    return Error(InvalidArgument("malformed percent-encoding in request path '" +
                                 std::string(raw_path) + "'"));
  }
  return UriEncode(*decoded, /*encode_slash=*/false);
}

Result<std::vector<QueryParam>> ParseQuery(std::string_view raw_query) {
  std::vector<QueryParam> params;
  for (const RawQueryParam& raw : SplitQuery(raw_query)) {
    QueryParam param;
    TL_ASSIGN_OR_RETURN(param.name, DecodeComponent(raw.name, "parameter name"));
    TL_ASSIGN_OR_RETURN(param.value, DecodeComponent(raw.value, "value of '" + param.name + "'"));
    params.push_back(std::move(param));
  }
  return params;
}

std::vector<RawQueryParam> SplitQuery(std::string_view raw_query) {
  std::vector<RawQueryParam> params;
  params.reserve(static_cast<size_t>(std::count(raw_query.begin(), raw_query.end(), '&')) + 1);
  for (size_t start = 0; start <= raw_query.size();) {
    size_t end = raw_query.find('&', start);
    if (end == std::string_view::npos) end = raw_query.size();
    std::string_view piece = raw_query.substr(start, end - start);
    start = end + 1;
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    params.push_back(
        RawQueryParam{piece.substr(0, eq),
                      eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1),
                      eq != std::string_view::npos});
  }
  return params;
}

Result<std::string> CanonicalQueryFromRaw(std::span<const RawQueryParam> params,
                                          std::string_view exclude) {
  // UriEncode is injective, so "decoded name == exclude" is "encoded name == encoded exclude".
  const std::string encoded_exclude = UriEncode(exclude, /*encode_slash=*/true);
  // Re-encoded components live in `owned`, reserved at its first use for every component so
  // that the views into it (short strings live inside the string object) never move.
  std::vector<std::string> owned;
  auto canonical = [&owned, &params](std::string_view raw) -> std::optional<std::string_view> {
    if (IsUriEncoded(raw, /*encode_slash=*/true)) return raw;
    std::optional<std::string> decoded = PercentDecode(raw, /*plus_as_space=*/false);
    if (!decoded) return std::nullopt;
    if (owned.capacity() == 0) owned.reserve(2 * params.size());
    owned.push_back(UriEncode(*decoded, /*encode_slash=*/true));
    return std::string_view(owned.back());
  };
  std::vector<std::pair<std::string_view, std::string_view>> encoded;
  encoded.reserve(params.size());
  size_t total = 0;
  for (const RawQueryParam& param : params) {
    std::optional<std::string_view> name = canonical(param.name);
    if (!name) return Error(DecodeComponent(param.name, "parameter name").error());
    std::optional<std::string_view> value = canonical(param.value);
    if (!value) {
      std::string decoded_name = PercentDecode(param.name).value_or(std::string(param.name));
      return Error(DecodeComponent(param.value, "value of '" + decoded_name + "'").error());
    }
    if (!exclude.empty() && *name == encoded_exclude) continue;
    encoded.emplace_back(*name, *value);
    total += name->size() + value->size() + 2;
  }
  return JoinSorted(encoded, total);
}

std::string CanonicalQuery(std::span<const QueryParam> params, std::string_view exclude) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params.size());
  for (const QueryParam& param : params) {
    if (!exclude.empty() && param.name == exclude) continue;
    encoded.emplace_back(UriEncode(param.name, /*encode_slash=*/true),
                         UriEncode(param.value, /*encode_slash=*/true));
  }
  return JoinSorted(encoded, 0);
}

std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  AppendCanonicalHeaderValue(value, out);
  return out;
}

void AppendCanonicalHeaderValue(std::string_view value, std::string& out) {
  const size_t begin = out.size();
  bool pending_space = false;
  for (char c : value) {
    if (IsBlank(c)) {
      pending_space = out.size() > begin;
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
}

std::string CanonicalHeaders(std::span<const Header> headers,
                             std::span<const std::string_view> signed_names) {
  std::string out;
  out.reserve(256);
  for (std::string_view name : signed_names) {
    out += name;
    out += ':';
    bool first = true;
    for (const auto& [header_name, header_value] : headers) {
      if (!EqualsIgnoreCase(header_name, name)) continue;
      if (!first) out += ',';
      AppendCanonicalHeaderValue(header_value, out);
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
