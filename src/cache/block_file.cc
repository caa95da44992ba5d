#include "cache/block_file.h"

#include <cstring>

#include "common/checksum.h"

namespace trainload::cache {
namespace {

constexpr char kHex[] = "0123456789abcdef";
// Tags the hash so that a future format with other hash inputs gets other paths.
constexpr std::string_view kHashTag = "trainload-block-cache-v1";

void Put16(char* p, uint16_t v) {
  p[0] = static_cast<char>(v);
  p[1] = static_cast<char>(v >> 8);
}
void Put32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
void Put64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
uint16_t Get16(const unsigned char* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t Get32(const unsigned char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
uint64_t Get64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Offsets of the fixed fields (see the table in block_file.h).
constexpr size_t kVersionAt = 4;
constexpr size_t kSizeAt = 6;
constexpr size_t kBlockSizeAt = 8;
constexpr size_t kIndexAt = 16;
constexpr size_t kDataLengthAt = 24;
constexpr size_t kDataCrcAt = 28;
constexpr size_t kBucketLengthAt = 32;
constexpr size_t kKeyLengthAt = 34;
constexpr size_t kEtagLengthAt = 36;
constexpr size_t kNamesAt = 40;

}  // namespace

size_t BlockHeaderSize(const BlockId& id) {
  return kBlockHeaderFixedSize + id.bucket.size() + id.key.size() + id.etag.size();
}

std::string EncodeBlockHeader(const BlockId& id, uint64_t block_size, uint32_t data_length,
                              uint32_t data_crc32c) {
  const size_t size = BlockHeaderSize(id);
  std::string header(size, '\0');
  char* p = header.data();
  std::memcpy(p, kBlockMagic.data(), kBlockMagic.size());
  Put16(p + kVersionAt, kBlockFormatVersion);
  Put16(p + kSizeAt, static_cast<uint16_t>(size));
  Put64(p + kBlockSizeAt, block_size);
  Put64(p + kIndexAt, id.index);
  Put32(p + kDataLengthAt, data_length);
  Put32(p + kDataCrcAt, data_crc32c);
  Put16(p + kBucketLengthAt, static_cast<uint16_t>(id.bucket.size()));
  Put16(p + kKeyLengthAt, static_cast<uint16_t>(id.key.size()));
  Put16(p + kEtagLengthAt, static_cast<uint16_t>(id.etag.size()));
  char* names = p + kNamesAt;
  std::memcpy(names, id.bucket.data(), id.bucket.size());
  names += id.bucket.size();
  std::memcpy(names, id.key.data(), id.key.size());
  names += id.key.size();
  std::memcpy(names, id.etag.data(), id.etag.size());
  Put32(p + size - 4, Crc32c(0, p, size - 4));
  return header;
}

std::optional<BlockHeaderView> DecodeBlockHeader(std::span<const std::byte> bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < kBlockHeaderFixedSize) return std::nullopt;
  if (std::memcmp(p, kBlockMagic.data(), kBlockMagic.size()) != 0) return std::nullopt;
  BlockHeaderView h;
  h.version = Get16(p + kVersionAt);
  h.size = Get16(p + kSizeAt);
  if (h.version != kBlockFormatVersion) return std::nullopt;
  if (h.size < kBlockHeaderFixedSize || h.size > bytes.size()) return std::nullopt;
  const size_t bucket_length = Get16(p + kBucketLengthAt);
  const size_t key_length = Get16(p + kKeyLengthAt);
  const size_t etag_length = Get16(p + kEtagLengthAt);
  if (kBlockHeaderFixedSize + bucket_length + key_length + etag_length != h.size) {
    return std::nullopt;
  }
  // The CRC is checked before any length is trusted further.
  if (Crc32c(0, p, h.size - 4) != Get32(p + h.size - 4)) return std::nullopt;
  h.block_size = Get64(p + kBlockSizeAt);
  h.index = Get64(p + kIndexAt);
  h.data_length = Get32(p + kDataLengthAt);
  h.data_crc32c = Get32(p + kDataCrcAt);
  const char* names = reinterpret_cast<const char*>(p + kNamesAt);
  h.bucket = std::string_view(names, bucket_length);
  h.key = std::string_view(names + bucket_length, key_length);
  h.etag = std::string_view(names + bucket_length + key_length, etag_length);
  return h;
}

std::string_view BlockCheckName(BlockCheck check) {
  switch (check) {
    case BlockCheck::kOk:
      return "ok";
    case BlockCheck::kTruncated:
      return "truncated header";
    case BlockCheck::kBadHeader:
      return "bad header";
    case BlockCheck::kWrongBlock:
      return "header of another block";
    case BlockCheck::kBadLength:
      return "wrong data length";
    case BlockCheck::kBadDataChecksum:
      return "data CRC32C mismatch";
  }
  return "unknown";
}

BlockCheck VerifyBlock(const BlockId& id, uint64_t block_size, std::span<const std::byte> header,
                       std::span<const std::byte> data) {
  const size_t expected_size = BlockHeaderSize(id);
  if (header.size() < expected_size) return BlockCheck::kTruncated;
  std::optional<BlockHeaderView> h = DecodeBlockHeader(header.first(expected_size));
  if (!h) return BlockCheck::kBadHeader;
  if (h->size != expected_size || h->bucket != id.bucket || h->key != id.key ||
      h->etag != id.etag || h->index != id.index || h->block_size != block_size) {
    return BlockCheck::kWrongBlock;
  }
  if (h->data_length == 0 || h->data_length > block_size || h->data_length != data.size()) {
    return BlockCheck::kBadLength;
  }
  if (Crc32c(0, data.data(), data.size()) != h->data_crc32c) return BlockCheck::kBadDataChecksum;
  return BlockCheck::kOk;
}

ObjectHash HashObject(std::string_view bucket, std::string_view key, std::string_view etag) {
  std::string input;
  input.reserve(kHashTag.size() + 12 + bucket.size() + key.size() + etag.size());
  input.append(kHashTag);
  for (std::string_view part : {bucket, key, etag}) {
    char length[4];
    Put32(length, static_cast<uint32_t>(part.size()));
    input.append(length, 4);
    input.append(part);
  }
  return Sha256(input);
}

BlockPath::BlockPath(const ObjectHash& object, uint64_t index) {
  char* p = text_.data();
  for (size_t i = 0; i < object.size(); ++i) {
    *p++ = kHex[object[i] >> 4];
    *p++ = kHex[object[i] & 0xf];
    if (i == 0) *p++ = '/';
  }
  *p++ = '/';
  char digits[20];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + index % 10);
    index /= 10;
  } while (index != 0);
  for (int i = n; i < 10; ++i) *p++ = '0';
  while (n > 0) *p++ = digits[--n];
  *p = '\0';
  length_ = static_cast<size_t>(p - text_.data());
}

std::optional<ObjectHash> ParseObjectDir(std::string_view shard, std::string_view name) {
  if (shard.size() != 2 || name.size() != 62) return std::nullopt;
  char hex[64];
  std::memcpy(hex, shard.data(), 2);
  std::memcpy(hex + 2, name.data(), 62);
  ObjectHash hash;
  for (size_t i = 0; i < hash.size(); ++i) {
    int hi = HexValue(hex[2 * i]);
    int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    hash[i] = static_cast<uint8_t>((hi << 4) | lo);
  }
  return hash;
}

std::optional<uint64_t> ParseBlockFileName(std::string_view name) {
  if (name.size() < 10 || name.size() > 20) return std::nullopt;
  uint64_t value = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  // Only the spelling BlockPath writes: exactly 10 digits, or more without a leading zero.
  if (name.size() > 10 && name[0] == '0') return std::nullopt;
  return value;
}

}  // namespace trainload::cache
