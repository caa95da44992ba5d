// GetObject and HeadObject (ranges, partNumber, conditional headers, response-* overrides,
// checksum mode), and the object subresources answered read-only (ACL, tagging).
#include "s3/byte_range.h"
#include "s3/conditions.h"
#include "s3/error_code.h"
#include "s3/xml_writer.h"
#include "server/object_headers.h"
#include "server/operation_helpers.h"
#include "server/operations.h"

namespace trainload::server {
namespace {

using s3::ErrorCode;
using s3::MakeError;

// A lost race with an overwrite between reading the record and opening its files is retried
// this many times before giving up.
constexpr int kOpenAttempts = 5;

// The byte range of part `part_number` of `record`, or InvalidPartNumber.
Result<s3::ByteRange> PartRange(const storage::ObjectRecord& record, uint32_t part_number) {
  if (record.part_count == 0) {
    if (part_number == 1 && record.size > 0) return s3::ByteRange{0, record.size - 1};
  } else if (part_number <= record.segments.size()) {
    uint64_t begin = 0;
    for (uint32_t i = 0; i + 1 < part_number; ++i) begin += record.segments[i].size;
    uint64_t size = record.segments[part_number - 1].size;
    if (size > 0) return s3::ByteRange{begin, begin + size - 1};
  }
  return Error(MakeError(ErrorCode::kInvalidPartNumber,
                         "The requested partnumber is not satisfiable: part " +
                             std::to_string(part_number) + " of an object with " +
                             std::to_string(record.part_count) + " parts"));
}

// If-Match / If-None-Match / If-(Un)Modified-Since against `record`: sends the 304 itself
// (returning a NotModified status the edge leaves alone once the head is out) or fails with
// PreconditionFailed.
Status CheckReadConditions(RequestContext& ctx, const storage::ObjectRecord& record) {
  // Conditional requests are rare: one pass over the names ("if-...") before building anything.
  bool any = false;
  for (const auto& [name, value] : ctx.request().headers.entries()) {
    any |= name.size() > 3 && name.starts_with("if-");
  }
  if (!any) return Status::Ok();
  s3::Conditions conditions = s3::ConditionsFromHeaders(
      [&](std::string_view name) { return ctx.header(name); });
  if (conditions.empty()) return Status::Ok();
  s3::ConditionOutcome outcome =
      s3::EvaluateRead(conditions, record.etag, record.last_modified_ms / 1000);
  if (outcome == s3::ConditionOutcome::kNotModified) {
    http::Headers headers = ctx.BaseHeaders();
    headers.Add("etag", "\"" + record.etag + "\"");
    headers.Add("last-modified", FormatHttpDate(record.last_modified_ms / 1000));
    TL_RETURN_IF_ERROR(ctx.SendEmpty(304, std::move(headers)));
    return s3::MakeError(ErrorCode::kNotModified);
  }
  return s3::ConditionStatus(outcome, ctx.request().raw_path());
}

Status RequireObject(RequestContext& ctx, ServiceState& state) {
  auto head = state.store.Head(ctx.bucket(), ctx.key());
  return head.has_value() ? Status::Ok() : ObjectNotFound(ctx, state, head.error());
}

}  // namespace

Status GetObject(RequestContext& ctx, ServiceState& state) {
  const bool head_only = ctx.request().method == "HEAD";
  TL_ASSIGN_OR_RETURN(std::optional<int64_t> part_param,
                      IntegerParam(ctx.query(), "partNumber", 1, 10000));
  std::optional<uint32_t> part_number;
  if (part_param) part_number = static_cast<uint32_t>(*part_param);
  auto range_header = ctx.header("range");
  if (part_number && range_header) {
    return MakeError(ErrorCode::kInvalidRequest,
                     "Cannot specify both Range header and partNumber query parameter");
  }

  // One index read in the common cases: a whole-object GET opens the object directly, a HEAD
  // only reads its record. Ranges and parts read the record first to open just the files they
  // need (a range of a 10,000-part object must not open 10,000 files).
  const bool whole = !part_number && !range_header;
  std::unique_ptr<storage::ObjectReader> reader;
  std::optional<storage::ObjectRecord> head_record;
  std::optional<s3::ByteRange> range;
  for (int attempt = 0; !reader && !head_record; ++attempt) {
    if (whole && !head_only) {
      auto opened = state.store.OpenObject(ctx.bucket(), ctx.key());
      if (!opened.has_value()) return ObjectNotFound(ctx, state, opened.error());
      reader = std::move(*opened);
      // The reader holds the record: checked in place, not copied.
      TL_RETURN_IF_ERROR(CheckReadConditions(ctx, reader->record()));
      break;
    }
    Result<storage::ObjectRecord> record = state.store.Head(ctx.bucket(), ctx.key());
    if (!record.has_value()) return ObjectNotFound(ctx, state, record.error());
    TL_RETURN_IF_ERROR(CheckReadConditions(ctx, *record));
    if (whole) {
      head_record = std::move(*record);
      break;
    }

    if (part_number) {
      TL_ASSIGN_OR_RETURN(range, PartRange(*record, *part_number));
    } else {
      auto resolved = s3::ResolveRange(*range_header, record->size);
      if (!resolved.has_value()) {
        ctx.error_headers.Add("content-range", s3::UnsatisfiedContentRange(record->size));
        return resolved.error();
      }
      range = *resolved;
    }
    if (head_only && !range) {
      head_record = std::move(*record);
      break;
    }
    storage::ByteWindow window;
    if (range) window = storage::ByteWindow{range->first, range->length()};
    auto opened = state.store.OpenObject(ctx.bucket(), ctx.key(), window);
    if (!opened.has_value()) return ObjectNotFound(ctx, state, opened.error());
    // Another writer replaced the object between Head and OpenObject: decide again against
    // the version actually opened.
    if ((*opened)->record().etag == record->etag || attempt + 1 >= kOpenAttempts) {
      reader = std::move(*opened);
    }
  }

  const storage::ObjectRecord& record = reader ? reader->record() : *head_record;
  uint64_t first = range ? range->first : 0;
  uint64_t length = range ? range->length() : record.size;
  http::Headers headers = ctx.BaseHeaders();
  ObjectHeaderOptions options;
  options.part_number = part_number;
  options.include_checksum = ChecksumModeEnabled(ctx.request().headers) &&
                             (!range || part_number);
  AddObjectHeaders(record, options, ctx.query(), headers);
  int status = 200;
  if (range) {
    status = 206;
    headers.Add("content-range", s3::ContentRange(*range, record.size));
  }
  TL_RETURN_IF_ERROR(ctx.exchange().SendHead(status, headers, length));
  if (head_only || !reader) return Status::Ok();
  for (const storage::ObjectExtent& extent : reader->Extents(first, length)) {
    TL_RETURN_IF_ERROR(ctx.exchange().SendFile(extent.fd, extent.offset, extent.length));
  }
  return Status::Ok();
}

Status GetObjectAcl(RequestContext& ctx, ServiceState& state) {
  TL_RETURN_IF_ERROR(RequireObject(ctx, state));
  return ctx.SendXml(200, s3::OwnerOnlyAclXml(ctx.Owner()));
}

Status GetObjectTagging(RequestContext& ctx, ServiceState& state) {
  TL_RETURN_IF_ERROR(RequireObject(ctx, state));
  s3::XmlWriter w;
  w.Declaration();
  w.Open("Tagging", s3::kS3Namespace);
  w.EmptyElement("TagSet");
  w.Close();
  return ctx.SendXml(200, w.Take());
}

}  // namespace trainload::server
