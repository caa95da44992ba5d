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
  std::string out;
  TL_RETURN_IF_ERROR(AppendCanonicalUri(raw_path, out));
  return out;
}

Status AppendCanonicalUri(std::string_view raw_path, std::string& out) {
  if (raw_path.empty()) {
    out += '/';
    return Status::Ok();
  }
  // Decoding first makes every client spelling of one key ("!" or "%21", "%c3%a9" or
  // "%C3%A9") canonicalize to the same bytes, which is what a signer that UriEncodes the key
  // computed. One consequence: "%2F" decodes to '/' and is signed as '/', the same key to S3.
  // Most signers send the path already in UriEncode form: nothing to decode or re-encode.
  if (IsUriEncoded(raw_path, /*encode_slash=*/false)) {
    out += raw_path;
    return Status::Ok();
  }
  std::optional<std::string> decoded = PercentDecode(raw_path, /*plus_as_space=*/false);
  if (!decoded) {
    return InvalidArgument("malformed percent-encoding in request path '" + std::string(raw_path) +
                           "'");
  }
  out += UriEncode(*decoded, /*encode_slash=*/false);
  return Status::Ok();
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

namespace {

// The query bytes ScanQuery tells apart; every unreserved byte is passed over with one table
// load and one well-predicted branch.
enum QueryByte : uint8_t { kUnreservedByte = 0, kAmpersand, kEquals, kPercent, kOtherByte };
constexpr std::array<uint8_t, 256> kQueryBytes = [] {
  std::array<uint8_t, 256> table{};
  for (int c = 0; c < 256; ++c) table[c] = kUnreserved[c] ? kUnreservedByte : kOtherByte;
  table['&'] = kAmpersand;
  table['='] = kEquals;
  table['%'] = kPercent;
  return table;
}();

// Whether the '%' at `at` starts an escape UriEncode (with '/' encoded) writes: two uppercase hex
// digits of a byte it does not write as itself. Hex digits are neither '&' nor '=', so a valid
// escape always lies inside the component holding the '%'.
bool IsCanonicalEscapeAt(std::string_view text, size_t at) {
  if (at + 2 >= text.size()) return false;
  int high = UpperHexValue(text[at + 1]);
  int low = UpperHexValue(text[at + 2]);
  return high >= 0 && low >= 0 && !Unreserved(static_cast<unsigned char>(high * 16 + low));
}

// The canonical query of `params`, for CanonicalQueryFromRaw and AppendCanonicalQuery:
// `raw_of(param)` gives the wire pieces, `canonical(param, raw_component, is_value)` whether a
// component is already in UriEncode form.
template <typename Param, typename RawOf, typename IsCanonical>
Status AppendCanonicalQueryImpl(std::span<const Param> params, std::string_view exclude,
                                std::string& out, RawOf raw_of, IsCanonical is_canonical) {
  if (params.empty()) return Status::Ok();  // most header-signed requests
  // UriEncode is injective, so "decoded name == exclude" is "encoded name == encoded exclude".
  // A name of unreserved bytes only ("X-Amz-Signature") is its own encoding.
  std::string encoded_exclude_storage;
  std::string_view encoded_exclude = exclude;
  if (!std::all_of(exclude.begin(), exclude.end(),
                   [](char c) { return Unreserved(static_cast<unsigned char>(c)); })) {
    encoded_exclude_storage = UriEncode(exclude, /*encode_slash=*/true);
    encoded_exclude = encoded_exclude_storage;
  }
  // Re-encoded components live in `owned`, reserved at its first use for every component so
  // that the views into it (short strings live inside the string object) never move.
  std::vector<std::string> owned;
  auto canonical = [&owned, &params](std::string_view raw,
                                     bool already) -> std::optional<std::string_view> {
    if (already) return raw;
    std::optional<std::string> decoded = PercentDecode(raw, /*plus_as_space=*/false);
    if (!decoded) return std::nullopt;
    if (owned.capacity() == 0) owned.reserve(2 * params.size());
    owned.push_back(UriEncode(*decoded, /*encode_slash=*/true));
    return std::string_view(owned.back());
  };
  // The (name, value) pairs to sort: on the stack for the usual handful of parameters (a
  // presigned GET has six or seven), so that canonicalizing a query allocates nothing.
  using Pair = std::pair<std::string_view, std::string_view>;
  constexpr size_t kInlinePairs = 16;
  std::array<Pair, kInlinePairs> inline_pairs;
  std::vector<Pair> heap_pairs;
  Pair* pairs = inline_pairs.data();
  if (params.size() > kInlinePairs) {
    heap_pairs.resize(params.size());
    pairs = heap_pairs.data();
  }
  size_t count = 0;
  size_t total = 0;
  for (const Param& param : params) {
    const RawQueryParam& raw = raw_of(param);
    std::optional<std::string_view> name =
        canonical(raw.name, is_canonical(param, raw.name, false));
    if (!name) return DecodeComponent(raw.name, "parameter name").error();
    std::optional<std::string_view> value =
        canonical(raw.value, is_canonical(param, raw.value, true));
    if (!value) {
      std::string decoded_name = PercentDecode(raw.name).value_or(std::string(raw.name));
      return DecodeComponent(raw.value, "value of '" + decoded_name + "'").error();
    }
    if (!exclude.empty() && *name == encoded_exclude) continue;
    pairs[count++] = Pair(*name, *value);
    total += name->size() + value->size() + 2;
  }
  // AWS sorts after encoding, by name and then by value (byte order).
  std::sort(pairs, pairs + count);
  out.reserve(out.size() + total);
  for (size_t i = 0; i < count; ++i) {
    if (i != 0) out += '&';
    out += pairs[i].first;
    out += '=';
    out += pairs[i].second;
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> CanonicalQueryFromRaw(std::span<const RawQueryParam> params,
                                          std::string_view exclude) {
  std::string out;
  TL_RETURN_IF_ERROR(AppendCanonicalQueryImpl(
      params, exclude, out,
      [](const RawQueryParam& param) -> const RawQueryParam& { return param; },
      [](const RawQueryParam&, std::string_view component, bool) {
        return IsUriEncoded(component, /*encode_slash=*/true);
      }));
  return out;
}

void ScanQuery(std::string_view raw_query, std::vector<ScannedQueryParam>& out) {
  out.clear();
  const size_t size = raw_query.size();
  for (size_t at = 0; at <= size;) {
    const size_t start = at;
    size_t eq = std::string_view::npos;
    bool escaped[2] = {false, false};  // [0]: the name, [1]: the value
    bool canonical[2] = {true, true};
    int part = 0;
    for (; at < size; ++at) {
      // Runs of unreserved bytes (most of a query) are skipped four at a time, one branch each.
      while (at + 4 <= size && (kQueryBytes[static_cast<unsigned char>(raw_query[at])] |
                                kQueryBytes[static_cast<unsigned char>(raw_query[at + 1])] |
                                kQueryBytes[static_cast<unsigned char>(raw_query[at + 2])] |
                                kQueryBytes[static_cast<unsigned char>(raw_query[at + 3])]) == 0) {
        at += 4;
      }
      if (at == size) break;
      const uint8_t kind = kQueryBytes[static_cast<unsigned char>(raw_query[at])];
      if (kind == kUnreservedByte) continue;
      if (kind == kAmpersand) break;
      if (kind == kEquals && part == 0) {
        eq = at;
        part = 1;
      } else if (kind == kPercent) {
        escaped[part] = true;
        canonical[part] = canonical[part] && IsCanonicalEscapeAt(raw_query, at);
      } else {
        canonical[part] = false;  // a reserved byte, or a second '=', which UriEncode escapes
      }
    }
    const size_t end = at++;  // past the '&'
    if (end == start) continue;
    // Filled in place: building it on the stack and copying it in made the copy's wide loads
    // wait on the narrow stores of the flags (a store-forwarding stall per parameter).
    ScannedQueryParam& param = out.emplace_back();
    param.raw.has_value = eq != std::string_view::npos;
    param.raw.name = raw_query.substr(start, (param.raw.has_value ? eq : end) - start);
    if (param.raw.has_value) param.raw.value = raw_query.substr(eq + 1, end - eq - 1);
    param.name_escaped = escaped[0];
    param.value_escaped = escaped[1];
    param.name_canonical = canonical[0];
    param.value_canonical = canonical[1];
  }
}

Status AppendCanonicalQuery(std::span<const ScannedQueryParam> params, std::string_view exclude,
                            std::string& out) {
  return AppendCanonicalQueryImpl(
      params, exclude, out,
      [](const ScannedQueryParam& param) -> const RawQueryParam& { return param.raw; },
      [](const ScannedQueryParam& param, std::string_view, bool is_value) {
        return is_value ? param.value_canonical : param.name_canonical;
      });
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
  // Whole runs of non-blank bytes are appended at once, with one space between runs: the value
  // of every signed header of every request goes through here.
  const size_t size = value.size();
  bool first = true;
  for (size_t at = 0; at < size;) {
    while (at < size && IsBlank(value[at])) ++at;
    if (at == size) break;
    const size_t start = at;
    while (at < size && !IsBlank(value[at])) ++at;
    if (!first) out += ' ';
    out.append(value.data() + start, at - start);
    first = false;
  }
}

std::string CanonicalHeaders(std::span<const Header> headers,
                             std::span<const std::string_view> signed_names) {
  std::string out;
  out.reserve(256);
  AppendCanonicalHeaders(headers, signed_names, out);
  return out;
}

void AppendCanonicalHeaders(std::span<const Header> headers,
                            std::span<const std::string_view> signed_names, std::string& out) {
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
