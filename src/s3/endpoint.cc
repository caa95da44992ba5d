#include "s3/endpoint.h"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>

#include "common/encoding.h"

namespace trainload::s3 {
namespace {

char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = LowerAscii(c);
  return out;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || IsDigit(c); }

bool IsIpv4Literal(std::string_view text) {
  in_addr addr{};
  return ::inet_pton(AF_INET, std::string(text).c_str(), &addr) == 1;
}

bool IsIpv6Literal(std::string_view text) {
  in6_addr addr{};
  return ::inet_pton(AF_INET6, std::string(text).c_str(), &addr) == 1;
}

bool IsLocalhost(std::string_view host) {
  return host == "localhost" || host.ends_with(".localhost");
}

Status BadUrl(std::string_view url, std::string_view why) {
  return InvalidArgument("endpoint URL '" + std::string(url) + "': " + std::string(why));
}

// A DNS host name: labels of letters, digits, '-' and '_' (container and compose service names
// use '_'), none empty. Case was already folded.
bool IsHostName(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  size_t label = 0;
  for (char c : host) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    if (!IsLowerAlnum(c) && c != '-' && c != '_') return false;
    if (++label > 63) return false;
  }
  return label != 0;
}

}  // namespace

uint16_t Endpoint::effective_port() const {
  if (port != 0) return port;
  return scheme == "http" ? 80 : 443;
}

std::string Endpoint::authority() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != 0) out += ":" + std::to_string(port);
  return out;
}

std::string Endpoint::ToString() const { return scheme + "://" + authority() + base_path; }

Result<Endpoint> ParseEndpoint(std::string_view url) {
  if (url.empty()) return Error(InvalidArgument("endpoint URL is empty"));
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return Error(BadUrl(url, "contains whitespace or a control character"));
    }
  }
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return Error(BadUrl(url, "has no scheme; write http://" + std::string(url) + " or https://" +
                                 std::string(url)));
  }
  Endpoint endpoint;
  endpoint.scheme = Lower(url.substr(0, scheme_end));
  if (endpoint.scheme != "http" && endpoint.scheme != "https") {
    return Error(BadUrl(
        url, "scheme '" + std::string(url.substr(0, scheme_end)) + "' is not http or https"));
  }
  std::string_view rest = url.substr(scheme_end + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return Error(BadUrl(url, "must not have a query or fragment"));
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    return Error(BadUrl(url, "must not carry user info; give credentials separately"));
  }

  std::string_view host;
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Error(BadUrl(url, "IPv6 host is missing ']'"));
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Error(BadUrl(url, "unexpected text after ']'"));
      has_port = true;
      port_text = after.substr(1);
    }
    if (!IsIpv6Literal(host)) {
      return Error(BadUrl(url, "'" + std::string(host) + "' is not an IPv6 address"));
    }
    endpoint.host_is_ip = true;
  } else {
    size_t colon = authority.find(':');
    if (colon != std::string_view::npos &&
        authority.find(':', colon + 1) != std::string_view::npos) {
      return Error(BadUrl(url, "an IPv6 host must be written in brackets: [addr]:port"));
    }
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
  }
  if (host.empty()) return Error(BadUrl(url, "has no host"));
  endpoint.host = Lower(host);
  if (!endpoint.host_is_ip) {
    if (!IsHostName(endpoint.host)) {
      return Error(BadUrl(url, "'" + std::string(host) + "' is not a valid host name"));
    }
    endpoint.host_is_ip = IsIpv4Literal(endpoint.host);
  }

  if (has_port) {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    bool all_digits =
        !port_text.empty() && port_text.find_first_not_of("0123456789") == std::string_view::npos;
    if (!all_digits || ec != std::errc() || ptr != port_text.data() + port_text.size() ||
        value < 1 || value > 65535) {
      return Error(BadUrl(url, "port '" + std::string(port_text) + "' is not in 1..65535"));
    }
    // The default port is dropped so that the Host header (and so the signature) is the same
    // whether or not the user wrote it.
    if (value != (endpoint.scheme == "http" ? 80u : 443u))
      endpoint.port = static_cast<uint16_t>(value);
  }

  std::optional<std::string> decoded = PercentDecode(path, /*plus_as_space=*/false);
  if (!decoded) return Error(BadUrl(url, "path has a malformed %-escape"));
  // Stored in UriEncode form so that base_path + encoded key is already canonical.
  std::string base = UriEncode(*decoded, /*encode_slash=*/false);
  while (!base.empty() && base.back() == '/') base.pop_back();
  endpoint.base_path = std::move(base);
  return endpoint;
}

Result<Endpoint> DefaultAwsEndpoint(std::string_view region) {
  bool valid =
      !region.empty() && region.size() <= 63 && region.front() != '-' && region.back() != '-';
  for (char c : region) valid = valid && (IsLowerAlnum(c) || c == '-');
  if (!valid) {
    return Error(InvalidArgument("region '" + std::string(region) +
                                 "' is not a valid AWS region name (lowercase letters, digits, "
                                 "'-'), so it has no Amazon S3 endpoint"));
  }
  Endpoint endpoint;
  endpoint.scheme = "https";
  endpoint.host = "s3." + std::string(region) + ".amazonaws.com";
  if (region.starts_with("cn-")) endpoint.host += ".cn";
  return endpoint;
}

bool IsAwsEndpoint(const Endpoint& endpoint) {
  const std::string& host = endpoint.host;
  return !endpoint.host_is_ip &&
         (host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn"));
}

bool IsDnsCompatibleBucket(std::string_view bucket, bool allow_dots) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  char previous = '.';  // as if a label boundary came before the first character
  for (char c : bucket) {
    if (c == '.') {
      if (!allow_dots || !IsLowerAlnum(previous)) return false;
    } else if (c == '-') {
      if (previous == '.') return false;
    } else if (!IsLowerAlnum(c)) {
      return false;
    }
    previous = c;
  }
  if (!IsLowerAlnum(previous)) return false;
  return !IsIpv4Literal(bucket);
}

Result<Addressing> ChooseAddressing(const Endpoint& endpoint, std::string_view bucket,
                                    Addressing requested) {
  if (bucket.empty() || requested == Addressing::kPath) return Addressing::kPath;
  if (requested == Addressing::kAuto) {
    // Only Amazon S3 is known to serve every bucket as a host name; other servers (MinIO,
    // trainload) need wildcard DNS for it. Dotted names over https fail the *.s3 certificate.
    bool virtual_hosted = IsAwsEndpoint(endpoint) && endpoint.scheme == "https" &&
                          IsDnsCompatibleBucket(bucket, /*allow_dots=*/false);
    return virtual_hosted ? Addressing::kVirtualHosted : Addressing::kPath;
  }
  if (endpoint.host_is_ip || IsLocalhost(endpoint.host)) {
    return Error(InvalidArgument("virtual-hosted addressing of bucket '" + std::string(bucket) +
                                 "' needs a DNS name endpoint, not " + endpoint.authority() +
                                 "; use path-style addressing"));
  }
  if (!IsDnsCompatibleBucket(bucket, /*allow_dots=*/true)) {
    return Error(InvalidArgument("bucket '" + std::string(bucket) +
                                 "' is not a DNS-compatible name, so it cannot be addressed "
                                 "virtual-hosted style; use path-style addressing"));
  }
  return Addressing::kVirtualHosted;
}

Result<RequestTarget> BuildRequestTarget(const Endpoint& endpoint, Addressing addressing,
                                         std::string_view bucket, std::string_view key,
                                         std::span<const QueryParam> params) {
  if (bucket.empty() && !key.empty()) {
    return Error(InvalidArgument("object key '" + std::string(key) + "' given without a bucket"));
  }
  if (bucket.find('/') != std::string_view::npos) {
    return Error(InvalidArgument("bucket name '" + std::string(bucket) + "' contains '/'"));
  }
  TL_ASSIGN_OR_RETURN(Addressing chosen, ChooseAddressing(endpoint, bucket, addressing));
  RequestTarget target;
  target.raw_path = endpoint.base_path;
  if (chosen == Addressing::kVirtualHosted) {
    target.host_header = std::string(bucket) + "." + endpoint.authority();
  } else {
    target.host_header = endpoint.authority();
    if (!bucket.empty()) target.raw_path += "/" + UriEncode(bucket, /*encode_slash=*/true);
  }
  // The key is encoded byte for byte ('/' kept, everything outside A-Z a-z 0-9 - . _ ~ as %XX):
  // exactly the canonical URI SigV4 signs, with "//", "." and ".." segments left as they are.
  if (!key.empty()) {
    target.raw_path += "/" + UriEncode(key, /*encode_slash=*/false);
  } else if (chosen == Addressing::kVirtualHosted || bucket.empty()) {
    target.raw_path += "/";
  }
  target.raw_query = CanonicalQuery(params);
  target.url = endpoint.scheme + "://" + target.host_header + target.raw_path;
  if (!target.raw_query.empty()) target.url += "?" + target.raw_query;
  return target;
}

}  // namespace trainload::s3
