#include "s3/sigv4_verifier.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <initializer_list>
#include <optional>
#include <vector>

#include "common/encoding.h"
#include "common/time_format.h"
#include "s3/error_code.h"

namespace trainload::s3 {
namespace {

constexpr std::string_view kMalformedHeader = "The authorization header is malformed; ";
constexpr std::string_view kMalformedCredentialQuery =
    "Error parsing the X-Amz-Credential parameter; ";
constexpr std::string_view kPresignRequiredParams =
    "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
    "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.";
// S3's wording when a region or bucket does not take Signature Version 2 (every region opened
// after January 2014 answers SigV2 this way). trainload never implemented SigV2: it is
// deprecated, signs neither the payload nor most headers, and no client we support needs it.
constexpr std::string_view kSigV2Unsupported =
    "The authorization mechanism you have provided is not supported. Please use "
    "AWS4-HMAC-SHA256.";
constexpr std::string_view kOneAuthMechanism =
    "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query "
    "string parameter or the Authorization header should be specified";
constexpr std::string_view kBadPayloadHash =
    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER "
    "or a valid sha256 value.";
constexpr std::string_view kPayloadTokens[] = {
    "UNSIGNED-PAYLOAD",
    "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
};

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::optional<std::string_view> FindHeader(const RequestView& request, std::string_view name) {
  for (const auto& [header_name, value] : request.headers) {
    if (header_name == name) return Trim(value);
  }
  return std::nullopt;
}

// Hex digits of either case, as a table: a payload hash is 64 of them on every request.
constexpr std::array<bool, 256> kHexDigits = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) {
    table[c] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }
  return table;
}();

bool IsHexDigit(char c) { return kHexDigits[static_cast<unsigned char>(c)]; }

int HexDigitValue(char c) {
  if (c <= '9') return c - '0';
  return (c | 0x20) - 'a' + 10;
}

// Percent-decodes `text` ('+' stays '+') onto the end of `out`, as PercentDecode does; nullopt,
// with `out` unchanged, on a malformed escape. The caller reserves room for all of `text`, so
// that views into `out` stay valid.
std::optional<std::string_view> DecodeOnto(std::string_view text, std::string& out) {
  const size_t begin = out.size();
  out.resize(begin + text.size());  // decoded text is never longer
  char* to = out.data() + begin;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size() || !IsHexDigit(text[i + 1]) || !IsHexDigit(text[i + 2])) {
        out.resize(begin);
        return std::nullopt;
      }
      c = static_cast<char>(HexDigitValue(text[i + 1]) << 4 | HexDigitValue(text[i + 2]));
      i += 2;
    }
    *to++ = c;
  }
  out.resize(static_cast<size_t>(to - out.data()));
  return std::string_view(out).substr(begin);
}

// The query parsed once per request, for classifying it, for the authentication parameters and
// for the canonical query: the wire pieces, and each piece percent-decoded ('+' stays '+'). A
// component with no escape is its own decoded form and is viewed in place; the others are
// decoded into `storage`, reserved up front for the whole query so that views into it never
// move. The three buffers are the caller's, reused from request to request.
class DecodedQuery {
 public:
  struct Param {
    std::string_view name;
    std::string_view value;
  };

  DecodedQuery(std::vector<ScannedQueryParam>& raw, std::vector<Param>& decoded,
               std::string& storage)
      : raw_(raw), decoded_(decoded), storage_(storage) {}
  DecodedQuery(const DecodedQuery&) = delete;
  DecodedQuery& operator=(const DecodedQuery&) = delete;

  // Splits `raw_query` (ScanQuery: one look at each byte) and decodes the pieces holding an
  // escape. A malformed %-escape does not stop the parse: the piece is kept in its wire form (as
  // ClassifyAuth compares it) and the first such error, in ParseQuery's words
  // (InvalidArgument), is returned at the end.
  Status Parse(std::string_view raw_query) {
    ScanQuery(raw_query, raw_);
    decoded_.clear();
    storage_.clear();
    storage_.reserve(raw_query.size());
    Status first_error;
    for (const ScannedQueryParam& scanned : raw_) {
      const RawQueryParam& raw = scanned.raw;
      Param param{raw.name, raw.value};
      if (scanned.name_escaped) {
        if (std::optional<std::string_view> name = DecodeOnto(raw.name, storage_)) {
          param.name = *name;
        } else if (first_error.ok()) {
          first_error = InvalidArgument("malformed percent-encoding in query parameter name '" +
                                        std::string(raw.name) + "'");
        }
      }
      if (scanned.value_escaped) {
        if (std::optional<std::string_view> value = DecodeOnto(raw.value, storage_)) {
          param.value = *value;
        } else if (first_error.ok()) {
          first_error =
              InvalidArgument("malformed percent-encoding in query value of '" +
                              std::string(param.name) + "' '" + std::string(raw.value) + "'");
        }
      }
      decoded_.push_back(param);
    }
    return first_error;
  }

  const Param* Find(std::string_view name) const {
    for (const Param& param : decoded_) {
      if (param.name == name) return &param;
    }
    return nullptr;
  }
  bool HasAny(std::initializer_list<std::string_view> names) const {
    for (std::string_view name : names) {
      if (Find(name) != nullptr) return true;
    }
    return false;
  }
  std::span<const ScannedQueryParam> raw() const { return raw_; }

 private:
  std::vector<ScannedQueryParam>& raw_;
  std::vector<Param>& decoded_;
  std::string& storage_;
};

using Param = DecodedQuery::Param;

// Buffers one VerifyRequest call reuses from the calls before it on the same thread, so that a
// verification allocates next to nothing beyond its result: the query's pieces, their decoded
// text, the signed header names, and `text`, which holds the canonical request followed by the
// string to sign. A call leases them (ScratchLease) for its whole run; a nested call on the same
// thread (a SecretLookup that itself verifies a request) finds them leased and uses fresh ones.
// Buffers that grew past kMaxKeptBytes for an unusual request are released afterwards rather than
// held for the thread's lifetime.
struct Scratch {
  std::vector<ScannedQueryParam> raw_params;
  std::vector<Param> params;
  std::string decoded;
  std::vector<std::string_view> signed_names;
  std::string text;
  bool leased = false;

  static constexpr size_t kMaxKeptBytes = 64 * 1024;

  void Release() {
    leased = false;
    if (text.capacity() > kMaxKeptBytes) std::string().swap(text);
    if (decoded.capacity() > kMaxKeptBytes) std::string().swap(decoded);
    if (raw_params.capacity() * sizeof(ScannedQueryParam) > kMaxKeptBytes) {
      std::vector<ScannedQueryParam>().swap(raw_params);
    }
    if (params.capacity() * sizeof(Param) > kMaxKeptBytes) std::vector<Param>().swap(params);
    if (signed_names.capacity() * sizeof(std::string_view) > kMaxKeptBytes) {
      std::vector<std::string_view>().swap(signed_names);
    }
  }
};

class ScratchLease {
 public:
  ScratchLease() {
    thread_local Scratch shared;
    if (shared.leased) {
      scratch_ = &own_.emplace();
    } else {
      shared.leased = true;
      scratch_ = &shared;
    }
  }
  ~ScratchLease() {
    if (!own_) scratch_->Release();
  }
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;

  Scratch& operator*() const { return *scratch_; }

 private:
  Scratch* scratch_ = nullptr;
  std::optional<Scratch> own_;
};

bool IsDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsValidPayloadHash(std::string_view value) {
  if (std::find(std::begin(kPayloadTokens), std::end(kPayloadTokens), value) !=
      std::end(kPayloadTokens)) {
    return true;
  }
  // Checked in place: HexDecode would build the 32 bytes only to drop them.
  return value.size() == 64 && std::all_of(value.begin(), value.end(), IsHexDigit);
}

struct Credential {
  std::string access_key_id;
  SigningScope scope;
};

// Parses "AKID/YYYYMMDD/region/service/aws4_request". On failure returns the problem in S3's
// words, to follow "The authorization header is malformed; " or its query counterpart.
std::expected<Credential, std::string> ParseCredential(std::string_view text,
                                                       const VerifyOptions& options) {
  std::string_view parts[5];
  size_t count = 0;
  for (size_t start = 0;; ++count) {
    size_t slash = text.find('/', start);
    if (count < 5) parts[count] = text.substr(start, slash - start);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  ++count;
  if (count != 5 || parts[0].empty() || parts[1].size() != 8 || !IsDigits(parts[1]) ||
      parts[2].empty()) {
    return std::unexpected(
        "the Credential is mal-formed; expecting "
        "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
  }
  if (parts[4] != "aws4_request") {
    return std::unexpected("incorrect terminal \"" + std::string(parts[4]) +
                           "\". This endpoint uses \"aws4_request\".");
  }
  if (parts[3] != "s3" && parts[3] != "s3express") {
    return std::unexpected("incorrect service \"" + std::string(parts[3]) +
                           "\". This endpoint belongs to \"s3\".");
  }
  if (!options.region.empty() && parts[2] != options.region) {
    return std::unexpected("the region '" + std::string(parts[2]) + "' is wrong; expecting '" +
                           options.region + "'");
  }
  return Credential{
      std::string(parts[0]),
      SigningScope{std::string(parts[1]), std::string(parts[2]), std::string(parts[3])}};
}

// Splits "a;b;c" into `names` (cleared first); false when empty or when a name is empty.
bool SplitSignedHeaders(std::string_view text, std::vector<std::string_view>& names) {
  names.clear();
  size_t start = 0;
  for (size_t at = 0; at <= text.size(); ++at) {
    if (at < text.size() && text[at] != ';') continue;
    if (at == start) return false;
    names.push_back(text.substr(start, at - start));
    start = at + 1;
  }
  return true;
}

// S3 refuses a request carrying Host or an x-amz-* header outside the signature: such a header
// could be added or changed in flight (x-amz-acl, x-amz-copy-source, …). x-amz-content-sha256
// is exempt: S3 documents signing it as optional because the payload is checked against it.
Status CheckAllSigned(const RequestView& request, std::span<const std::string_view> signed_names) {
  std::vector<std::string_view> unsigned_names;
  for (const auto& [name, value] : request.headers) {
    bool must_sign =
        name == "host" || (name.starts_with("x-amz-") && name != "x-amz-content-sha256");
    if (!must_sign) continue;
    bool is_signed = std::any_of(signed_names.begin(), signed_names.end(),
                                 [&](std::string_view s) { return EqualsIgnoreCase(s, name); });
    if (is_signed ||
        std::find(unsigned_names.begin(), unsigned_names.end(), name) != unsigned_names.end()) {
      continue;
    }
    unsigned_names.push_back(name);
  }
  if (unsigned_names.empty()) return Status::Ok();
  std::string message = "There were headers present in the request which were not signed:";
  for (std::string_view name : unsigned_names) {
    message += ' ';
    message += name;
  }
  return MakeError(ErrorCode::kAccessDenied, std::move(message));
}

// Canonicalization errors carry no S3 code. S3 answers an unparsable URI with 400 InvalidURI,
// which error_code.h lacks; InvalidArgument has the same status.
Status AsS3Error(const Status& status) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "Couldn't parse the specified URI: " + status.message());
}

// `text` on one line for an error message ("\n" for newlines), with the values of session token
// headers left out: the message may be logged, and a token is a credential.
std::string ForMessage(std::string_view text) {
  std::string out;
  for (size_t start = 0;;) {
    size_t end = text.find('\n', start);
    std::string_view line = text.substr(start, end - start);
    for (std::string_view token : {"x-amz-security-token:", "x-amz-s3session-token:"}) {
      if (line.starts_with(token)) {
        out += token;
        line = "<redacted>";
      }
    }
    out += line;
    if (end == std::string_view::npos) break;
    out += "\\n";
    start = end + 1;
  }
  return out;
}

// What both kinds of authentication have parsed before the signature is recomputed.
struct Claim {
  VerifiedRequest verified;  // everything but signing_key
  std::string_view signed_headers;
  std::span<const std::string_view> signed_names;
  std::string_view provided_signature;
};

Result<VerifiedRequest> CheckSignature(const RequestView& request, const DecodedQuery& params,
                                       Claim& claim, const SecretLookup& lookup,
                                       SigningKeyCache& keys, std::string& text) {
  TL_RETURN_IF_ERROR(CheckAllSigned(request, claim.signed_names));
  TL_ASSIGN_OR_RETURN(std::string secret, lookup(claim.verified.access_key_id));
  VerifiedRequest& verified = claim.verified;

  // The canonical request (the layout of CanonicalRequest()) and then the string to sign, built
  // in one buffer reused across requests instead of a string per part.
  text.clear();
  text.reserve(1024);
  text += request.method;
  text += '\n';
  if (Status uri = AppendCanonicalUri(request.raw_path, text); !uri.ok()) {
    return Error(AsS3Error(uri));
  }
  text += '\n';
  if (Status query = AppendCanonicalQuery(
          params.raw(), verified.presigned ? "X-Amz-Signature" : std::string_view(), text);
      !query.ok()) {
    return Error(AsS3Error(query));
  }
  text += '\n';
  AppendCanonicalHeaders(request.headers, claim.signed_names, text);
  text += '\n';
  text += claim.signed_headers;
  text += '\n';
  text += verified.payload_hash;
  const size_t canonical_size = text.size();
  AppendStringToSign(verified.amz_date, verified.scope, text, text);
  const std::string_view canonical = std::string_view(text).substr(0, canonical_size);
  const std::string_view string_to_sign = std::string_view(text).substr(canonical_size);

  verified.signing_key = keys.Get(secret, verified.scope);
  char expected[64];
  HexSignatureTo(verified.signing_key, string_to_sign, expected);
  if (!SignaturesEqual(std::string_view(expected, sizeof expected), claim.provided_signature)) {
    // S3 returns the canonical request and string to sign with this error, so that a client
    // author can see which part differs; they hold no secret.
    return Error(MakeError(ErrorCode::kSignatureDoesNotMatch,
                           std::string(Info(ErrorCode::kSignatureDoesNotMatch).default_message) +
                               " Canonical request: \"" + ForMessage(canonical) +
                               "\"; string to sign: \"" + ForMessage(string_to_sign) + "\""));
  }
  verified.signature = std::string(claim.provided_signature);
  return std::move(verified);
}

Result<VerifiedRequest> VerifyHeaderAuth(const RequestView& request, std::string_view authorization,
                                         const DecodedQuery& params, const SecretLookup& lookup,
                                         int64_t now_seconds, const VerifyOptions& options,
                                         SigningKeyCache& keys, Scratch& scratch) {
  for (std::string_view name : {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"}) {
    if (params.Find(name) != nullptr) {
      return Error(MakeError(ErrorCode::kInvalidArgument, std::string(kOneAuthMechanism)));
    }
  }
  if (authorization.starts_with("AWS ")) {
    return Error(MakeError(ErrorCode::kInvalidRequest, std::string(kSigV2Unsupported)));
  }
  if (authorization.starts_with("AWS4-ECDSA-P256-SHA256")) {
    return Error(MakeError(ErrorCode::kNotImplemented,
                           "Signature Version 4A (AWS4-ECDSA-P256-SHA256) is not supported by "
                           "this server; sign with AWS4-HMAC-SHA256."));
  }
  if (!authorization.starts_with(kSigV4Algorithm) ||
      (authorization.size() > kSigV4Algorithm.size() &&
       authorization[kSigV4Algorithm.size()] != ' ')) {
    return Error(MakeError(ErrorCode::kInvalidArgument, "Unsupported Authorization Type"));
  }

  // "Credential=…, SignedHeaders=…, Signature=…": comma separated, optional blanks after commas.
  std::optional<std::string_view> credential, signed_headers, signature;
  std::string_view rest = authorization.substr(kSigV4Algorithm.size());
  for (size_t start = 0;;) {
    size_t comma = rest.find(',', start);
    std::string_view component = Trim(rest.substr(start, comma - start));
    size_t eq = component.find('=');
    std::string_view key = component.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? "" : component.substr(eq + 1);
    std::optional<std::string_view>* slot = key == "Credential"      ? &credential
                                            : key == "SignedHeaders" ? &signed_headers
                                            : key == "Signature"     ? &signature
                                                                     : nullptr;
    if (slot == nullptr || eq == std::string_view::npos || slot->has_value()) {
      return Error(MakeError(ErrorCode::kAuthorizationHeaderMalformed,
                             std::string(kMalformedHeader) + "the authorization component \"" +
                                 std::string(component) + "\" is malformed."));
    }
    *slot = value;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (!credential || !signed_headers || !signature) {
    return Error(MakeError(ErrorCode::kAuthorizationHeaderMalformed,
                           std::string(kMalformedHeader) +
                               "the authorization header requires three components: Credential, "
                               "SignedHeaders, and Signature."));
  }
  auto parsed = ParseCredential(*credential, options);
  if (!parsed) {
    return Error(MakeError(ErrorCode::kAuthorizationHeaderMalformed,
                           std::string(kMalformedHeader) + parsed.error()));
  }
  if (!SplitSignedHeaders(*signed_headers, scratch.signed_names)) {
    return Error(MakeError(ErrorCode::kAuthorizationHeaderMalformed,
                           std::string(kMalformedHeader) + "the SignedHeaders \"" +
                               std::string(*signed_headers) + "\" are malformed."));
  }

  Claim claim;
  VerifiedRequest& verified = claim.verified;
  verified.access_key_id = std::move(parsed->access_key_id);
  verified.scope = std::move(parsed->scope);

  // x-amz-date wins over Date. Date may be in the SigV4 form or an HTTP date; the string to
  // sign always carries the SigV4 form of the time.
  std::optional<int64_t> time;
  if (std::optional<std::string_view> amz_date = FindHeader(request, "x-amz-date")) {
    time = ParseAmzDate(*amz_date);
    if (time) verified.amz_date = std::string(*amz_date);
  } else if (std::optional<std::string_view> date = FindHeader(request, "date")) {
    time = ParseAmzDate(*date);
    if (time) {
      verified.amz_date = std::string(*date);
    } else if ((time = ParseHttpDate(*date))) {
      verified.amz_date = FormatAmzDate(*time);
    }
  }
  if (!time) {
    return Error(MakeError(ErrorCode::kAccessDenied,
                           "AWS authentication requires a valid Date or x-amz-date header"));
  }
  verified.request_time = *time;
  if (verified.scope.date != std::string_view(verified.amz_date).substr(0, 8)) {
    return Error(MakeError(ErrorCode::kAuthorizationHeaderMalformed,
                           std::string(kMalformedHeader) + "Invalid credential date \"" +
                               verified.scope.date + "\". This date is not the same as " +
                               "X-Amz-Date: \"" + verified.amz_date.substr(0, 8) + "\"."));
  }
  int64_t skew = now_seconds - *time;
  if (skew > options.max_skew_seconds || -skew > options.max_skew_seconds) {
    return Error(MakeError(
        ErrorCode::kRequestTimeTooSkewed,
        "The difference between the request time and the current time is too large. Request "
        "time " +
            verified.amz_date + ", server time " + FormatAmzDate(now_seconds) +
            ", maximum allowed skew " + std::to_string(options.max_skew_seconds) + " s."));
  }

  std::optional<std::string_view> payload_hash = FindHeader(request, "x-amz-content-sha256");
  if (!payload_hash) {
    return Error(MakeError(ErrorCode::kInvalidRequest,
                           "Missing required header for this request: x-amz-content-sha256"));
  }
  if (!IsValidPayloadHash(*payload_hash)) {
    return Error(MakeError(ErrorCode::kInvalidArgument, std::string(kBadPayloadHash)));
  }
  verified.payload_hash = std::string(*payload_hash);
  if (auto token = FindHeader(request, "x-amz-security-token")) {
    verified.session_token = std::string(*token);
  } else if (auto s3express_token = FindHeader(request, "x-amz-s3session-token")) {
    verified.session_token = std::string(*s3express_token);
  }

  claim.signed_headers = *signed_headers;
  claim.signed_names = scratch.signed_names;
  claim.provided_signature = *signature;
  return CheckSignature(request, params, claim, lookup, keys, scratch.text);
}

Result<VerifiedRequest> VerifyPresigned(const RequestView& request,
                                        const DecodedQuery& params,
                                        const SecretLookup& lookup, int64_t now_seconds,
                                        const VerifyOptions& options, SigningKeyCache& keys,
                                        Scratch& scratch) {
  auto query_error = [](std::string message) {
    return Error(MakeError(ErrorCode::kAuthorizationQueryParametersError, std::move(message)));
  };
  if (params.Find("AWSAccessKeyId") != nullptr ||
      (params.Find("Signature") != nullptr &&
       params.Find("X-Amz-Signature") == nullptr)) {
    return Error(MakeError(ErrorCode::kInvalidRequest, std::string(kSigV2Unsupported)));
  }
  const Param* algorithm = params.Find("X-Amz-Algorithm");
  const Param* credential = params.Find("X-Amz-Credential");
  const Param* signature = params.Find("X-Amz-Signature");
  const Param* date = params.Find("X-Amz-Date");
  const Param* signed_headers = params.Find("X-Amz-SignedHeaders");
  const Param* expires = params.Find("X-Amz-Expires");
  if (!algorithm || !credential || !signature || !date || !signed_headers || !expires) {
    return query_error(std::string(kPresignRequiredParams));
  }
  if (algorithm->value != kSigV4Algorithm) {
    return query_error("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
  }
  std::optional<int64_t> time = ParseAmzDate(date->value);
  if (!time) {
    return query_error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  }
  int64_t expires_seconds = 0;
  std::string_view expires_text = expires->value;
  auto [end, ec] = std::from_chars(expires_text.data(), expires_text.data() + expires_text.size(),
                                   expires_seconds);
  if (ec != std::errc() || end != expires_text.data() + expires_text.size()) {
    return query_error("X-Amz-Expires should be a number");
  }
  if (expires_seconds < 0) return query_error("X-Amz-Expires must be non-negative");
  if (expires_seconds > kMaxPresignExpiresSeconds) {
    return query_error("X-Amz-Expires must be less than a week (in seconds) that is; 604800");
  }
  auto parsed = ParseCredential(credential->value, options);
  if (!parsed) return query_error(std::string(kMalformedCredentialQuery) + parsed.error());
  if (parsed->scope.date != std::string_view(date->value).substr(0, 8)) {
    return query_error("Invalid credential date \"" + parsed->scope.date +
                       "\". This date is not the same as X-Amz-Date: \"" +
                       std::string(date->value.substr(0, 8)) + "\".");
  }
  if (!SplitSignedHeaders(signed_headers->value, scratch.signed_names)) {
    return query_error("X-Amz-SignedHeaders \"" + std::string(signed_headers->value) +
                       "\" is malformed.");
  }
  if (*time - now_seconds > options.max_skew_seconds) {
    return Error(MakeError(ErrorCode::kAccessDenied, "Request is not valid yet"));
  }
  // Valid for `expires_seconds` whole seconds from X-Amz-Date: X-Amz-Expires=0 never is.
  if (now_seconds - *time >= expires_seconds) {
    return Error(MakeError(ErrorCode::kAccessDenied,
                           "Request has expired: X-Amz-Date " + std::string(date->value) +
                               " + X-Amz-Expires " + std::string(expires->value) +
                               " s is before the server time " +
                               FormatAmzDate(now_seconds)));
  }

  Claim claim;
  VerifiedRequest& verified = claim.verified;
  verified.presigned = true;
  verified.access_key_id = std::move(parsed->access_key_id);
  verified.scope = std::move(parsed->scope);
  verified.amz_date = date->value;
  verified.request_time = *time;
  // A presigned URL signs no body unless the signer put a payload hash in the query.
  if (const Param* hash = params.Find("X-Amz-Content-Sha256")) {
    if (!IsValidPayloadHash(hash->value)) {
      return Error(MakeError(ErrorCode::kInvalidArgument, std::string(kBadPayloadHash)));
    }
    verified.payload_hash = hash->value;
  } else {
    verified.payload_hash = std::string(kUnsignedPayload);
  }
  if (const Param* token = params.Find("X-Amz-Security-Token")) {
    verified.session_token = token->value;
  } else if (const Param* s3express_token = params.Find("X-Amz-S3session-Token")) {
    verified.session_token = s3express_token->value;
  } else if (auto header_token = FindHeader(request, "x-amz-security-token")) {
    verified.session_token = std::string(*header_token);
  } else if (auto header_s3express = FindHeader(request, "x-amz-s3session-token")) {
    verified.session_token = std::string(*header_s3express);
  }

  claim.signed_headers = signed_headers->value;
  claim.signed_names = scratch.signed_names;
  claim.provided_signature = signature->value;
  return CheckSignature(request, params, claim, lookup, keys, scratch.text);
}

// Whether `raw_query` has a parameter named one of `wanted`. Names are decoded leniently: this
// only classifies, and VerifyRequest reports a malformed query. The server classifies every
// request, so the query is scanned once, byte by byte (a multi-character find_first_of costs a
// memchr per byte), and a name is decoded only when it holds an escape.
bool QueryHasParam(std::string_view raw_query, std::initializer_list<std::string_view> wanted) {
  auto is_wanted = [&wanted](std::string_view name) {
    return std::find(wanted.begin(), wanted.end(), name) != wanted.end();
  };
  const size_t size = raw_query.size();
  for (size_t at = 0; at < size;) {
    const size_t start = at;
    bool escaped = false;
    while (at < size && raw_query[at] != '&' && raw_query[at] != '=') {
      escaped |= raw_query[at] == '%';
      ++at;
    }
    std::string_view raw_name = raw_query.substr(start, at - start);
    if (escaped ? is_wanted(PercentDecode(raw_name).value_or(std::string(raw_name)))
                : is_wanted(raw_name)) {
      return true;
    }
    while (at < size && raw_query[at] != '&') ++at;
    ++at;  // past the '&'
  }
  return false;
}

}  // namespace

AuthKind ClassifyAuth(const RequestView& request) {
  std::optional<std::string_view> authorization = FindHeader(request, "authorization");
  if (authorization && !authorization->empty()) return AuthKind::kHeader;
  if (QueryHasParam(request.raw_query, {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature",
                                        "AWSAccessKeyId", "Signature"})) {
    return AuthKind::kPresigned;
  }
  return AuthKind::kAnonymous;
}

Result<VerifiedRequest> VerifyRequest(const RequestView& request, const SecretLookup& lookup,
                                      int64_t now_seconds, const VerifyOptions& options,
                                      SigningKeyCache& keys) {
  ScratchLease lease;
  Scratch& scratch = *lease;
  // ClassifyAuth's decision, from the one parse of the query: the same names, decoded the same
  // lenient way.
  std::optional<std::string_view> authorization = FindHeader(request, "authorization");
  const bool header_auth = authorization && !authorization->empty();
  DecodedQuery params(scratch.raw_params, scratch.params, scratch.decoded);
  Status parsed = params.Parse(request.raw_query);
  if (!header_auth && !params.HasAny({"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature",
                                      "AWSAccessKeyId", "Signature"})) {
    return Error(MakeError(ErrorCode::kAccessDenied,
                           "Access Denied: the request carries no Signature Version 4 "
                           "authentication"));
  }
  if (!parsed.ok()) return Error(AsS3Error(parsed));
  if (header_auth) {
    return VerifyHeaderAuth(request, *authorization, params, lookup, now_seconds, options, keys,
                            scratch);
  }
  return VerifyPresigned(request, params, lookup, now_seconds, options, keys, scratch);
}

}  // namespace trainload::s3
