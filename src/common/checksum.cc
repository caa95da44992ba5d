#include "common/checksum.h"

#include <isa-l/crc.h>

#include <algorithm>
#include <array>
#include <climits>

#include "common/digest.h"

namespace trainload {
namespace {

struct AlgorithmInfo {
  ChecksumAlgorithm algorithm;
  std::string_view name;
  std::string_view header;
  size_t size;
};

constexpr std::array<AlgorithmInfo, 5> kAlgorithms = {{
    {ChecksumAlgorithm::kCrc32, "CRC32", "x-amz-checksum-crc32", 4},
    {ChecksumAlgorithm::kCrc32c, "CRC32C", "x-amz-checksum-crc32c", 4},
    {ChecksumAlgorithm::kCrc64Nvme, "CRC64NVME", "x-amz-checksum-crc64nvme", 8},
    {ChecksumAlgorithm::kSha1, "SHA1", "x-amz-checksum-sha1", 20},
    {ChecksumAlgorithm::kSha256, "SHA256", "x-amz-checksum-sha256", 32},
}};

constexpr bool TableMatchesEnumOrder() {
  for (size_t i = 0; i < kAlgorithms.size(); ++i) {
    if (static_cast<size_t>(kAlgorithms[i].algorithm) != i) return false;
  }
  return true;
}
static_assert(TableMatchesEnumOrder(), "Info() indexes kAlgorithms by enum value");

const AlgorithmInfo& Info(ChecksumAlgorithm algorithm) {
  return kAlgorithms[static_cast<size_t>(algorithm)];
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return lower(x) == lower(y);
  });
}

template <typename UInt>
std::string ToBigEndian(UInt value) {
  std::string out(sizeof(UInt), '\0');
  for (size_t i = 0; i < sizeof(UInt); ++i) {
    out[sizeof(UInt) - 1 - i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  return out;
}

template <typename UInt>
UInt FromBigEndian(std::string_view bytes) {
  UInt value = 0;
  for (char c : bytes) value = static_cast<UInt>((value << 8) | static_cast<unsigned char>(c));
  return value;
}

// x^n mod P arithmetic for the 32-bit reflected CRCs (bit j holds the coefficient of x^(31-j)),
// the same scheme as Crc64NvmeCombine: CRC(A||B) = CRC(A) * x^(8|B|) + CRC(B) mod P, because the
// all-ones init and xorout cancel. Written once for both polynomials so that lengths beyond
// zlib's z_off_t need no special case.
constexpr uint32_t MultiplyMod32(uint32_t a, uint32_t b, uint32_t poly) {
  uint32_t product = 0;
  for (uint32_t mask = uint32_t{1} << 31; mask != 0 && a != 0; mask >>= 1) {
    if ((a & mask) != 0) {
      product ^= b;
      a ^= mask;
    }
    b = (b >> 1) ^ ((b & 1) ? poly : 0);
  }
  return product;
}

constexpr std::array<uint32_t, 67> MakeXPow2Table(uint32_t poly) {
  std::array<uint32_t, 67> table{};  // table[k] = x^(2^k) mod P
  table[0] = uint32_t{1} << 30;      // x^1
  for (size_t k = 1; k < table.size(); ++k) {
    table[k] = MultiplyMod32(table[k - 1], table[k - 1], poly);
  }
  return table;
}

constexpr uint32_t kCrc32Poly = 0xEDB88320;   // reflected 0x04C11DB7
constexpr uint32_t kCrc32cPoly = 0x82F63B78;  // reflected 0x1EDC6F41
constexpr std::array<uint32_t, 67> kCrc32XPow2 = MakeXPow2Table(kCrc32Poly);
constexpr std::array<uint32_t, 67> kCrc32cXPow2 = MakeXPow2Table(kCrc32cPoly);

uint32_t Combine32(uint32_t crc1, uint32_t crc2, uint64_t len2, uint32_t poly,
                   const std::array<uint32_t, 67>& xpow2) {
  uint32_t shift = uint32_t{1} << 31;  // x^0
  for (size_t k = 0; len2 != 0; ++k, len2 >>= 1) {
    if ((len2 & 1) != 0) shift = MultiplyMod32(shift, xpow2[k + 3], poly);
  }
  return MultiplyMod32(crc1, shift, poly) ^ crc2;
}

const unsigned char* Bytes(const void* data) { return static_cast<const unsigned char*>(data); }

class Crc32Checksummer final : public Checksummer {
 public:
  Crc32Checksummer() : Checksummer(ChecksumAlgorithm::kCrc32) {}
  void Update(std::span<const std::byte> data) override {
    crc_ = Crc32(crc_, data.data(), data.size());
  }
  std::string Finish() override { return ToBigEndian(crc_); }

 private:
  uint32_t crc_ = 0;
};

class Crc32cChecksummer final : public Checksummer {
 public:
  Crc32cChecksummer() : Checksummer(ChecksumAlgorithm::kCrc32c) {}
  void Update(std::span<const std::byte> data) override {
    crc_ = Crc32c(crc_, data.data(), data.size());
  }
  std::string Finish() override { return ToBigEndian(crc_); }

 private:
  uint32_t crc_ = 0;
};

class Crc64NvmeChecksummer final : public Checksummer {
 public:
  Crc64NvmeChecksummer() : Checksummer(ChecksumAlgorithm::kCrc64Nvme) {}
  void Update(std::span<const std::byte> data) override {
    crc_ = Crc64Nvme(crc_, data.data(), data.size());
  }
  std::string Finish() override { return ToBigEndian(crc_); }

 private:
  uint64_t crc_ = 0;
};

class DigestChecksummer final : public Checksummer {
 public:
  DigestChecksummer(ChecksumAlgorithm algorithm, DigestAlgorithm digest)
      : Checksummer(algorithm), digest_(digest) {}
  void Update(std::span<const std::byte> data) override { digest_.Update(data); }
  std::string Finish() override { return digest_.Finish(); }

 private:
  Digest digest_;
};

}  // namespace

std::string_view ChecksumName(ChecksumAlgorithm algorithm) { return Info(algorithm).name; }

std::optional<ChecksumAlgorithm> ChecksumFromName(std::string_view name) {
  for (const AlgorithmInfo& info : kAlgorithms) {
    if (EqualsIgnoreCase(name, info.name)) return info.algorithm;
  }
  return std::nullopt;
}

std::string_view ChecksumHeaderName(ChecksumAlgorithm algorithm) { return Info(algorithm).header; }

std::optional<ChecksumAlgorithm> ChecksumFromHeaderName(std::string_view header) {
  for (const AlgorithmInfo& info : kAlgorithms) {
    if (EqualsIgnoreCase(header, info.header)) return info.algorithm;
  }
  return std::nullopt;
}

size_t ChecksumSize(ChecksumAlgorithm algorithm) { return Info(algorithm).size; }

bool IsCrc(ChecksumAlgorithm algorithm) {
  return algorithm == ChecksumAlgorithm::kCrc32 || algorithm == ChecksumAlgorithm::kCrc32c ||
         algorithm == ChecksumAlgorithm::kCrc64Nvme;
}

std::unique_ptr<Checksummer> Checksummer::Create(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCrc32:
      return std::make_unique<Crc32Checksummer>();
    case ChecksumAlgorithm::kCrc32c:
      return std::make_unique<Crc32cChecksummer>();
    case ChecksumAlgorithm::kCrc64Nvme:
      return std::make_unique<Crc64NvmeChecksummer>();
    case ChecksumAlgorithm::kSha1:
      return std::make_unique<DigestChecksummer>(algorithm, DigestAlgorithm::kSha1);
    case ChecksumAlgorithm::kSha256:
      return std::make_unique<DigestChecksummer>(algorithm, DigestAlgorithm::kSha256);
  }
  return nullptr;
}

Checksummer::~Checksummer() = default;

void Checksummer::Update(std::string_view data) {
  Update(std::as_bytes(std::span<const char>(data.data(), data.size())));
}

std::string ComputeChecksum(ChecksumAlgorithm algorithm, std::string_view data) {
  std::unique_ptr<Checksummer> checksummer = Checksummer::Create(algorithm);
  checksummer->Update(data);
  return checksummer->Finish();
}

uint32_t Crc32(uint32_t crc, const void* data, size_t size) {
  // ISA-L's crc32_gzip_refl is the same CRC with zlib's calling convention (it inverts on entry
  // and exit), and its PCLMULQDQ folding runs about three times faster than zlib's crc32 here
  // (see bench/checksum_bench.cc); the tests check the two agree.
  return crc32_gzip_refl(crc, Bytes(data), size);
}

uint32_t Crc32c(uint32_t crc, const void* data, size_t size) {
  // crc32_iscsi neither inverts the seed nor the result (seeded with ~0 it returns the CRC
  // complemented), and takes an int length, so large buffers go in 1 GiB pieces.
  constexpr size_t kMaxPiece = size_t{1} << 30;
  const unsigned char* p = Bytes(data);
  uint32_t reg = ~crc;
  while (size > 0) {
    const size_t piece = std::min(size, kMaxPiece);
    reg = crc32_iscsi(const_cast<unsigned char*>(p), static_cast<int>(piece), reg);
    p += piece;
    size -= piece;
  }
  return ~reg;
}

uint32_t Crc32Combine(uint32_t crc1, uint32_t crc2, uint64_t len2) {
  return Combine32(crc1, crc2, len2, kCrc32Poly, kCrc32XPow2);
}

uint32_t Crc32cCombine(uint32_t crc1, uint32_t crc2, uint64_t len2) {
  return Combine32(crc1, crc2, len2, kCrc32cPoly, kCrc32cXPow2);
}

std::optional<std::string> CombineCrc(ChecksumAlgorithm algorithm, std::string_view raw_a,
                                      std::string_view raw_b, uint64_t len_b) {
  if (!IsCrc(algorithm)) return std::nullopt;
  const size_t size = ChecksumSize(algorithm);
  if (raw_a.size() != size || raw_b.size() != size) return std::nullopt;
  switch (algorithm) {
    case ChecksumAlgorithm::kCrc32:
      return ToBigEndian(
          Crc32Combine(FromBigEndian<uint32_t>(raw_a), FromBigEndian<uint32_t>(raw_b), len_b));
    case ChecksumAlgorithm::kCrc32c:
      return ToBigEndian(
          Crc32cCombine(FromBigEndian<uint32_t>(raw_a), FromBigEndian<uint32_t>(raw_b), len_b));
    case ChecksumAlgorithm::kCrc64Nvme:
      return ToBigEndian(
          Crc64NvmeCombine(FromBigEndian<uint64_t>(raw_a), FromBigEndian<uint64_t>(raw_b), len_b));
    default:
      return std::nullopt;
  }
}

}  // namespace trainload
