// ListObjectsV2, ListObjects (V1) and ListObjectVersions over the store's ordered listing.
#include <limits>

#include "common/encoding.h"
#include "s3/error_code.h"
#include "s3/list_xml.h"
#include "server/object_headers.h"
#include "server/operation_helpers.h"
#include "server/operations.h"

namespace trainload::server {
namespace {

using s3::ErrorCode;
using s3::MakeError;

// max-keys: 0 or more, capped at 1000 (S3 accepts larger values and caps them).
Result<size_t> ParseMaxKeys(const QueryParams& query, std::string_view name) {
  TL_ASSIGN_OR_RETURN(std::optional<int64_t> value,
                      IntegerParam(query, name, 0, std::numeric_limits<int32_t>::max()));
  return static_cast<size_t>(std::min<int64_t>(value.value_or(1000), 1000));
}

Result<bool> ParseUrlEncoding(const QueryParams& query) {
  auto type = query.Get("encoding-type");
  if (!type) return false;
  if (*type != "url") {
    return Error(MakeError(ErrorCode::kInvalidArgument,
                           "Invalid Encoding Method specified in Request: '" + std::string(*type) +
                               "'"));
  }
  return true;
}

s3::ListedObject ToListed(const storage::ObjectRecord& record) {
  s3::ListedObject o;
  o.key = record.key;
  o.last_modified_millis = record.last_modified_ms;
  o.etag = record.etag;
  o.size = record.size;
  if (!record.attributes.storage_class.empty()) o.storage_class = record.attributes.storage_class;
  if (record.checksum) {
    o.checksum_algorithm = std::string(ChecksumName(StoredAlgorithm(*record.checksum)));
    o.checksum_type = std::string(ChecksumTypeName(*record.checksum));
  }
  return o;
}

Result<storage::ListPage> ListPageOf(RequestContext& ctx, ServiceState& state,
                                     storage::ListQuery query) {
  auto page = state.store.List(ctx.bucket(), query);
  if (!page.has_value() && page.error().code() == StatusCode::kNotFound) {
    return Error(MakeError(ErrorCode::kNoSuchBucket,
                           "The specified bucket does not exist: '" + ctx.bucket() + "'"));
  }
  return page;
}

}  // namespace

Status ListObjectsV2(RequestContext& ctx, ServiceState& state) {
  const QueryParams& q = ctx.query();
  storage::ListQuery query;
  query.prefix = q.Get("prefix").value_or("");
  query.delimiter = q.Get("delimiter").value_or("");
  TL_ASSIGN_OR_RETURN(query.max_keys, ParseMaxKeys(q, "max-keys"));
  TL_ASSIGN_OR_RETURN(bool url_encoding, ParseUrlEncoding(q));
  std::string token(q.Get("continuation-token").value_or(""));
  std::string start_after(q.Get("start-after").value_or(""));
  if (q.Has("continuation-token")) {
    auto decoded = Base64Decode(token);
    if (!decoded || decoded->empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "The continuation token provided is incorrect: '" + token + "'");
    }
    query.start_after = *decoded;
  } else {
    query.start_after = start_after;
  }
  TL_ASSIGN_OR_RETURN(storage::ListPage page, ListPageOf(ctx, state, query));

  s3::ListObjectsV2Result result;
  result.bucket = ctx.bucket();
  result.prefix = query.prefix;
  result.delimiter = query.delimiter;
  result.max_keys = static_cast<int>(query.max_keys);
  result.url_encoding = url_encoding;
  result.is_truncated = page.truncated;
  result.continuation_token = token;
  result.start_after = start_after;
  if (page.truncated) result.next_continuation_token = Base64Encode(page.next_marker);
  bool fetch_owner = q.Get("fetch-owner") == "true";
  for (const storage::ObjectRecord& record : page.objects) {
    result.contents.push_back(ToListed(record));
    if (fetch_owner) result.contents.back().owner = ctx.Owner();
  }
  result.common_prefixes = std::move(page.common_prefixes);
  return ctx.SendXml(200, s3::ListObjectsV2Xml(result));
}

Status ListObjectsV1(RequestContext& ctx, ServiceState& state) {
  const QueryParams& q = ctx.query();
  storage::ListQuery query;
  query.prefix = q.Get("prefix").value_or("");
  query.delimiter = q.Get("delimiter").value_or("");
  query.start_after = q.Get("marker").value_or("");
  TL_ASSIGN_OR_RETURN(query.max_keys, ParseMaxKeys(q, "max-keys"));
  TL_ASSIGN_OR_RETURN(bool url_encoding, ParseUrlEncoding(q));
  TL_ASSIGN_OR_RETURN(storage::ListPage page, ListPageOf(ctx, state, query));

  s3::ListObjectsV1Result result;
  result.bucket = ctx.bucket();
  result.prefix = query.prefix;
  result.marker = query.start_after;
  result.delimiter = query.delimiter;
  result.max_keys = static_cast<int>(query.max_keys);
  result.url_encoding = url_encoding;
  result.is_truncated = page.truncated;
  if (page.truncated && !query.delimiter.empty()) result.next_marker = page.next_marker;
  s3::CanonicalUser owner = ctx.Owner();
  for (const storage::ObjectRecord& record : page.objects) {
    result.contents.push_back(ToListed(record));
    result.contents.back().owner = owner;
  }
  result.common_prefixes = std::move(page.common_prefixes);
  return ctx.SendXml(200, s3::ListObjectsV1Xml(result));
}

Status ListObjectVersions(RequestContext& ctx, ServiceState& state) {
  const QueryParams& q = ctx.query();
  storage::ListQuery query;
  query.prefix = q.Get("prefix").value_or("");
  query.delimiter = q.Get("delimiter").value_or("");
  query.start_after = q.Get("key-marker").value_or("");
  std::string version_marker(q.Get("version-id-marker").value_or(""));
  if (!version_marker.empty() && version_marker != "null") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "Invalid version id specified: '" + version_marker +
                         "' (trainload buckets are unversioned; only 'null' exists)");
  }
  if (!version_marker.empty() && query.start_after.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "A version-id marker cannot be specified without a key marker.");
  }
  TL_ASSIGN_OR_RETURN(query.max_keys, ParseMaxKeys(q, "max-keys"));
  TL_ASSIGN_OR_RETURN(bool url_encoding, ParseUrlEncoding(q));
  TL_ASSIGN_OR_RETURN(storage::ListPage page, ListPageOf(ctx, state, query));

  s3::ListVersionsResult result;
  result.bucket = ctx.bucket();
  result.prefix = query.prefix;
  result.key_marker = query.start_after;
  result.version_id_marker = version_marker;
  result.delimiter = query.delimiter;
  result.max_keys = static_cast<int>(query.max_keys);
  result.url_encoding = url_encoding;
  result.is_truncated = page.truncated;
  if (page.truncated) {
    result.next_key_marker = page.next_marker;
    result.next_version_id_marker = "null";
  }
  s3::CanonicalUser owner = ctx.Owner();
  for (const storage::ObjectRecord& record : page.objects) {
    s3::ListedVersion v;
    v.object = ToListed(record);
    v.object.owner = owner;
    result.versions.push_back(std::move(v));
  }
  result.common_prefixes = std::move(page.common_prefixes);
  return ctx.SendXml(200, s3::ListVersionsXml(result));
}

}  // namespace trainload::server
