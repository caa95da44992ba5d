// Resolves an HTTP request to an S3 operation: which bucket and key it addresses (path-style or
// virtual-hosted-style), its decoded query parameters, and the operation they select.
//
// Pure functions over the request line and Host header; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trainload/status.h"

namespace trainload::server {

enum class Operation {
  kListBuckets,
  kCreateBucket,
  kDeleteBucket,
  kHeadBucket,
  kGetBucketLocation,
  kGetBucketVersioning,
  kPutBucketVersioning,
  kGetBucketAcl,
  kGetBucketSubresource,  // policy, cors, lifecycle, ... (answered as "not configured")
  kListObjects,
  kListObjectsV2,
  kListObjectVersions,
  kListMultipartUploads,
  kDeleteObjects,
  kCreateSession,
  kGetObject,
  kHeadObject,
  kPutObject,
  kCopyObject,
  kDeleteObject,
  kGetObjectAcl,
  kGetObjectTagging,
  kGetObjectAttributes,
  kCreateMultipartUpload,
  kUploadPart,
  kUploadPartCopy,
  kCompleteMultipartUpload,
  kAbortMultipartUpload,
  kListParts,
  kRenameObject,
  kUnsupported,  // a subresource or method S3 has and trainload does not
};

std::string_view OperationName(Operation operation);

// Decoded query parameters in wire order. Values are percent-decoded ('+' means space);
// a parameter without '=' has an empty value. Parsing copies the query once and decodes only
// the components that hold an escape or a '+' (few do), so routing a request allocates little.
class QueryParams {
 public:
  static Result<QueryParams> Parse(std::string_view raw_query);

  bool Has(std::string_view name) const;
  std::optional<std::string_view> Get(std::string_view name) const;
  size_t size() const { return params_.size(); }

 private:
  // A decoded component: bytes [offset, offset + size) of decoded_ when `in_decoded`, else of
  // raw_ (it needed no decoding). Offsets rather than views, so that copies and moves stay
  // valid.
  struct Piece {
    uint32_t offset = 0;
    uint32_t size = 0;
    bool in_decoded = false;
  };
  struct Param {
    Piece name;
    Piece value;
  };
  std::string_view View(Piece piece) const {
    return std::string_view(piece.in_decoded ? decoded_ : raw_).substr(piece.offset, piece.size);
  }

  std::string raw_;
  std::string decoded_;
  std::vector<Param> params_;
};

struct Route {
  std::string bucket;  // empty for service-level requests (ListBuckets)
  std::string key;     // decoded; empty for bucket-level requests
  bool virtual_hosted = false;
  QueryParams query;
  Operation operation = Operation::kUnsupported;
  std::string unsupported_what;  // for kUnsupported: the subresource or method, for the error
};

// `domains` are the host names under which `bucket.domain` means virtual-hosted style
// (e.g. "localhost", "s3.example.test"). `has_copy_source` selects Copy/UploadPartCopy.
// Errors: a malformed percent escape (InvalidURI-style InvalidArgument).
Result<Route> ResolveRoute(std::string_view method, std::string_view raw_path,
                           std::string_view raw_query, std::string_view host,
                           const std::vector<std::string>& domains, bool has_copy_source);

}  // namespace trainload::server
