// S3 "flexible checksums": the five algorithms a request may name in `x-amz-checksum-<name>`
// (CRC32, CRC32C, CRC64NVME, SHA1, SHA256), their names, sizes and a streaming computer.
//
// A digest is handled here as raw bytes, big-endian for the CRCs, exactly the bytes whose base64
// (common/encoding.h Base64Encode) goes on the wire: CRC32 of "hello world" is 0x0D4A1185, raw
// "\x0d\x4a\x11\x85", header value "DUoRhQ==".
//
// The CRC functions follow zlib's crc32() convention: start with 0, pass the previous result to
// continue; the initial and final inversions are applied inside, so chained calls give the CRC of
// the concatenation. The Combine functions give CRC(A||B) from CRC(A), CRC(B) and |B| in
// O(log |B|), which is how full-object CRCs of multipart uploads and appends are built without
// rereading data.
//
// Free functions are pure and thread-safe. A Checksummer is not thread-safe: use one per stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/crc64nvme.h"

namespace trainload {

enum class ChecksumAlgorithm { kCrc32, kCrc32c, kCrc64Nvme, kSha1, kSha256 };

// "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256" (as in x-amz-sdk-checksum-algorithm and the
// XML ChecksumAlgorithm element).
std::string_view ChecksumName(ChecksumAlgorithm algorithm);
// Case-insensitive inverse of ChecksumName; nullopt for any other text.
std::optional<ChecksumAlgorithm> ChecksumFromName(std::string_view name);

// "x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-crc64nvme",
// "x-amz-checksum-sha1", "x-amz-checksum-sha256".
std::string_view ChecksumHeaderName(ChecksumAlgorithm algorithm);
// Case-insensitive inverse of ChecksumHeaderName; nullopt for any other header (including
// x-amz-checksum-type and x-amz-checksum-mode, which carry no digest).
std::optional<ChecksumAlgorithm> ChecksumFromHeaderName(std::string_view header);

// Raw digest size in bytes: 4, 4, 8, 20, 32.
size_t ChecksumSize(ChecksumAlgorithm algorithm);
// True for CRC32, CRC32C and CRC64NVME: the ones that can be combined and hence stored as
// full-object checksums of multipart uploads.
bool IsCrc(ChecksumAlgorithm algorithm);

// Computes one algorithm over a stream of buffers. Not thread-safe; one per stream.
class Checksummer {
 public:
  static std::unique_ptr<Checksummer> Create(ChecksumAlgorithm algorithm);
  virtual ~Checksummer();
  Checksummer(const Checksummer&) = delete;
  Checksummer& operator=(const Checksummer&) = delete;

  virtual void Update(std::span<const std::byte> data) = 0;
  void Update(std::string_view data);
  // Returns the raw digest (big-endian for CRCs), ChecksumSize() bytes. The object must not be
  // used after this call.
  virtual std::string Finish() = 0;

  ChecksumAlgorithm algorithm() const { return algorithm_; }

 protected:
  explicit Checksummer(ChecksumAlgorithm algorithm) : algorithm_(algorithm) {}

 private:
  const ChecksumAlgorithm algorithm_;
};

// One-shot: the raw digest of `data`.
std::string ComputeChecksum(ChecksumAlgorithm algorithm, std::string_view data);

// CRC-32 (ISO-HDLC, as zlib's crc32 and gzip): Crc32(0, "123456789", 9) == 0xCBF43926.
uint32_t Crc32(uint32_t crc, const void* data, size_t size);
// CRC-32C (Castagnoli, iSCSI): Crc32c(0, "123456789", 9) == 0xE3069283.
uint32_t Crc32c(uint32_t crc, const void* data, size_t size);
uint32_t Crc32Combine(uint32_t crc1, uint32_t crc2, uint64_t len2);
uint32_t Crc32cCombine(uint32_t crc1, uint32_t crc2, uint64_t len2);

// The raw big-endian digest of A||B from the raw digests of A and B and |B|. nullopt for the SHA
// algorithms (they cannot be combined) and when a digest is not ChecksumSize() bytes.
std::optional<std::string> CombineCrc(ChecksumAlgorithm algorithm, std::string_view raw_a,
                                      std::string_view raw_b, uint64_t len_b);

}  // namespace trainload
