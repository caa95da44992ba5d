#include "s3/response_parsers.h"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <pugixml.hpp>
#include <utility>

#include "common/encoding.h"
#include "common/time_format.h"
#include "s3/error_code.h"

namespace trainload::s3 {
namespace {

// parse_ws_pcdata_single keeps the text of <Key> </Key> (a key of one space) while still
// dropping the whitespace between elements. Junk after the root element is tolerated (pugixml
// stops at the end of the first element tree) since it cannot change what was parsed.
constexpr unsigned kParseOptions = pugi::parse_default | pugi::parse_ws_pcdata_single;

std::string Cat(std::initializer_list<std::string_view> pieces) {
  std::string out;
  for (std::string_view piece : pieces) out.append(piece);
  return out;
}

// A reply the client cannot make sense of: the bytes were damaged or the server is not speaking
// S3. No reason: it is not an S3 error code.
Status Malformed(std::string_view document, std::string_view what) {
  return Status(StatusCode::kDataLoss, Cat({document, ": ", what}));
}

bool IsXmlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsXmlSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsXmlSpace(text.back())) text.remove_suffix(1);
  return text;
}

// Element names compare without their namespace prefix ("s3:Key" is "Key").
std::string_view LocalName(const pugi::xml_node& node) {
  std::string_view name = node.name();
  const size_t colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// Values quoted in messages are cut short: a hostile server must not make log lines huge.
std::string Shown(std::string_view value) {
  constexpr size_t kMaxShown = 64;
  if (value.size() <= kMaxShown) return std::string(value);
  return Cat({value.substr(0, kMaxShown), "..."});
}

// pugixml decodes &#0; into a NUL that ends its C strings, which would silently cut a key short.
bool HasNulCharacterReference(std::string_view body) {
  for (size_t at = body.find("&#"); at != std::string_view::npos; at = body.find("&#", at + 2)) {
    size_t i = at + 2;
    if (i < body.size() && (body[i] == 'x' || body[i] == 'X')) ++i;
    const size_t digits_start = i;
    while (i < body.size() && body[i] == '0') ++i;
    if (i > digits_start && i < body.size() && body[i] == ';') return true;
  }
  return false;
}

// The character data of `element`: text and CDATA children joined, child elements skipped.
std::string TextOf(const pugi::xml_node& element) {
  std::string text;
  for (pugi::xml_node child : element.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      text.append(child.value());
    }
  }
  return text;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    return lower(x) == lower(y);
  });
}

std::string StripQuotes(std::string_view etag) {
  etag = Trim(etag);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

// Checksum values (<ChecksumCRC32>, <ChecksumCRC64NVME>, ...), as opposed to <ChecksumType> and
// <ChecksumAlgorithm>, which describe them.
bool IsChecksumValue(std::string_view name) {
  return name.starts_with("Checksum") && name != "ChecksumType" && name != "ChecksumAlgorithm";
}

// Converts element values into fields, remembering the first value that did not convert so a
// parser reads every field in a straight line and checks once at the end.
class FieldReader {
 public:
  explicit FieldReader(std::string_view document) : document_(document) {}

  // Under encoding-type=url the key-like fields arrive encoded.
  void set_url_encoded(bool url_encoded) { url_encoded_ = url_encoded; }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  void Fail(std::string_view what) {
    if (status_.ok()) status_ = Malformed(document_, what);
  }

  // Verbatim text (keys that are never encoded, messages, locations).
  void Verbatim(const pugi::xml_node& node, std::string& out) { out = TextOf(node); }
  // Trimmed text (tokens, ids, codes, classes).
  void Token(const pugi::xml_node& node, std::string& out) { out = Trim(TextOf(node)); }
  void ETag(const pugi::xml_node& node, std::string& out) { out = StripQuotes(TextOf(node)); }

  // Key, Prefix, Delimiter, StartAfter and the markers: decoded as S3 encodes them ('+' is a
  // space, which is why botocore decodes with unquote_plus) when the listing is url-encoded.
  void KeyLike(const pugi::xml_node& node, std::string& out) {
    std::string text = TextOf(node);
    if (!url_encoded_) {
      out = std::move(text);
      return;
    }
    std::optional<std::string> decoded = PercentDecode(text, /*plus_as_space=*/true);
    if (!decoded.has_value()) {
      Fail(Cat({"<", LocalName(node), "> '", Shown(text),
                "' is not valid under encoding-type=url (a bad %XX escape)"}));
      return;
    }
    out = std::move(*decoded);
  }

  template <typename Int>
  void Number(const pugi::xml_node& node, Int& out) {
    const std::string text = TextOf(node);
    const std::string_view digits = Trim(text);
    Int value{};
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || error != std::errc() || end != digits.data() + digits.size()) {
      Fail(Cat({"<", LocalName(node), "> '", Shown(text), "' is not a number"}));
      return;
    }
    out = value;
  }

  void Bool(const pugi::xml_node& node, bool& out) {
    const std::string text = TextOf(node);
    const std::string_view value = Trim(text);
    if (EqualsIgnoringCase(value, "true") || value == "1") {
      out = true;
    } else if (EqualsIgnoringCase(value, "false") || value == "0") {
      out = false;
    } else {
      Fail(Cat({"<", LocalName(node), "> '", Shown(text), "' is not true or false"}));
    }
  }

  void Timestamp(const pugi::xml_node& node, int64_t& out) {
    const std::string text = TextOf(node);
    std::string value(Trim(text));
    // Every S3 implementation sends "Z", but AWS's own CopyObject example has no zone and some
    // servers write "+00:00"; both are UTC.
    if (value.ends_with("+00:00")) {
      value.resize(value.size() - 6);
      value.push_back('Z');
    } else if (!value.empty() && value.back() != 'Z') {
      value.push_back('Z');
    }
    std::optional<int64_t> millis = ParseIso8601Millis(value);
    if (!millis.has_value()) {
      Fail(Cat({"<", LocalName(node), "> '", Shown(text), "' is not an ISO 8601 UTC timestamp"}));
      return;
    }
    out = *millis;
  }

  void Checksum(const pugi::xml_node& node, ChecksumFields& out) {
    out.emplace_back(std::string(LocalName(node)), std::string(Trim(TextOf(node))));
  }

 private:
  std::string_view document_;
  bool url_encoded_ = false;
  Status status_;
};

// The element children of `node`, for range-for.
class Elements {
 public:
  explicit Elements(const pugi::xml_node& node) : node_(node) {}
  struct Iterator {
    pugi::xml_node node;
    static pugi::xml_node Skip(pugi::xml_node n) {
      while (n && n.type() != pugi::node_element) n = n.next_sibling();
      return n;
    }
    pugi::xml_node operator*() const { return node; }
    Iterator& operator++() {
      node = Skip(node.next_sibling());
      return *this;
    }
    bool operator!=(const Iterator& other) const { return node != other.node; }
  };
  Iterator begin() const { return {Iterator::Skip(node_.first_child())}; }
  Iterator end() const { return {pugi::xml_node()}; }

 private:
  pugi::xml_node node_;
};

ParsedUser ReadUser(const pugi::xml_node& node) {
  ParsedUser user;
  for (pugi::xml_node child : Elements(node)) {
    const std::string_view name = LocalName(child);
    if (name == "ID") {
      user.id = Trim(TextOf(child));
    } else if (name == "DisplayName") {
      user.display_name = TextOf(child);
    }
  }
  return user;
}

void ReadErrorFields(const pugi::xml_node& root, ParsedError& error) {
  for (pugi::xml_node child : Elements(root)) {
    const std::string_view name = LocalName(child);
    std::string* field = nullptr;
    bool trim = true;
    if (name == "Code") {
      field = &error.code;
    } else if (name == "Message") {
      field = &error.message;
    } else if (name == "Resource") {
      field = &error.resource;
    } else if (name == "RequestId") {
      field = &error.request_id;
    } else if (name == "HostId") {
      field = &error.host_id;
    } else if (name == "Key") {
      field = &error.key;
      trim = false;
    } else if (name == "BucketName") {
      field = &error.bucket;
    } else if (name == "Region") {
      field = &error.region;
    } else if (name == "Endpoint") {
      field = &error.endpoint;
    }
    if (field == nullptr) continue;
    *field = TextOf(child);
    if (trim) *field = std::string(Trim(*field));
  }
}

// The first element of the document; null when there is none.
pugi::xml_node RootElement(const pugi::xml_document& doc) {
  for (pugi::xml_node node : doc.children()) {
    if (node.type() == pugi::node_element) return node;
  }
  return {};
}

// Parses `body` into `doc` and returns its root element, which must be `root`. An <Error> root
// is the server reporting a failure inside a 200 response: its code comes back as the error.
Result<pugi::xml_node> LoadRoot(pugi::xml_document& doc, std::string_view body,
                                std::string_view operation, std::string_view root) {
  if (body.find('\0') != std::string_view::npos) {
    return Error(Malformed(root, "the body contains a NUL byte"));
  }
  if (HasNulCharacterReference(body)) {
    return Error(Malformed(root, "the body contains a character reference to NUL (&#0;)"));
  }
  const pugi::xml_parse_result parsed =
      doc.load_buffer(body.data(), body.size(), kParseOptions, pugi::encoding_auto);
  if (!parsed) {
    if (Trim(body).empty()) return Error(Malformed(root, "the body is empty"));
    return Error(Malformed(
        root, Cat({"the body is not well-formed XML (", parsed.description(), " at byte ",
                   std::to_string(parsed.offset), " of ", std::to_string(body.size()), ")"})));
  }
  const pugi::xml_node found = RootElement(doc);
  if (LocalName(found) == "Error") {
    ParsedError error;
    ReadErrorFields(found, error);
    return Error(StatusFromError(error, operation));
  }
  if (LocalName(found) != root) {
    return Error(Malformed(
        root, Cat({"the root element is <", Shown(found.name()), ">, expected <", root, ">"})));
  }
  return found;
}

// True when a listing declares <EncodingType>url</EncodingType>, wherever it sits among the
// root's children (MinIO and S3 place it differently).
bool IsUrlEncoded(const pugi::xml_node& root) {
  for (pugi::xml_node child : Elements(root)) {
    if (LocalName(child) == "EncodingType") return EqualsIgnoringCase(Trim(TextOf(child)), "url");
  }
  return false;
}

// <CommonPrefixes><Prefix/></CommonPrefixes>; S3 sends one <Prefix> per element, but a server
// that groups several is read too.
void ReadCommonPrefixes(const pugi::xml_node& node, FieldReader& r, std::vector<std::string>& out) {
  bool any = false;
  for (pugi::xml_node child : Elements(node)) {
    if (LocalName(child) != "Prefix") continue;
    any = true;
    r.KeyLike(child, out.emplace_back());
  }
  if (!any) r.Fail("a <CommonPrefixes> has no <Prefix>");
}

ParsedObject ReadContents(const pugi::xml_node& node, FieldReader& r) {
  ParsedObject object;
  bool has_key = false;
  for (pugi::xml_node child : Elements(node)) {
    const std::string_view name = LocalName(child);
    if (name == "Key") {
      has_key = true;
      r.KeyLike(child, object.key);
    } else if (name == "LastModified") {
      r.Timestamp(child, object.last_modified_ms);
    } else if (name == "ETag") {
      r.ETag(child, object.etag);
    } else if (name == "Size") {
      r.Number(child, object.size);
    } else if (name == "StorageClass") {
      r.Token(child, object.storage_class);
    } else if (name == "ChecksumAlgorithm") {
      r.Token(child, object.checksum_algorithm);
    } else if (name == "ChecksumType") {
      r.Token(child, object.checksum_type);
    } else if (name == "Owner") {
      object.owner = ReadUser(child);
    }
  }
  if (!has_key) r.Fail("a <Contents> has no <Key>");
  return object;
}

// CompleteMultipartUploadResult, CopyObjectResult and CopyPartResult share ETag and checksums;
// `other` reads each remaining element.
template <typename Parsed, typename OtherFn>
Status ReadResultFields(const pugi::xml_node& root, FieldReader& r, Parsed& out, OtherFn other) {
  bool has_etag = false;
  for (pugi::xml_node child : Elements(root)) {
    const std::string_view name = LocalName(child);
    if (name == "ETag") {
      has_etag = true;
      r.ETag(child, out.etag);
    } else if (name == "ChecksumType") {
      r.Token(child, out.checksum_type);
    } else if (IsChecksumValue(name)) {
      r.Checksum(child, out.checksums);
    } else {
      other(name, child);
    }
  }
  if (!has_etag) r.Fail("the body has no <ETag>");
  return r.status();
}

Result<ParsedCopyResult> ParseCopyResult(std::string_view body, std::string_view operation,
                                         std::string_view root_name) {
  pugi::xml_document doc;
  TL_ASSIGN_OR_RETURN(pugi::xml_node root, LoadRoot(doc, body, operation, root_name));
  FieldReader r(root_name);
  ParsedCopyResult result;
  TL_RETURN_IF_ERROR(ReadResultFields(root, r, result, [&](std::string_view name, auto child) {
    if (name == "LastModified") r.Timestamp(child, result.last_modified_ms);
  }));
  return result;
}

ParsedPart ReadPart(const pugi::xml_node& node, FieldReader& r) {
  ParsedPart part;
  bool has_number = false;
  for (pugi::xml_node child : Elements(node)) {
    const std::string_view name = LocalName(child);
    if (name == "PartNumber") {
      has_number = true;
      r.Number(child, part.part_number);
    } else if (name == "LastModified") {
      r.Timestamp(child, part.last_modified_ms);
    } else if (name == "ETag") {
      r.ETag(child, part.etag);
    } else if (name == "Size") {
      r.Number(child, part.size);
    } else if (IsChecksumValue(name)) {
      r.Checksum(child, part.checksums);
    }
  }
  if (!has_number) r.Fail("a <Part> has no <PartNumber>");
  return part;
}

ParsedUpload ReadUpload(const pugi::xml_node& node, FieldReader& r) {
  ParsedUpload upload;
  bool has_key = false;
  bool has_upload_id = false;
  for (pugi::xml_node child : Elements(node)) {
    const std::string_view name = LocalName(child);
    if (name == "Key") {
      has_key = true;
      r.KeyLike(child, upload.key);
    } else if (name == "UploadId") {
      has_upload_id = true;
      r.Token(child, upload.upload_id);
    } else if (name == "Initiated") {
      r.Timestamp(child, upload.initiated_ms);
    } else if (name == "StorageClass") {
      r.Token(child, upload.storage_class);
    } else if (name == "ChecksumAlgorithm") {
      r.Token(child, upload.checksum_algorithm);
    } else if (name == "ChecksumType") {
      r.Token(child, upload.checksum_type);
    } else if (name == "Initiator") {
      upload.initiator = ReadUser(child);
    } else if (name == "Owner") {
      upload.owner = ReadUser(child);
    }
  }
  if (!has_key) r.Fail("an <Upload> has no <Key>");
  if (!has_upload_id) r.Fail("an <Upload> has no <UploadId>");
  return upload;
}

}  // namespace

ParsedError ParseErrorBody(std::string_view body) {
  ParsedError error;
  pugi::xml_document doc;
  // A failed parse still leaves the elements read before the failure: a truncated error body
  // keeps its <Code>. Whatever the body was, only an <Error> root is read.
  doc.load_buffer(body.data(), body.size(), kParseOptions, pugi::encoding_auto);
  const pugi::xml_node root = RootElement(doc);
  if (root && LocalName(root) == "Error") ReadErrorFields(root, error);
  return error;
}

Status StatusFromError(const ParsedError& error, std::string_view context) {
  std::string message(context);
  if (!message.empty()) message.append(": ");
  if (!error.message.empty()) {
    message.append(error.message);
  } else if (!error.code.empty()) {
    message.append(error.code);
  } else {
    message.append("the server sent an error document with no code");
  }
  if (!error.request_id.empty()) message.append(Cat({" (request id ", error.request_id, ")"}));
  if (std::optional<ErrorCode> code = ErrorCodeFromName(error.code)) {
    return MakeError(*code, std::move(message));
  }
  return Status(StatusCode::kInternal, std::move(message), error.code);
}

Result<ParsedBucketList> ParseListAllMyBucketsResult(std::string_view body) {
  constexpr std::string_view kRoot = "ListAllMyBucketsResult";
  pugi::xml_document doc;
  TL_ASSIGN_OR_RETURN(pugi::xml_node root, LoadRoot(doc, body, "ListBuckets", kRoot));
  FieldReader r(kRoot);
  ParsedBucketList list;
  for (pugi::xml_node child : Elements(root)) {
    const std::string_view name = LocalName(child);
    if (name == "Owner") {
      list.owner = ReadUser(child);
    } else if (name == "ContinuationToken") {
      r.Token(child, list.continuation_token);
    } else if (name == "Prefix") {
      r.Verbatim(child, list.prefix);
    } else if (name == "Buckets") {
      for (pugi::xml_node bucket_node : Elements(child)) {
        if (LocalName(bucket_node) != "Bucket") continue;
        ParsedBucket& bucket = list.buckets.emplace_back();
        bool has_name = false;
        for (pugi::xml_node field : Elements(bucket_node)) {
          const std::string_view field_name = LocalName(field);
          if (field_name == "Name") {
            has_name = true;
            r.Token(field, bucket.name);
          } else if (field_name == "CreationDate") {
            r.Timestamp(field, bucket.creation_date_ms);
          } else if (field_name == "BucketRegion") {
            r.Token(field, bucket.region);
          }
        }
        if (!has_name) r.Fail("a <Bucket> has no <Name>");
      }
    }
  }
  if (!r.ok()) return Error(r.status());
  return list;
}

Result<ParsedObjectList> ParseListBucketResult(std::string_view body) {
  constexpr std::string_view kRoot = "ListBucketResult";
  pugi::xml_document doc;
  TL_ASSIGN_OR_RETURN(pugi::xml_node root, LoadRoot(doc, body, "ListObjects", kRoot));
  FieldReader r(kRoot);
  ParsedObjectList list;
  if (IsUrlEncoded(root)) {
    list.encoding_type = "url";
    r.set_url_encoded(true);
  }
  bool has_is_truncated = false;
  for (pugi::xml_node child : Elements(root)) {
    const std::string_view name = LocalName(child);
    if (name == "Contents") {
      list.contents.push_back(ReadContents(child, r));
    } else if (name == "CommonPrefixes") {
      ReadCommonPrefixes(child, r, list.common_prefixes);
    } else if (name == "Name") {
      r.Token(child, list.bucket);
    } else if (name == "Prefix") {
      r.KeyLike(child, list.prefix);
    } else if (name == "Delimiter") {
      r.KeyLike(child, list.delimiter);
    } else if (name == "MaxKeys") {
      r.Number(child, list.max_keys);
    } else if (name == "IsTruncated") {
      has_is_truncated = true;
      r.Bool(child, list.is_truncated);
    } else if (name == "KeyCount") {
      r.Number(child, list.key_count.emplace());
    } else if (name == "StartAfter") {
      r.KeyLike(child, list.start_after);
    } else if (name == "ContinuationToken") {
      r.Token(child, list.continuation_token);
    } else if (name == "NextContinuationToken") {
      r.Token(child, list.next_continuation_token);
    } else if (name == "Marker") {
      r.KeyLike(child, list.marker);
    } else if (name == "NextMarker") {
      r.KeyLike(child, list.next_marker);
    }
  }
  if (!has_is_truncated) r.Fail("the body has no <IsTruncated>");
  if (!r.ok()) return Error(r.status());
  return list;
}

std::string ListV1ResumeMarker(const ParsedObjectList& list) {
  if (!list.is_truncated) return {};
  if (!list.next_marker.empty()) return list.next_marker;
  // Keys and common prefixes each come sorted; the page ends at the greater of the two lasts.
  std::string_view last;
  if (!list.contents.empty()) last = list.contents.back().key;
  if (!list.common_prefixes.empty()) {
    last = std::max(last, std::string_view(list.common_prefixes.back()));
  }
  return std::string(last);
}

Result<ParsedInitiateMultipartUpload> ParseInitiateMultipartUploadResult(std::string_view body) {
  constexpr std::string_view kRoot = "InitiateMultipartUploadResult";
  pugi::xml_document doc;
  TL_ASSIGN_OR_RETURN(pugi::xml_node root, LoadRoot(doc, body, "CreateMultipartUpload", kRoot));
  FieldReader r(kRoot);
  ParsedInitiateMultipartUpload result;
  for (pugi::xml_node child : Elements(root)) {
    const std::string_view name = LocalName(child);
    if (name == "Bucket") {
      r.Token(child, result.bucket);
    } else if (name == "Key") {
      r.Verbatim(child, result.key);
    } else if (name == "UploadId") {
      r.Token(child, result.upload_id);
    }
  }
  if (result.upload_id.empty()) r.Fail("the body has no <UploadId> or an empty one");
  if (!r.ok()) return Error(r.status());
  return result;
}

Result<ParsedCompleteMultipartUpload> ParseCompleteMultipartUploadResult(std::string_view body) {
  constexpr std::string_view kRoot = "CompleteMultipartUploadResult";
  pugi::xml_document doc;
  TL_ASSIGN_OR_RETURN(pugi::xml_node root, LoadRoot(doc, body, "CompleteMultipartUpload", kRoot));
  FieldReader r(kRoot);
  ParsedCompleteMultipartUpload result;
  TL_RETURN_IF_ERROR(ReadResultFields(root, r, result, [&](std::string_view name, auto child) {
    if (name == "Location") {
      r.Verbatim(child, result.location);
    } else if (name == "Bucket") {
      r.Token(child, result.bucket);
    } else if (name == "Key") {
      r.Verbatim(child, result.key);
    }
  }));
  return result;
}

Result<ParsedCopyResult> ParseCopyObjectResult(std::string_view body) {
  return ParseCopyResult(body, "CopyObject", "CopyObjectResult");
}

Result<ParsedCopyResult> ParseCopyPartResult(std::string_view body) {
  return ParseCopyResult(body, "UploadPartCopy", "CopyPartResult");
}

Result<ParsedDeleteResult> ParseDeleteResult(std::string_view body) {
  constexpr std::string_view kRoot = "DeleteResult";
  pugi::xml_document doc;
  TL_ASSIGN_OR_RETURN(pugi::xml_node root, LoadRoot(doc, body, "DeleteObjects", kRoot));
  FieldReader r(kRoot);
  ParsedDeleteResult result;
  for (pugi::xml_node child : Elements(root)) {
    const std::string_view name = LocalName(child);
    if (name == "Deleted") {
      ParsedDeleted& deleted = result.deleted.emplace_back();
      bool has_key = false;
      for (pugi::xml_node field : Elements(child)) {
        const std::string_view field_name = LocalName(field);
        if (field_name == "Key") {
          has_key = true;
          r.Verbatim(field, deleted.key);
        } else if (field_name == "VersionId") {
          r.Token(field, deleted.version_id);
        } else if (field_name == "DeleteMarker") {
          r.Bool(field, deleted.delete_marker);
        } else if (field_name == "DeleteMarkerVersionId") {
          r.Token(field, deleted.delete_marker_version_id);
        }
      }
      if (!has_key) r.Fail("a <Deleted> has no <Key>");
    } else if (name == "Error") {
      ParsedDeleteError& error = result.errors.emplace_back();
      bool has_key = false;
      for (pugi::xml_node field : Elements(child)) {
        const std::string_view field_name = LocalName(field);
        if (field_name == "Key") {
          has_key = true;
          r.Verbatim(field, error.key);
        } else if (field_name == "VersionId") {
          r.Token(field, error.version_id);
        } else if (field_name == "Code") {
          r.Token(field, error.code);
        } else if (field_name == "Message") {
          r.Token(field, error.message);
        }
      }
      if (!has_key) r.Fail("an <Error> has no <Key>");
    }
  }
  if (!r.ok()) return Error(r.status());
  return result;
}

Result<ParsedPartList> ParseListPartsResult(std::string_view body) {
  constexpr std::string_view kRoot = "ListPartsResult";
  pugi::xml_document doc;
  TL_ASSIGN_OR_RETURN(pugi::xml_node root, LoadRoot(doc, body, "ListParts", kRoot));
  FieldReader r(kRoot);
  ParsedPartList list;
  for (pugi::xml_node child : Elements(root)) {
    const std::string_view name = LocalName(child);
    if (name == "Part") {
      list.parts.push_back(ReadPart(child, r));
    } else if (name == "Bucket") {
      r.Token(child, list.bucket);
    } else if (name == "Key") {
      r.Verbatim(child, list.key);
    } else if (name == "UploadId") {
      r.Token(child, list.upload_id);
    } else if (name == "PartNumberMarker") {
      r.Number(child, list.part_number_marker);
    } else if (name == "NextPartNumberMarker") {
      r.Number(child, list.next_part_number_marker);
    } else if (name == "MaxParts") {
      r.Number(child, list.max_parts);
    } else if (name == "IsTruncated") {
      r.Bool(child, list.is_truncated);
    } else if (name == "Initiator") {
      list.initiator = ReadUser(child);
    } else if (name == "Owner") {
      list.owner = ReadUser(child);
    } else if (name == "StorageClass") {
      r.Token(child, list.storage_class);
    } else if (name == "ChecksumAlgorithm") {
      r.Token(child, list.checksum_algorithm);
    } else if (name == "ChecksumType") {
      r.Token(child, list.checksum_type);
    }
  }
  if (!r.ok()) return Error(r.status());
  return list;
}

Result<ParsedUploadList> ParseListMultipartUploadsResult(std::string_view body) {
  constexpr std::string_view kRoot = "ListMultipartUploadsResult";
  pugi::xml_document doc;
  TL_ASSIGN_OR_RETURN(pugi::xml_node root, LoadRoot(doc, body, "ListMultipartUploads", kRoot));
  FieldReader r(kRoot);
  ParsedUploadList list;
  if (IsUrlEncoded(root)) {
    list.encoding_type = "url";
    r.set_url_encoded(true);
  }
  for (pugi::xml_node child : Elements(root)) {
    const std::string_view name = LocalName(child);
    if (name == "Upload") {
      list.uploads.push_back(ReadUpload(child, r));
    } else if (name == "CommonPrefixes") {
      ReadCommonPrefixes(child, r, list.common_prefixes);
    } else if (name == "Bucket") {
      r.Token(child, list.bucket);
    } else if (name == "Prefix") {
      r.KeyLike(child, list.prefix);
    } else if (name == "Delimiter") {
      r.KeyLike(child, list.delimiter);
    } else if (name == "KeyMarker") {
      r.KeyLike(child, list.key_marker);
    } else if (name == "UploadIdMarker") {
      r.Token(child, list.upload_id_marker);
    } else if (name == "NextKeyMarker") {
      r.KeyLike(child, list.next_key_marker);
    } else if (name == "NextUploadIdMarker") {
      r.Token(child, list.next_upload_id_marker);
    } else if (name == "MaxUploads") {
      r.Number(child, list.max_uploads);
    } else if (name == "IsTruncated") {
      r.Bool(child, list.is_truncated);
    }
  }
  if (!r.ok()) return Error(r.status());
  return list;
}

Result<std::string> ParseLocationConstraint(std::string_view body) {
  constexpr std::string_view kRoot = "LocationConstraint";
  pugi::xml_document doc;
  TL_ASSIGN_OR_RETURN(pugi::xml_node root, LoadRoot(doc, body, "GetBucketLocation", kRoot));
  std::string region(Trim(TextOf(root)));
  if (region.empty()) return std::string("us-east-1");
  if (region == "EU") return std::string("eu-west-1");
  return region;
}

}  // namespace trainload::s3
