#include "s3/sigv4.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <utility>

#include "common/encoding.h"
#include "common/time_format.h"

namespace trainload::s3 {
namespace {

// "date/region/service/aws4_request", appended to `out`.
void AppendCredentialScope(const SigningScope& scope, std::string& out) {
  out += scope.date;
  out += '/';
  out += scope.region;
  out += '/';
  out += scope.service;
  out += "/aws4_request";
}

// Headers a client never signs: they are hop-by-hop, or rewritten by proxies and agents. The
// list is botocore's and the IAM SigV4 guide's together.
constexpr std::string_view kNeverSigned[] = {
    "authorization",
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
};

std::string ToLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsS3Service(std::string_view service) { return service == "s3" || service == "s3express"; }

const std::string* FindHeader(std::span<const Header> headers, std::string_view name) {
  for (const auto& [header_name, value] : headers) {
    if (EqualsIgnoreCase(header_name, name)) return &value;
  }
  return nullptr;
}

std::string_view SessionTokenHeader(const Credentials& credentials) {
  return credentials.s3express_session ? "x-amz-s3session-token" : "x-amz-security-token";
}

Result<SigningScope> ScopeOf(const SigningRequest& request) {
  if (!ParseAmzDate(request.amz_date)) {
    return Error(InvalidArgument("SigV4 signing: amz date '" + std::string(request.amz_date) +
                                 "' is not YYYYMMDDTHHMMSSZ"));
  }
  if (request.region.empty() || request.service.empty()) {
    return Error(InvalidArgument("SigV4 signing: region and service must be set"));
  }
  if (FindHeader(request.headers, "host") == nullptr) {
    return Error(InvalidArgument("SigV4 signing " + std::string(request.method) + " " +
                                 std::string(request.raw_path) + ": the Host header is missing"));
  }
  return SigningScope{std::string(request.amz_date.substr(0, 8)), std::string(request.region),
                      std::string(request.service)};
}

// Lowercase names of the headers to sign, sorted and without duplicates.
std::vector<std::string> NamesToSign(std::span<const Header> given, std::span<const Header> added) {
  std::vector<std::string> names;
  for (std::span<const Header> headers : {given, added}) {
    for (const auto& [name, value] : headers) {
      std::string lower = ToLower(name);
      if (std::find(std::begin(kNeverSigned), std::end(kNeverSigned), lower) !=
          std::end(kNeverSigned)) {
        continue;
      }
      names.push_back(std::move(lower));
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    if (!out.empty()) out += ';';
    out += name;
  }
  return out;
}

// Everything but the key derivation: canonical request, string to sign, signature.
Result<std::string> Signature(const SigningRequest& request, std::string_view raw_query,
                              std::span<const Header> headers,
                              const std::vector<std::string>& names,
                              std::string_view signed_headers, std::string_view payload_hash,
                              const SigningScope& scope, const Sha256Bytes& key) {
  TL_ASSIGN_OR_RETURN(std::string uri, CanonicalUri(request.raw_path));
  TL_ASSIGN_OR_RETURN(std::vector<QueryParam> params, ParseQuery(raw_query));
  std::vector<std::string_view> name_views(names.begin(), names.end());
  std::string canonical =
      CanonicalRequest(request.method, uri, CanonicalQuery(params),
                       CanonicalHeaders(headers, name_views), signed_headers, payload_hash);
  return HexSignature(key, StringToSign(request.amz_date, scope, canonical));
}

}  // namespace

std::string CredentialScope(const SigningScope& scope) {
  std::string out;
  out.reserve(scope.date.size() + scope.region.size() + scope.service.size() + 16);
  AppendCredentialScope(scope, out);
  return out;
}

Sha256Bytes DeriveSigningKey(std::string_view secret_access_key, const SigningScope& scope) {
  std::string seed = "AWS4";
  seed += secret_access_key;
  Sha256Bytes date_key = HmacSha256(seed, scope.date);
  Sha256Bytes region_key = HmacSha256(date_key, scope.region);
  Sha256Bytes service_key = HmacSha256(region_key, scope.service);
  return HmacSha256(service_key, "aws4_request");
}

namespace {

// Lowercase hex of `bytes` into `out` (2 characters a byte), straight from a table: no
// temporary string per request.
void HexTo(std::span<const uint8_t> bytes, char* out) {
  constexpr char kHex[] = "0123456789abcdef";
  for (uint8_t byte : bytes) {
    *out++ = kHex[byte >> 4];
    *out++ = kHex[byte & 0xf];
  }
}

}  // namespace

std::string StringToSign(std::string_view amz_date, const SigningScope& scope,
                         std::string_view canonical_request) {
  std::string out;
  AppendStringToSign(amz_date, scope, canonical_request, out);
  return out;
}

void AppendStringToSign(std::string_view amz_date, const SigningScope& scope,
                        std::string_view canonical_request, std::string& out) {
  // Hashed first: `canonical_request` may live in `out`, which the appends below can move.
  const Sha256Bytes hash = Sha256(canonical_request);
  out.reserve(out.size() + kSigV4Algorithm.size() + amz_date.size() + scope.date.size() +
              scope.region.size() + scope.service.size() + 96);
  out += kSigV4Algorithm;
  out += '\n';
  out += amz_date;
  out += '\n';
  AppendCredentialScope(scope, out);
  out += '\n';
  size_t at = out.size();
  out.resize(at + 2 * hash.size());
  HexTo(hash, out.data() + at);
}

std::string HexSignature(const Sha256Bytes& signing_key, std::string_view string_to_sign) {
  std::string out(64, '\0');
  HexSignatureTo(signing_key, string_to_sign, std::span<char, 64>(out.data(), 64));
  return out;
}

void HexSignatureTo(const Sha256Bytes& signing_key, std::string_view string_to_sign,
                    std::span<char, 64> out) {
  HexTo(HmacSha256(signing_key, string_to_sign), out.data());
}

std::string ChunkSignature(const Sha256Bytes& signing_key, std::string_view amz_date,
                           const SigningScope& scope, std::string_view previous_signature,
                           std::string_view chunk_sha256_hex) {
  std::string to_sign = "AWS4-HMAC-SHA256-PAYLOAD\n";
  to_sign += amz_date;
  to_sign += '\n';
  to_sign += CredentialScope(scope);
  to_sign += '\n';
  to_sign += previous_signature;
  to_sign += '\n';
  to_sign += kEmptySha256;
  to_sign += '\n';
  to_sign += chunk_sha256_hex;
  return HexSignature(signing_key, to_sign);
}

std::string TrailerSignature(const Sha256Bytes& signing_key, std::string_view amz_date,
                             const SigningScope& scope, std::string_view previous_signature,
                             std::string_view trailer_headers_canonical) {
  std::string to_sign = "AWS4-HMAC-SHA256-TRAILER\n";
  to_sign += amz_date;
  to_sign += '\n';
  to_sign += CredentialScope(scope);
  to_sign += '\n';
  to_sign += previous_signature;
  to_sign += '\n';
  to_sign += Sha256Hex(trailer_headers_canonical);
  return HexSignature(signing_key, to_sign);
}

bool SignaturesEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  // Accumulate every difference instead of returning at the first one, so the time taken does
  // not tell an attacker how long a prefix of a forged signature was right.
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

SigningKeyCache::SigningKeyCache(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

Sha256Bytes SigningKeyCache::Get(std::string_view secret_access_key, const SigningScope& scope) {
  // Length-prefixed fields, so that no two (secret, date, region, service) tuples collide.
  // Built on the stack when it fits (always, for real keys): a hit, the per-request case,
  // allocates nothing; the heap string is made only to insert a new entry.
  char stack_key[512];
  std::string heap_key;
  size_t length = 0;
  const std::string_view fields[] = {secret_access_key, scope.date, scope.region, scope.service};
  size_t needed = 0;
  for (std::string_view field : fields) needed += field.size() + 21;
  char* buffer = stack_key;
  if (needed > sizeof stack_key) {
    heap_key.resize(needed);
    buffer = heap_key.data();
  }
  for (std::string_view field : fields) {
    char* end = std::to_chars(buffer + length, buffer + needed, field.size()).ptr;
    length = static_cast<size_t>(end - buffer);
    buffer[length++] = ':';
    std::memcpy(buffer + length, field.data(), field.size());
    length += field.size();
  }
  const std::string_view lookup_key(buffer, length);
  {
    std::lock_guard lock(mu_);
    if (auto it = entries_.find(lookup_key); it != entries_.end()) {
      recency_.splice(recency_.begin(), recency_, it->second.recency);
      return it->second.key;
    }
  }
  std::string cache_key(lookup_key);
  // Derive without holding the lock; two threads missing together both derive the same key,
  // and the second insert below finds the first.
  Sha256Bytes key = DeriveSigningKey(secret_access_key, scope);
  std::lock_guard lock(mu_);
  if (entries_.contains(cache_key)) return key;
  if (entries_.size() >= capacity_) {
    entries_.erase(recency_.back());
    recency_.pop_back();
  }
  recency_.push_front(std::move(cache_key));
  entries_.emplace(recency_.front(), Entry{key, recency_.begin()});
  return key;
}

size_t SigningKeyCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

Result<SignedRequest> SignRequest(const SigningRequest& request, const Credentials& credentials) {
  TL_ASSIGN_OR_RETURN(SigningScope scope, ScopeOf(request));
  SignedRequest out;
  if (const std::string* date = FindHeader(request.headers, "x-amz-date")) {
    if (*date != request.amz_date) {
      return Error(InvalidArgument("SigV4 signing: x-amz-date header '" + *date +
                                   "' differs from the signing time '" +
                                   std::string(request.amz_date) + "'"));
    }
  } else {
    out.added_headers.emplace_back("x-amz-date", std::string(request.amz_date));
  }
  // S3 requires x-amz-content-sha256 on every SigV4 request; other services do not know it,
  // and the generic SigV4 test suite signs without it.
  if (IsS3Service(request.service)) {
    if (const std::string* hash = FindHeader(request.headers, "x-amz-content-sha256")) {
      if (*hash != request.payload_hash) {
        return Error(InvalidArgument("SigV4 signing: x-amz-content-sha256 header '" + *hash +
                                     "' differs from the payload hash '" +
                                     std::string(request.payload_hash) + "'"));
      }
    } else {
      out.added_headers.emplace_back("x-amz-content-sha256", std::string(request.payload_hash));
    }
  }
  if (!credentials.session_token.empty() &&
      FindHeader(request.headers, SessionTokenHeader(credentials)) == nullptr) {
    out.added_headers.emplace_back(std::string(SessionTokenHeader(credentials)),
                                   credentials.session_token);
  }

  std::vector<Header> all(request.headers.begin(), request.headers.end());
  all.insert(all.end(), out.added_headers.begin(), out.added_headers.end());
  std::vector<std::string> names = NamesToSign(request.headers, out.added_headers);
  std::string signed_headers = JoinNames(names);
  out.signing_key = DeriveSigningKey(credentials.secret_access_key, scope);
  TL_ASSIGN_OR_RETURN(out.signature,
                      Signature(request, request.raw_query, all, names, signed_headers,
                                request.payload_hash, scope, out.signing_key));
  out.authorization = std::string(kSigV4Algorithm) + " Credential=" + credentials.access_key_id +
                      "/" + CredentialScope(scope) + ", SignedHeaders=" + signed_headers +
                      ", Signature=" + out.signature;
  return out;
}

Result<std::string> Presign(const SigningRequest& request, const Credentials& credentials,
                            int64_t expires_seconds) {
  if (expires_seconds < 1 || expires_seconds > kMaxPresignExpiresSeconds) {
    return Error(InvalidArgument("SigV4 presign: expiry of " + std::to_string(expires_seconds) +
                                 " s is outside 1..604800 s"));
  }
  TL_ASSIGN_OR_RETURN(SigningScope scope, ScopeOf(request));
  std::vector<std::string> names = NamesToSign(request.headers, {});
  std::string signed_headers = JoinNames(names);

  // The authentication parameters go after the caller's own; the canonical query sorts them
  // anyway, and this order is the one AWS's examples print.
  std::string query(request.raw_query);
  auto append = [&query](std::string_view name, std::string_view value) {
    if (!query.empty()) query += '&';
    query += name;
    query += '=';
    query += UriEncode(value, /*encode_slash=*/true);
  };
  append("X-Amz-Algorithm", kSigV4Algorithm);
  append("X-Amz-Credential", credentials.access_key_id + "/" + CredentialScope(scope));
  append("X-Amz-Date", request.amz_date);
  append("X-Amz-Expires", std::to_string(expires_seconds));
  if (!credentials.session_token.empty()) {
    append(credentials.s3express_session ? "X-Amz-S3session-Token" : "X-Amz-Security-Token",
           credentials.session_token);
  }
  append("X-Amz-SignedHeaders", signed_headers);

  Sha256Bytes key = DeriveSigningKey(credentials.secret_access_key, scope);
  TL_ASSIGN_OR_RETURN(std::string signature,
                      Signature(request, query, request.headers, names, signed_headers,
                                kUnsignedPayload, scope, key));
  append("X-Amz-Signature", signature);
  return query;
}

}  // namespace trainload::s3
