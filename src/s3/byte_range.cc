#include "s3/byte_range.h"

#include <algorithm>
#include <limits>

#include "s3/error_code.h"

namespace trainload::s3 {
namespace {

constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();

std::string_view TrimOws(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

// A non-empty run of decimal digits. Values past 2^64-1 saturate: they are still well-formed
// positions (RFC 9110 sets no limit), simply beyond any object.
std::optional<uint64_t> ParseDecimal(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<uint64_t>(c - '0');
    value = value > (kMaxU64 - digit) / 10 ? kMaxU64 : value * 10 + digit;
  }
  return value;
}

// A bounded, printable copy of client text for messages.
std::string Shown(std::string_view text) {
  constexpr size_t kMaxShown = 100;
  std::string out;
  for (size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    out += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?';
  }
  if (text.size() > kMaxShown) out += "...";
  return out;
}

Status Unsatisfiable(std::string_view header, uint64_t object_size) {
  return MakeError(ErrorCode::kInvalidRange,
                   "The requested range is not satisfiable: Range: " + Shown(header) +
                       " selects no byte of an object of " + std::to_string(object_size) +
                       " bytes");
}

}  // namespace

Result<std::optional<ByteRange>> ResolveRange(std::string_view range_header, uint64_t object_size) {
  const std::string_view value = TrimOws(range_header);
  constexpr std::string_view kUnit = "bytes=";
  if (!StartsWithIgnoreCase(value, kUnit)) return std::nullopt;
  const std::string_view spec = TrimOws(value.substr(kUnit.size()));
  // Several ranges would need multipart/byteranges, which S3 never sends: it ignores the header.
  if (spec.find(',') != std::string_view::npos) return std::nullopt;
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const std::string_view first_text = spec.substr(0, dash);
  const std::string_view last_text = spec.substr(dash + 1);

  if (first_text.empty()) {
    const std::optional<uint64_t> suffix = ParseDecimal(last_text);
    if (!suffix) return std::nullopt;
    if (*suffix == 0 || object_size == 0) return Error(Unsatisfiable(range_header, object_size));
    const uint64_t length = std::min(*suffix, object_size);
    return ByteRange{object_size - length, object_size - 1};
  }

  const std::optional<uint64_t> first = ParseDecimal(first_text);
  if (!first) return std::nullopt;
  uint64_t last = kMaxU64;
  if (!last_text.empty()) {
    const std::optional<uint64_t> parsed_last = ParseDecimal(last_text);
    // RFC 9110 14.1.1: a last position before the first makes the range invalid, so ignored.
    if (!parsed_last || *parsed_last < *first) return std::nullopt;
    last = *parsed_last;
  }
  if (*first >= object_size) return Error(Unsatisfiable(range_header, object_size));
  return ByteRange{*first, std::min(last, object_size - 1)};
}

std::string ContentRange(const ByteRange& range, uint64_t object_size) {
  return "bytes " + std::to_string(range.first) + "-" + std::to_string(range.last) + "/" +
         std::to_string(object_size);
}

std::string UnsatisfiedContentRange(uint64_t object_size) {
  return "bytes */" + std::to_string(object_size);
}

Result<ByteRange> ParseCopySourceRange(std::string_view header, uint64_t source_size) {
  const std::string received = " (x-amz-copy-source-range: " + Shown(header) + ")";
  const auto malformed = [&] {
    return Error(MakeError(ErrorCode::kInvalidArgument,
                           "The x-amz-copy-source-range value must be of the form "
                           "bytes=first-last where first and last are the zero-based offsets "
                           "of the first and last bytes to copy" +
                               received));
  };
  constexpr std::string_view kUnit = "bytes=";
  if (!header.starts_with(kUnit)) return malformed();
  const std::string_view spec = header.substr(kUnit.size());
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return malformed();
  const std::optional<uint64_t> first = ParseDecimal(spec.substr(0, dash));
  const std::optional<uint64_t> last = ParseDecimal(spec.substr(dash + 1));
  if (!first || !last || *last < *first) return malformed();
  if (*last >= source_size) {
    return Error(MakeError(ErrorCode::kInvalidArgument,
                           "Range specified is not valid for source object of size: " +
                               std::to_string(source_size) + received));
  }
  return ByteRange{*first, *last};
}

}  // namespace trainload::s3
