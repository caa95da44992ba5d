// The on-disk format and naming of one block of the disk cache (docs/cache-format.md): pure
// functions that encode a block header, check a block file read back against the id it was
// asked for, and derive the file's path from the id. No I/O.
//
// A block file is a header followed by the block's data. All integers are little-endian:
//
//   offset size
//     0     4   magic "TLBC"
//     4     2   format version (1)
//     6     2   header size in bytes, this field through the header CRC
//     8     8   block size of the cache that wrote it
//    16     8   block index
//    24     4   data length (1 .. block size)
//    28     4   CRC32C of the data
//    32     2   bucket length B
//    34     2   key length K
//    36     2   etag length E
//    38     2   reserved, 0
//    40     B   bucket, then K bytes of key, then E bytes of etag
//  40+B+K+E 4   CRC32C of the header bytes before it
//
// The header size is a function of the id alone (BlockHeaderSize), so a reader knows how many
// bytes to read for the header before it has seen the file.
//
// Path of a block, relative to the cache's version directory: "<h[0:2]>/<h[2:64]>/<index:010>",
// h = lowercase hex SHA-256 of the object (HashObject). Keys are never part of a file name.
//
// All functions are pure and thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "cache/block_cache.h"
#include "common/digest.h"

namespace trainload::cache {

inline constexpr std::string_view kBlockMagic = "TLBC";
inline constexpr uint16_t kBlockFormatVersion = 1;
// The header bytes that do not depend on the id (fixed fields and the trailing header CRC).
inline constexpr size_t kBlockHeaderFixedSize = 44;
// The header size field is 16 bits: ids whose bucket, key and etag add up to more than
// kMaxBlockHeaderSize - kBlockHeaderFixedSize bytes cannot be cached.
inline constexpr size_t kMaxBlockHeaderSize = 0xffff;
// The data length field is 32 bits.
inline constexpr uint64_t kMaxBlockSize = 1ull << 30;

// kBlockHeaderFixedSize + |bucket| + |key| + |etag|.
size_t BlockHeaderSize(const BlockId& id);

// The header of a block of `data_length` bytes whose CRC32C is `data_crc32c`.
// Precondition: BlockHeaderSize(id) <= kMaxBlockHeaderSize.
std::string EncodeBlockHeader(const BlockId& id, uint64_t block_size, uint32_t data_length,
                              uint32_t data_crc32c);

// A decoded header; the strings point into the bytes it was decoded from.
struct BlockHeaderView {
  uint16_t version = 0;
  uint16_t size = 0;  // header bytes, including the header CRC
  uint64_t block_size = 0;
  uint64_t index = 0;
  uint32_t data_length = 0;
  uint32_t data_crc32c = 0;
  std::string_view bucket;
  std::string_view key;
  std::string_view etag;
};

// Decodes the header at the start of `bytes` (the file's first bytes, at least the header).
// nullopt when the magic, version, size or header CRC is wrong or the bytes end early.
std::optional<BlockHeaderView> DecodeBlockHeader(std::span<const std::byte> bytes);

enum class BlockCheck {
  kOk,
  kTruncated,   // the file ends inside the header
  kBadHeader,   // magic, version, size field or header CRC
  kWrongBlock,  // a valid header of another bucket/key/etag/index or block size
  kBadLength,   // the data read is not the length the header says
  kBadDataChecksum,
};
std::string_view BlockCheckName(BlockCheck check);

// Checks a block file read back for `id` by a cache of `block_size`: `header` holds the file's
// first BlockHeaderSize(id) bytes (fewer if the file is shorter) and `data` everything read after
// them, which may run one byte past block_size to catch files that are too long. kOk only when
// the header is intact, names exactly this id and block size, and `data` is exactly the data
// length of the header with a matching CRC32C.
BlockCheck VerifyBlock(const BlockId& id, uint64_t block_size, std::span<const std::byte> header,
                       std::span<const std::byte> data);

// SHA-256 of a version tag and the length-prefixed bucket, key and etag (length prefixes keep
// bucket "ab" + key "c" apart from bucket "a" + key "bc").
using ObjectHash = Sha256Bytes;
ObjectHash HashObject(std::string_view bucket, std::string_view key, std::string_view etag);

// "<h[0:2]>/<h[2:64]>/<index:010>", NUL-terminated in a fixed buffer (no allocation: it is
// built on every read). Indexes above 9,999,999,999 get more digits.
class BlockPath {
 public:
  BlockPath(const ObjectHash& object, uint64_t index);
  const char* c_str() const { return text_.data(); }
  std::string_view view() const { return std::string_view(text_.data(), length_); }
  // "<h[0:2]>" and "<h[0:2]>/<h[2:64]>": the directories the file lives in.
  std::string_view shard_dir() const { return view().substr(0, 2); }
  std::string_view object_dir() const { return view().substr(0, 2 + 1 + 62); }

 private:
  std::array<char, 96> text_{};
  size_t length_ = 0;
};

// The inverse of the path components, for the scan at open: a 2-hex shard name and a 62-hex
// object directory name give the hash; a file name of 10 or more decimal digits gives an index.
// nullopt for anything else (upper case hex, wrong lengths, other characters).
std::optional<ObjectHash> ParseObjectDir(std::string_view shard, std::string_view name);
std::optional<uint64_t> ParseBlockFileName(std::string_view name);

}  // namespace trainload::cache
