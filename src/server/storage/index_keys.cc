#include "server/storage/index_keys.h"

namespace trainload::storage {
namespace {

constexpr char kMetaTag = 'M';
constexpr char kBucketTag = 'B';
constexpr char kObjectTag = 'O';
constexpr char kUploadTag = 'U';
constexpr char kPartTag = 'P';
constexpr char kFileRefTag = 'F';
constexpr char kGarbageTag = 'G';

// 00 is the only byte that needs escaping: 00 FF stands for a key byte 00 and 00 01 ends the
// key. A key that is a proper prefix of another ends with 00 01, which sorts below both 00 FF
// (the longer key continues with 00) and any byte >= 01, so byte order of keys is preserved.
constexpr char kEscape = '\x00';
constexpr char kEscapedZero = '\xff';
constexpr char kTerminator = '\x01';

std::string Tagged(char tag, std::string_view rest) {
  std::string row;
  row.reserve(1 + rest.size());
  row.push_back(tag);
  row.append(rest);
  return row;
}

std::string BucketScoped(char tag, std::string_view bucket) {
  std::string row;
  row.reserve(2 + bucket.size());
  row.push_back(tag);
  row.push_back(static_cast<char>(static_cast<uint8_t>(bucket.size())));
  row.append(bucket);
  return row;
}

}  // namespace

std::string MetaRow(std::string_view name) { return Tagged(kMetaTag, name); }

std::string BucketRow(std::string_view bucket) { return Tagged(kBucketTag, bucket); }
std::string BucketRowPrefix() { return std::string(1, kBucketTag); }

std::string ObjectRow(std::string_view bucket, std::string_view key) {
  std::string row = BucketScoped(kObjectTag, bucket);
  row.append(key);
  return row;
}
std::string ObjectRowPrefix(std::string_view bucket) { return BucketScoped(kObjectTag, bucket); }
bool IsObjectRow(std::string_view row) { return !row.empty() && row.front() == kObjectTag; }

std::string EscapeKeyForUploadRow(std::string_view key) {
  std::string out;
  out.reserve(key.size() + 2);
  for (char c : key) {
    out.push_back(c);
    if (c == kEscape) out.push_back(kEscapedZero);
  }
  return out;
}

std::string UploadRow(std::string_view bucket, std::string_view key, std::string_view upload_id) {
  std::string row = UploadRowExactKeyPrefix(bucket, key);
  row.append(upload_id);
  return row;
}
std::string UploadRowPrefix(std::string_view bucket) { return BucketScoped(kUploadTag, bucket); }
std::string UploadRowKeyPrefix(std::string_view bucket, std::string_view key_prefix) {
  return UploadRowPrefix(bucket) + EscapeKeyForUploadRow(key_prefix);
}
std::string UploadRowExactKeyPrefix(std::string_view bucket, std::string_view key) {
  std::string row = UploadRowKeyPrefix(bucket, key);
  row.push_back(kEscape);
  row.push_back(kTerminator);
  return row;
}

std::optional<UploadRowParts> ParseUploadRowSuffix(std::string_view suffix) {
  UploadRowParts parts;
  for (size_t i = 0; i < suffix.size(); ++i) {
    if (suffix[i] != kEscape) {
      parts.key.push_back(suffix[i]);
      continue;
    }
    if (i + 1 >= suffix.size()) return std::nullopt;
    if (suffix[i + 1] == kEscapedZero) {
      parts.key.push_back('\0');
      ++i;
    } else if (suffix[i + 1] == kTerminator) {
      parts.upload_id = std::string(suffix.substr(i + 2));
      return parts;
    } else {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::string PartRow(std::string_view upload_id, uint32_t part_number) {
  std::string row = PartRowPrefix(upload_id);
  // Big-endian so that rows sort by part number.
  for (int shift = 24; shift >= 0; shift -= 8) {
    row.push_back(static_cast<char>((part_number >> shift) & 0xff));
  }
  return row;
}
std::string PartRowPrefix(std::string_view upload_id) {
  // Upload ids have a fixed length (object_store.h), so no id is a prefix of another.
  return Tagged(kPartTag, upload_id);
}
std::optional<uint32_t> ParsePartRowSuffix(std::string_view suffix) {
  if (suffix.size() != 4) return std::nullopt;
  uint32_t n = 0;
  for (char c : suffix) n = (n << 8) | static_cast<uint8_t>(c);
  return n;
}

std::string FileRefRow(std::string_view file_id) { return Tagged(kFileRefTag, file_id); }
std::string GarbageRow(std::string_view unique_id) { return Tagged(kGarbageTag, unique_id); }
std::string GarbageRowPrefix() { return std::string(1, kGarbageTag); }

std::string PrefixSuccessor(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    auto last = static_cast<uint8_t>(s.back());
    if (last != 0xff) {
      s.back() = static_cast<char>(last + 1);
      return s;
    }
    s.pop_back();
  }
  return s;
}

}  // namespace trainload::storage
