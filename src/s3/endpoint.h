// Where S3 requests go: parsing an endpoint URL, the default Amazon S3 endpoint of a region, the
// choice between path-style and virtual-hosted-style addressing, and the request target (URL,
// Host header, wire path and query) of an operation on a bucket and key.
//
// What is sent is what is signed: the wire path is the AWS UriEncode of the key with '/' kept
// (so CanonicalUri(raw_path) == raw_path), and the wire query is the SigV4 canonical query
// (names and values UriEncoded, sorted), so a signer handed raw_path/raw_query computes exactly
// the canonical request S3 computes. Keys are never normalized: "a//b", "./x" and "../x" go out
// as written (the HTTP layer must not squash dot segments either: curl needs CURLOPT_PATH_AS_IS).
//
// Pure functions over values; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "s3/canonical_request.h"
#include "trainload/client_options.h"
#include "trainload/status.h"

namespace trainload::s3 {

// A parsed endpoint URL: scheme://host[:port][/base/path].
struct Endpoint {
  std::string scheme;  // "http" or "https"
  std::string host;    // lowercased; an IPv6 address without its brackets
  uint16_t port = 0;   // 0 when the URL gave none or gave the scheme's default port
  // "" or a path prefix every request path starts with ("/s3"): canonical UriEncode form,
  // starting with '/', no trailing '/'.
  std::string base_path;
  bool host_is_ip = false;  // an IPv4 or IPv6 literal

  // The port requests go to: `port`, else 80 for http and 443 for https.
  uint16_t effective_port() const;
  // Host and port as the Host header carries them: "[::1]:9000", "s3.amazonaws.com" (no port
  // when it is the scheme's default).
  std::string authority() const;
  // The normalized URL: scheme://authority base_path.
  std::string ToString() const;

  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// Parses an endpoint URL such as "http://127.0.0.1:9000", "https://[::1]:8443/s3/" or
// "https://s3.us-west-2.amazonaws.com". kInvalidArgument, with a message quoting `url` and saying
// what is wrong, for: no "scheme://" (with the fix spelled out), a scheme other than http/https,
// user info, a query or fragment, whitespace or control characters, an empty or malformed host,
// a bad IPv6 literal, a port outside 1..65535, or a malformed %-escape in the path.
Result<Endpoint> ParseEndpoint(std::string_view url);

// Amazon S3's regional endpoint for `region`: https://s3.REGION.amazonaws.com (amazonaws.com.cn
// for cn-* regions). kInvalidArgument when `region` is empty or not lowercase letters, digits and
// '-' (it goes into a host name).
Result<Endpoint> DefaultAwsEndpoint(std::string_view region);

// Whether the endpoint is Amazon S3's (a host under amazonaws.com or amazonaws.com.cn).
bool IsAwsEndpoint(const Endpoint& endpoint);

// Whether `bucket` can be the first label(s) of a host name: 3..63 characters of lowercase
// letters, digits, '-' and (only when `allow_dots`) '.', each dot-separated label starting and
// ending with a letter or digit, and not shaped like an IPv4 address.
bool IsDnsCompatibleBucket(std::string_view bucket, bool allow_dots);

// The addressing a request for `bucket` uses (never kAuto):
//  - kAuto: virtual-hosted only for an Amazon S3 endpoint over https with a DNS-compatible
//    bucket name without dots (dots break the TLS wildcard certificate); path style otherwise:
//    custom endpoints (MinIO, trainload server), IP and localhost hosts, legacy names.
//  - kPath: path style.
//  - kVirtualHosted: virtual-hosted; kInvalidArgument when the endpoint host is an IP literal
//    or "localhost", or the bucket is not DNS-compatible (dots allowed).
// An empty bucket (ListBuckets) is always kPath.
Result<Addressing> ChooseAddressing(const Endpoint& endpoint, std::string_view bucket,
                                    Addressing requested);

// Where one request goes, as it travels on the wire.
struct RequestTarget {
  std::string url;          // scheme://host_header raw_path [? raw_query]
  std::string host_header;  // value of the Host header (also the signed one)
  std::string raw_path;     // percent-encoded, starts with '/'
  std::string raw_query;    // without '?'; "" when there are no parameters

  friend bool operator==(const RequestTarget&, const RequestTarget&) = default;
};

// The target of an operation on `bucket` (empty: the service, e.g. ListBuckets) and `key`
// (empty: the bucket itself) with query `params` (decoded; a parameter without a value, such as
// "uploads", has an empty value and goes out as "uploads="). `addressing` is resolved through
// ChooseAddressing. Path style: endpoint/base/bucket/key ("/bucket" for the bucket itself);
// virtual-hosted: bucket.endpoint/base/key ("/" for the bucket itself). kInvalidArgument for a
// key without a bucket, a bucket containing '/', and as ChooseAddressing.
Result<RequestTarget> BuildRequestTarget(const Endpoint& endpoint, Addressing addressing,
                                         std::string_view bucket, std::string_view key,
                                         std::span<const QueryParam> params = {});

}  // namespace trainload::s3
