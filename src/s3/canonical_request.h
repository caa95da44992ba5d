// The canonical request of AWS Signature Version 4, built the way Amazon S3 builds it.
//
// Both sides of a signature (our client when it signs, our server when it verifies) build the
// canonical request from the request *as it travels on the wire*, through the same functions, so
// a request signed by one verifies on the other whatever escaping the sender chose:
//  - the URI is the wire path percent-decoded, then re-encoded with AWS UriEncode, '/' kept.
//    S3 never normalizes a path: "a//b", "./" and "../" are parts of object keys and stay as sent.
//    A literal '+' in a path is a '+' (%2B), never a space.
//  - the query is split on '&', each name and value percent-decoded then UriEncode'd with '/'
//    encoded too, sorted by name then value; a parameter without a value becomes "name=".
//  - headers are matched by lowercase name; values are trimmed, inner runs of blanks collapse to
//    one space, and repeated headers are joined with ',' in wire order.
//
// Pure functions over values; thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trainload/status.h"

namespace trainload::s3 {

// An HTTP header as (name, value).
using Header = std::pair<std::string, std::string>;

// The canonical URI of `raw_path` (wire form, no query): "/" when empty. InvalidArgument when
// the path holds a malformed %-escape.
Result<std::string> CanonicalUri(std::string_view raw_path);
// CanonicalUri(raw_path) appended to `out`; on error `out` is left as it was.
Status AppendCanonicalUri(std::string_view raw_path, std::string& out);

// One query parameter, percent-decoded. `value` is empty both for "name" and for "name=".
struct QueryParam {
  std::string name;
  std::string value;
};

// Splits `raw_query` (wire form, without '?') on '&' (empty pieces are skipped) and each piece at
// its first '='; names and values are percent-decoded, '+' staying '+'. Wire order.
// InvalidArgument on a malformed %-escape.
Result<std::vector<QueryParam>> ParseQuery(std::string_view raw_query);

// The canonical query string of `params`, leaving out parameters named exactly `exclude` (for
// presigned URLs: "X-Amz-Signature"); nothing is left out when `exclude` is empty.
std::string CanonicalQuery(std::span<const QueryParam> params, std::string_view exclude = {});

// One query parameter as it travels on the wire: name and value still percent-encoded, views
// into the query string they came from.
struct RawQueryParam {
  std::string_view name;
  std::string_view value;  // empty both for "name" and for "name="
  bool has_value = false;  // whether the piece had a '='
};

// Splits `raw_query` as ParseQuery does (on '&', empty pieces skipped, each at its first '='),
// without decoding anything. Wire order.
std::vector<RawQueryParam> SplitQuery(std::string_view raw_query);

// CanonicalQuery(ParseQuery(query), exclude) from the split wire form, without decoding and
// re-encoding the names and values that are already canonical (the usual case: signers
// UriEncode). InvalidArgument on a malformed %-escape, as ParseQuery.
Result<std::string> CanonicalQueryFromRaw(std::span<const RawQueryParam> params,
                                          std::string_view exclude = {});

// A query parameter split from the wire together with what one look at each of its bytes found:
// whether the name / value holds a '%' (needs decoding), and whether it is already in UriEncode
// form ('/' encoded), the canonical form, which signers send and which is signed as it is.
struct ScannedQueryParam {
  RawQueryParam raw;
  bool name_escaped = false;
  bool value_escaped = false;
  bool name_canonical = false;
  bool value_canonical = false;
};

// Splits `raw_query` as SplitQuery does into `out` (cleared first; a buffer the caller may
// reuse), reading each byte of the query once.
void ScanQuery(std::string_view raw_query, std::vector<ScannedQueryParam>& out);

// CanonicalQueryFromRaw(the raw parameters, exclude) appended to `out`, which it does not
// otherwise read; components marked canonical are copied as they are. On error (the same as
// CanonicalQueryFromRaw's) `out` is left as it was. Allocates nothing when every component is
// canonical and there are at most 16 parameters.
Status AppendCanonicalQuery(std::span<const ScannedQueryParam> params, std::string_view exclude,
                            std::string& out);

// A header value as SigV4 signs it: leading and trailing blanks (space, tab) removed, each inner
// run of blanks replaced by one space.
std::string CanonicalHeaderValue(std::string_view value);
// CanonicalHeaderValue(value) appended to `out`.
void AppendCanonicalHeaderValue(std::string_view value, std::string& out);

// The canonical headers block: for each name of `signed_names` (lowercase, in the given order),
// "name:value\n", where value joins with ',' the canonical values of every header of `headers`
// with that name (compared case-insensitively), in wire order. A signed name with no header
// contributes "name:\n".
std::string CanonicalHeaders(std::span<const Header> headers,
                             std::span<const std::string_view> signed_names);
// CanonicalHeaders(headers, signed_names) appended to `out`.
void AppendCanonicalHeaders(std::span<const Header> headers,
                            std::span<const std::string_view> signed_names, std::string& out);

// METHOD\nURI\nQUERY\nHEADERS\nSIGNEDHEADERS\nPAYLOADHASH, where `canonical_headers` already
// ends in '\n' (which makes the blank line of the format).
std::string CanonicalRequest(std::string_view method, std::string_view canonical_uri,
                             std::string_view canonical_query, std::string_view canonical_headers,
                             std::string_view signed_headers, std::string_view payload_hash);

// ASCII case-insensitive equality, for header names.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace trainload::s3
