#include "s3/request_xml.h"

#include <charconv>
#include <initializer_list>
#include <pugixml.hpp>

#include "s3/error_code.h"

namespace trainload::s3 {
namespace {

// parse_ws_pcdata_single keeps the text of <Key> </Key> (a key of one space) while still
// dropping the whitespace between elements; parse_fragment keeps stray text outside the root
// so that "<Delete/>junk" can be rejected instead of silently truncated.
constexpr unsigned kParseOptions =
    pugi::parse_default | pugi::parse_ws_pcdata_single | pugi::parse_fragment;

std::string Cat(std::initializer_list<std::string_view> pieces) {
  std::string out;
  for (std::string_view piece : pieces) out.append(piece);
  return out;
}

Status Malformed(std::string_view operation, std::string_view what) {
  return MakeError(ErrorCode::kMalformedXML, Cat({operation, ": ", what}));
}

bool IsXmlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsXmlSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsXmlSpace(text.back())) text.remove_suffix(1);
  return text;
}

bool IsBlank(std::string_view text) { return Trim(text).empty(); }

// Element names compare without their namespace prefix ("s3:Part" is "Part").
std::string_view LocalName(const pugi::xml_node& node) {
  std::string_view name = node.name();
  const size_t colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// Quoted values are shown in messages; keep them short so a hostile body cannot make the
// error message (and the log line) huge.
std::string Shown(std::string_view value) {
  constexpr size_t kMaxShown = 64;
  if (value.size() <= kMaxShown) return std::string(value);
  return std::string(value.substr(0, kMaxShown)) + "...";
}

// pugixml decodes &#0; into a NUL that ends its C strings, which would cut a key short without
// any error. XML forbids that character, so such a body is rejected up front.
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

// Parses `body` into `doc` and returns its single root element, which must be named `root`.
Result<pugi::xml_node> LoadRoot(pugi::xml_document& doc, std::string_view body,
                                std::string_view operation, std::string_view root) {
  if (body.find('\0') != std::string_view::npos) {
    return Error(Malformed(operation, "the body contains a NUL byte"));
  }
  if (HasNulCharacterReference(body)) {
    return Error(Malformed(operation, "the body contains a character reference to NUL"));
  }
  const pugi::xml_parse_result parsed =
      doc.load_buffer(body.data(), body.size(), kParseOptions, pugi::encoding_auto);
  if (!parsed) {
    return Error(
        Malformed(operation, Cat({"the body is not well-formed XML (", parsed.description(),
                                  " at byte ", std::to_string(parsed.offset), ")"})));
  }
  pugi::xml_node found;
  for (pugi::xml_node node : doc.children()) {
    if (node.type() == pugi::node_element) {
      if (found) return Error(Malformed(operation, "the body has more than one root element"));
      found = node;
    } else if ((node.type() == pugi::node_pcdata || node.type() == pugi::node_cdata) &&
               !IsBlank(node.value())) {
      return Error(Malformed(operation, "the body has text outside the root element"));
    }
  }
  if (!found) return Error(Malformed(operation, "the body has no root element"));
  if (LocalName(found) != root) {
    return Error(Malformed(operation, Cat({"the root element is <", Shown(found.name()),
                                           ">, expected <", root, ">"})));
  }
  return found;
}

// The character data of `element` (all text and CDATA children joined); an element child where
// text belongs is an error.
Result<std::string> TextOf(const pugi::xml_node& element, std::string_view operation) {
  std::string text;
  for (pugi::xml_node child : element.children()) {
    switch (child.type()) {
      case pugi::node_pcdata:
      case pugi::node_cdata:
        text.append(child.value());
        break;
      case pugi::node_element:
        return Error(
            Malformed(operation, Cat({"<", LocalName(element), "> must hold text, not element <",
                                      Shown(child.name()), ">"})));
      default:
        break;
    }
  }
  return text;
}

// Stores the text of a single-valued element into `slot`, rejecting a second occurrence.
Status TakeOnce(const pugi::xml_node& element, std::string_view operation,
                std::optional<std::string>& slot) {
  if (slot.has_value()) {
    return Malformed(operation, Cat({"<", LocalName(element), "> appears more than once in <",
                                     LocalName(element.parent()), ">"}));
  }
  auto text = TextOf(element, operation);
  if (!text.has_value()) return text.error();
  slot = std::move(*text);
  return Status::Ok();
}

std::string StripQuotes(std::string_view etag) {
  etag = Trim(etag);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

Result<uint32_t> ParsePartNumber(std::string_view text, std::string_view operation) {
  const std::string_view digits = Trim(text);
  uint32_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size()) {
    return Error(Malformed(operation, Cat({"PartNumber '", Shown(text), "' is not a number"})));
  }
  return value;
}

Result<CompletedPart> ParsePart(const pugi::xml_node& part, std::string_view operation) {
  std::optional<std::string> number;
  std::optional<std::string> etag;
  CompletedPart result;
  for (pugi::xml_node child : part.children()) {
    if (child.type() != pugi::node_element) continue;
    const std::string_view name = LocalName(child);
    if (name == "PartNumber") {
      TL_RETURN_IF_ERROR(TakeOnce(child, operation, number));
    } else if (name == "ETag") {
      TL_RETURN_IF_ERROR(TakeOnce(child, operation, etag));
    } else if (name.starts_with("Checksum")) {
      for (const auto& [existing, value] : result.checksums) {
        if (existing == name) {
          return Error(
              Malformed(operation, Cat({"<", name, "> appears more than once in <Part>"})));
        }
      }
      TL_ASSIGN_OR_RETURN(std::string value, TextOf(child, operation));
      result.checksums.emplace_back(std::string(name), std::string(Trim(value)));
    }
  }
  if (!number.has_value()) return Error(Malformed(operation, "a <Part> has no <PartNumber>"));
  TL_ASSIGN_OR_RETURN(result.part_number, ParsePartNumber(*number, operation));
  if (etag.has_value()) result.etag = StripQuotes(*etag);
  return result;
}

Result<bool> ParseQuiet(std::string_view text, std::string_view operation) {
  const std::string_view value = Trim(text);
  auto equals_ignoring_case = [&](std::string_view word) {
    if (value.size() != word.size()) return false;
    for (size_t i = 0; i < value.size(); ++i) {
      const char c =
          value[i] >= 'A' && value[i] <= 'Z' ? static_cast<char>(value[i] + 32) : value[i];
      if (c != word[i]) return false;
    }
    return true;
  };
  if (equals_ignoring_case("true") || value == "1") return true;
  if (equals_ignoring_case("false") || value == "0") return false;
  return Error(Malformed(operation, Cat({"Quiet '", Shown(text), "' is not true or false"})));
}

Result<ObjectToDelete> ParseObject(const pugi::xml_node& object, std::string_view operation) {
  std::optional<std::string> key;
  std::optional<std::string> version_id;
  std::optional<std::string> etag;
  for (pugi::xml_node child : object.children()) {
    if (child.type() != pugi::node_element) continue;
    const std::string_view name = LocalName(child);
    if (name == "Key") {
      TL_RETURN_IF_ERROR(TakeOnce(child, operation, key));
    } else if (name == "VersionId") {
      TL_RETURN_IF_ERROR(TakeOnce(child, operation, version_id));
    } else if (name == "ETag") {
      TL_RETURN_IF_ERROR(TakeOnce(child, operation, etag));
    }
  }
  if (!key.has_value()) return Error(Malformed(operation, "an <Object> has no <Key>"));
  ObjectToDelete result;
  result.key = std::move(*key);
  if (version_id.has_value()) result.version_id = std::move(*version_id);
  if (etag.has_value()) result.etag = StripQuotes(*etag);
  return result;
}

// Reads the text children of a container such as <Location><Name/><Type/></Location>.
Status ReadPair(const pugi::xml_node& container, std::string_view operation,
                std::string_view first_name, std::string& first, std::string_view second_name,
                std::string& second) {
  std::optional<std::string> a;
  std::optional<std::string> b;
  for (pugi::xml_node child : container.children()) {
    if (child.type() != pugi::node_element) continue;
    if (LocalName(child) == first_name) {
      TL_RETURN_IF_ERROR(TakeOnce(child, operation, a));
    } else if (LocalName(child) == second_name) {
      TL_RETURN_IF_ERROR(TakeOnce(child, operation, b));
    }
  }
  if (a.has_value()) first = std::string(Trim(*a));
  if (b.has_value()) second = std::string(Trim(*b));
  return Status::Ok();
}

}  // namespace

Result<std::vector<CompletedPart>> ParseCompleteMultipartUpload(std::string_view body) {
  constexpr std::string_view kOperation = "CompleteMultipartUpload";
  pugi::xml_document doc;
  TL_ASSIGN_OR_RETURN(pugi::xml_node root,
                      LoadRoot(doc, body, kOperation, "CompleteMultipartUpload"));
  std::vector<CompletedPart> parts;
  for (pugi::xml_node child : root.children()) {
    if (child.type() != pugi::node_element || LocalName(child) != "Part") continue;
    if (parts.size() == kMaxCompletedParts) {
      return Error(
          Malformed(kOperation, Cat({"more than ", std::to_string(kMaxCompletedParts), " parts"})));
    }
    TL_ASSIGN_OR_RETURN(CompletedPart part, ParsePart(child, kOperation));
    parts.push_back(std::move(part));
  }
  if (parts.empty()) return Error(Malformed(kOperation, "the body lists no <Part>"));
  return parts;
}

Result<DeleteRequest> ParseDelete(std::string_view body) {
  constexpr std::string_view kOperation = "DeleteObjects";
  pugi::xml_document doc;
  TL_ASSIGN_OR_RETURN(pugi::xml_node root, LoadRoot(doc, body, kOperation, "Delete"));
  DeleteRequest request;
  std::optional<std::string> quiet;
  for (pugi::xml_node child : root.children()) {
    if (child.type() != pugi::node_element) continue;
    const std::string_view name = LocalName(child);
    if (name == "Quiet") {
      TL_RETURN_IF_ERROR(TakeOnce(child, kOperation, quiet));
    } else if (name == "Object") {
      if (request.objects.size() == kMaxDeleteObjects) {
        return Error(Malformed(kOperation,
                               Cat({"more than ", std::to_string(kMaxDeleteObjects), " objects"})));
      }
      TL_ASSIGN_OR_RETURN(ObjectToDelete object, ParseObject(child, kOperation));
      request.objects.push_back(std::move(object));
    }
  }
  if (request.objects.empty()) return Error(Malformed(kOperation, "the body lists no <Object>"));
  if (quiet.has_value()) {
    TL_ASSIGN_OR_RETURN(request.quiet, ParseQuiet(*quiet, kOperation));
  }
  return request;
}

Result<CreateBucketConfiguration> ParseCreateBucketConfiguration(std::string_view body) {
  constexpr std::string_view kOperation = "CreateBucket";
  CreateBucketConfiguration config;
  if (IsBlank(body)) return config;
  pugi::xml_document doc;
  TL_ASSIGN_OR_RETURN(pugi::xml_node root,
                      LoadRoot(doc, body, kOperation, "CreateBucketConfiguration"));
  std::optional<std::string> location_constraint;
  bool seen_location = false;
  bool seen_bucket = false;
  for (pugi::xml_node child : root.children()) {
    if (child.type() != pugi::node_element) continue;
    const std::string_view name = LocalName(child);
    if (name == "LocationConstraint") {
      TL_RETURN_IF_ERROR(TakeOnce(child, kOperation, location_constraint));
    } else if (name == "Location") {
      if (seen_location) return Error(Malformed(kOperation, "<Location> appears more than once"));
      seen_location = true;
      TL_RETURN_IF_ERROR(
          ReadPair(child, kOperation, "Name", config.location_name, "Type", config.location_type));
    } else if (name == "Bucket") {
      if (seen_bucket) return Error(Malformed(kOperation, "<Bucket> appears more than once"));
      seen_bucket = true;
      TL_RETURN_IF_ERROR(ReadPair(child, kOperation, "DataRedundancy", config.data_redundancy,
                                  "Type", config.bucket_type));
    }
  }
  if (location_constraint.has_value()) {
    config.location_constraint = std::string(Trim(*location_constraint));
  }
  return config;
}

Result<std::string> ParseVersioningStatus(std::string_view body) {
  constexpr std::string_view kOperation = "PutBucketVersioning";
  pugi::xml_document doc;
  TL_ASSIGN_OR_RETURN(pugi::xml_node root,
                      LoadRoot(doc, body, kOperation, "VersioningConfiguration"));
  std::optional<std::string> status;
  for (pugi::xml_node child : root.children()) {
    if (child.type() == pugi::node_element && LocalName(child) == "Status") {
      TL_RETURN_IF_ERROR(TakeOnce(child, kOperation, status));
    }
  }
  if (!status.has_value()) return Error(Malformed(kOperation, "the body has no <Status>"));
  const std::string_view value = Trim(*status);
  if (value != "Enabled" && value != "Suspended") {
    return Error(
        Malformed(kOperation, Cat({"Status '", Shown(*status), "' is not Enabled or Suspended"})));
  }
  return std::string(value);
}

}  // namespace trainload::s3
