#include "server/route.h"

#include <algorithm>
#include <array>

#include "common/encoding.h"
#include "s3/error_code.h"

namespace trainload::server {
namespace {

// Bucket subresources S3 has that are answered with "not configured" so that tools that probe
// them (s3cmd info, rclone) keep working.
constexpr std::array<std::string_view, 12> kEmptyBucketSubresources = {
    "policy",         "cors",         "lifecycle", "encryption",     "tagging",
    "website",        "logging",      "replication", "notification", "ownershipControls",
    "publicAccessBlock", "requestPayment"};

constexpr std::array<std::string_view, 14> kOtherSubresources = {
    "accelerate",  "analytics",   "inventory", "metrics",   "intelligent-tiering",
    "object-lock", "legal-hold",  "retention", "restore",   "select",
    "torrent",     "policyStatus", "metadataTable", "mfa"};

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Whether a query component holds an escape or a '+'. A plain loop: find_first_of("%+") calls
// memchr once per character, which was the hottest libc function of a presigned GET.
bool NeedsQueryDecoding(std::string_view text) {
  for (char c : text) {
    if (c == '%' || c == '+') return true;
  }
  return false;
}

// Appends the percent-decoding of a query component ('+' is a space) to `out`; false on a
// malformed escape. Same result as PercentDecode(text, /*plus_as_space=*/true).
bool AppendQueryDecoded(std::string_view text, std::string& out) {
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c != '%') {
      out.push_back(c);
    } else {
      if (i + 2 >= text.size()) return false;
      int high = HexDigit(text[i + 1]);
      int low = HexDigit(text[i + 2]);
      if (high < 0 || low < 0) return false;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    }
  }
  return true;
}

std::string_view HostWithoutPort(std::string_view host) {
  if (!host.empty() && host.front() == '[') {  // [::1]:9000
    size_t end = host.find(']');
    return end == std::string_view::npos ? host : host.substr(0, end + 1);
  }
  size_t colon = host.rfind(':');
  return colon == std::string_view::npos ? host : host.substr(0, colon);
}

Operation ServiceOperation(std::string_view method, Route& route) {
  if (method == "GET" || method == "HEAD") return Operation::kListBuckets;
  route.unsupported_what = std::string(method) + " on the service endpoint";
  return Operation::kUnsupported;
}

Operation BucketOperation(std::string_view method, Route& route) {
  const QueryParams& q = route.query;
  for (std::string_view sub : kEmptyBucketSubresources) {
    if (q.Has(sub)) {
      if (method == "GET") return Operation::kGetBucketSubresource;
      route.unsupported_what = std::string(method) + " ?" + std::string(sub);
      return Operation::kUnsupported;
    }
  }
  for (std::string_view sub : kOtherSubresources) {
    if (q.Has(sub)) {
      route.unsupported_what = "?" + std::string(sub);
      return Operation::kUnsupported;
    }
  }
  if (method == "GET") {
    if (q.Has("location")) return Operation::kGetBucketLocation;
    if (q.Has("versioning")) return Operation::kGetBucketVersioning;
    if (q.Has("acl")) return Operation::kGetBucketAcl;
    if (q.Has("versions")) return Operation::kListObjectVersions;
    if (q.Has("uploads")) return Operation::kListMultipartUploads;
    if (q.Has("session")) return Operation::kCreateSession;
    if (q.Get("list-type") == "2") return Operation::kListObjectsV2;
    return Operation::kListObjects;
  }
  if (method == "HEAD") return Operation::kHeadBucket;
  if (method == "PUT") {
    if (q.Has("versioning")) return Operation::kPutBucketVersioning;
    if (q.Has("acl")) {
      route.unsupported_what = "PUT ?acl";
      return Operation::kUnsupported;
    }
    return Operation::kCreateBucket;
  }
  if (method == "DELETE") return Operation::kDeleteBucket;
  if (method == "POST" && q.Has("delete")) return Operation::kDeleteObjects;
  route.unsupported_what = std::string(method) + " on a bucket";
  return Operation::kUnsupported;
}

Operation ObjectOperation(std::string_view method, bool has_copy_source, Route& route) {
  const QueryParams& q = route.query;
  for (std::string_view sub : kOtherSubresources) {
    if (q.Has(sub)) {
      route.unsupported_what = "?" + std::string(sub);
      return Operation::kUnsupported;
    }
  }
  bool upload = q.Has("uploadId");
  if (method == "GET") {
    if (upload) return Operation::kListParts;
    if (q.Has("acl")) return Operation::kGetObjectAcl;
    if (q.Has("tagging")) return Operation::kGetObjectTagging;
    if (q.Has("attributes")) return Operation::kGetObjectAttributes;
    return Operation::kGetObject;
  }
  if (method == "HEAD") return Operation::kHeadObject;
  if (method == "PUT") {
    if (q.Has("tagging") || q.Has("acl")) {
      route.unsupported_what = q.Has("acl") ? "PUT ?acl" : "PUT ?tagging";
      return Operation::kUnsupported;
    }
    if (q.Has("renameObject")) return Operation::kRenameObject;
    if (upload || q.Has("partNumber")) {
      return has_copy_source ? Operation::kUploadPartCopy : Operation::kUploadPart;
    }
    return has_copy_source ? Operation::kCopyObject : Operation::kPutObject;
  }
  if (method == "DELETE") {
    if (q.Has("tagging")) {
      route.unsupported_what = "DELETE ?tagging";
      return Operation::kUnsupported;
    }
    return upload ? Operation::kAbortMultipartUpload : Operation::kDeleteObject;
  }
  if (method == "POST") {
    if (q.Has("uploads")) return Operation::kCreateMultipartUpload;
    if (upload) return Operation::kCompleteMultipartUpload;
  }
  route.unsupported_what = std::string(method) + " on an object";
  return Operation::kUnsupported;
}

}  // namespace

std::string_view OperationName(Operation operation) {
  switch (operation) {
    case Operation::kListBuckets: return "ListBuckets";
    case Operation::kCreateBucket: return "CreateBucket";
    case Operation::kDeleteBucket: return "DeleteBucket";
    case Operation::kHeadBucket: return "HeadBucket";
    case Operation::kGetBucketLocation: return "GetBucketLocation";
    case Operation::kGetBucketVersioning: return "GetBucketVersioning";
    case Operation::kPutBucketVersioning: return "PutBucketVersioning";
    case Operation::kGetBucketAcl: return "GetBucketAcl";
    case Operation::kGetBucketSubresource: return "GetBucketConfiguration";
    case Operation::kListObjects: return "ListObjects";
    case Operation::kListObjectsV2: return "ListObjectsV2";
    case Operation::kListObjectVersions: return "ListObjectVersions";
    case Operation::kListMultipartUploads: return "ListMultipartUploads";
    case Operation::kDeleteObjects: return "DeleteObjects";
    case Operation::kCreateSession: return "CreateSession";
    case Operation::kGetObject: return "GetObject";
    case Operation::kHeadObject: return "HeadObject";
    case Operation::kPutObject: return "PutObject";
    case Operation::kCopyObject: return "CopyObject";
    case Operation::kDeleteObject: return "DeleteObject";
    case Operation::kGetObjectAcl: return "GetObjectAcl";
    case Operation::kGetObjectTagging: return "GetObjectTagging";
    case Operation::kGetObjectAttributes: return "GetObjectAttributes";
    case Operation::kCreateMultipartUpload: return "CreateMultipartUpload";
    case Operation::kUploadPart: return "UploadPart";
    case Operation::kUploadPartCopy: return "UploadPartCopy";
    case Operation::kCompleteMultipartUpload: return "CompleteMultipartUpload";
    case Operation::kAbortMultipartUpload: return "AbortMultipartUpload";
    case Operation::kListParts: return "ListParts";
    case Operation::kRenameObject: return "RenameObject";
    case Operation::kUnsupported: return "Unsupported";
  }
  return "Unknown";
}

Result<QueryParams> QueryParams::Parse(std::string_view raw_query) {
  QueryParams out;
  if (raw_query.empty()) return out;
  if (raw_query.size() > UINT32_MAX) {
    return Error(s3::MakeError(s3::ErrorCode::kInvalidArgument, "the query string is too long"));
  }
  out.raw_ = std::string(raw_query);
  out.params_.reserve(static_cast<size_t>(std::count(raw_query.begin(), raw_query.end(), '&')) +
                      1);
  const std::string_view raw = out.raw_;
  // One component: viewed in raw_ when it has nothing to decode, else decoded into decoded_.
  auto piece_of = [&out, raw](size_t offset, size_t size) -> std::optional<Piece> {
    std::string_view text = raw.substr(offset, size);
    if (!NeedsQueryDecoding(text)) {
      return Piece{static_cast<uint32_t>(offset), static_cast<uint32_t>(size), false};
    }
    // Decoded straight into decoded_ (reserved once below: a decoded component is never
    // longer than its raw text), without a temporary string per component.
    size_t begin = out.decoded_.size();
    if (!AppendQueryDecoded(text, out.decoded_)) return std::nullopt;
    return Piece{static_cast<uint32_t>(begin), static_cast<uint32_t>(out.decoded_.size() - begin),
                 true};
  };
  if (NeedsQueryDecoding(raw)) out.decoded_.reserve(raw.size());
  for (size_t start = 0; start < raw.size();) {
    size_t amp = raw.find('&', start);
    if (amp == std::string_view::npos) amp = raw.size();
    std::string_view piece = raw.substr(start, amp - start);
    size_t piece_start = start;
    start = amp + 1;
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    std::optional<Piece> name = piece_of(piece_start, std::min(eq, piece.size()));
    std::optional<Piece> value = Piece{};
    if (eq != std::string_view::npos) value = piece_of(piece_start + eq + 1, piece.size() - eq - 1);
    if (!name || !value) {
      return Error(s3::MakeError(s3::ErrorCode::kInvalidArgument,
                                 "malformed percent-encoding in query parameter '" +
                                     std::string(piece) + "'"));
    }
    out.params_.push_back(Param{*name, *value});
  }
  return out;
}

bool QueryParams::Has(std::string_view name) const { return Get(name).has_value(); }

std::optional<std::string_view> QueryParams::Get(std::string_view name) const {
  for (const Param& p : params_) {
    if (View(p.name) == name) return View(p.value);
  }
  return std::nullopt;
}

Result<Route> ResolveRoute(std::string_view method, std::string_view raw_path,
                           std::string_view raw_query, std::string_view host,
                           const std::vector<std::string>& domains, bool has_copy_source) {
  Route route;
  TL_ASSIGN_OR_RETURN(route.query, QueryParams::Parse(raw_query));
  auto path = PercentDecode(raw_path);
  if (!path || path->empty() || path->front() != '/') {
    return Error(s3::MakeError(s3::ErrorCode::kInvalidArgument,
                               "cannot decode the request path '" + std::string(raw_path) + "'"));
  }

  std::string_view host_name = HostWithoutPort(host);
  for (const std::string& domain : domains) {
    if (host_name.size() > domain.size() + 1 && host_name.ends_with(domain) &&
        host_name[host_name.size() - domain.size() - 1] == '.') {
      route.bucket = std::string(host_name.substr(0, host_name.size() - domain.size() - 1));
      route.virtual_hosted = true;
      break;
    }
  }
  std::string_view rest = std::string_view(*path).substr(1);
  if (route.virtual_hosted) {
    route.key = std::string(rest);
  } else {
    size_t slash = rest.find('/');
    route.bucket = std::string(rest.substr(0, slash));
    if (slash != std::string_view::npos) route.key = std::string(rest.substr(slash + 1));
  }

  if (route.bucket.empty()) {
    route.operation = ServiceOperation(method, route);
  } else if (route.key.empty()) {
    route.operation = BucketOperation(method, route);
  } else {
    route.operation = ObjectOperation(method, has_copy_source, route);
  }
  return route;
}

}  // namespace trainload::server
