#include "common/crc64nvme.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace trainload {
namespace {

// Everything below works on the bit-reflected representation the CRC register uses: bit j of a
// 64-bit word is the coefficient of x^(63-j), so the first message bit (bit 0 of byte 0) is the
// highest power. Multiplying by x is a right shift, and the x^64 term that falls off the end is
// replaced by the reflected polynomial.
constexpr uint64_t kPolyNormal = 0xAD93D23594C93659;  // P(x) - x^64, normal bit order

constexpr uint64_t BitReverse(uint64_t v) {
  uint64_t r = 0;
  for (int i = 0; i < 64; ++i) {
    r = (r << 1) | (v & 1);
    v >>= 1;
  }
  return r;
}

constexpr uint64_t kPolyReflected = BitReverse(kPolyNormal);
static_assert(kPolyReflected == 0x9A6C9329AC4BC9B5);

// x^n mod P, reflected. Constants are derived here rather than copied so that a reader can check
// each one against the math in ClmulUpdate().
constexpr uint64_t XPowMod(unsigned n) {
  uint64_t r = uint64_t{1} << 63;  // x^0
  for (unsigned i = 0; i < n; ++i) r = (r >> 1) ^ ((r & 1) ? kPolyReflected : 0);
  return r;
}

// floor(x^128 / P) minus its x^64 term, reflected. Long division of x^128 by P: after writing
// x^64 = P + P', each further multiplication by x brings down one quotient bit, which is the bit
// that overflows the 64-bit remainder (exactly the shift register of a bitwise CRC).
constexpr uint64_t BarrettMu() {
  uint64_t remainder = kPolyNormal;
  uint64_t quotient = 0;
  for (int bit = 63; bit >= 0; --bit) {
    const uint64_t top = remainder >> 63;
    remainder <<= 1;
    if (top != 0) {
      remainder ^= kPolyNormal;
      quotient |= uint64_t{1} << bit;
    }
  }
  return BitReverse(quotient);
}

// a * b mod P for reflected operands; walks a's coefficients from x^0 upwards while b is
// multiplied by x.
constexpr uint64_t MultiplyMod(uint64_t a, uint64_t b) {
  uint64_t product = 0;
  for (uint64_t mask = uint64_t{1} << 63; mask != 0 && a != 0; mask >>= 1) {
    if ((a & mask) != 0) {
      product ^= b;
      a ^= mask;
    }
    b = (b >> 1) ^ ((b & 1) ? kPolyReflected : 0);
  }
  return product;
}

// kXPow2[k] = x^(2^k) mod P, so x^(8 * len) mod P is a product over the set bits of len (whose
// bit k selects x^(2^(k+3))). 67 entries cover every 64-bit length.
constexpr std::array<uint64_t, 67> MakeXPow2Table() {
  std::array<uint64_t, 67> table{};
  table[0] = uint64_t{1} << 62;  // x^1
  for (size_t k = 1; k < table.size(); ++k) table[k] = MultiplyMod(table[k - 1], table[k - 1]);
  return table;
}
constexpr std::array<uint64_t, 67> kXPow2 = MakeXPow2Table();

// Slicing-by-8: kTables[k][b] is the register after feeding byte b followed by k zero bytes, so
// eight bytes are folded with eight independent lookups instead of a serial chain of eight.
using SliceTables = std::array<std::array<uint64_t, 256>, 8>;
constexpr SliceTables MakeSliceTables() {
  SliceTables tables{};
  for (uint64_t b = 0; b < 256; ++b) {
    uint64_t r = b;
    for (int i = 0; i < 8; ++i) r = (r >> 1) ^ ((r & 1) ? kPolyReflected : 0);
    tables[0][b] = r;
  }
  for (size_t k = 1; k < 8; ++k) {
    for (size_t b = 0; b < 256; ++b) {
      const uint64_t prev = tables[k - 1][b];
      tables[k][b] = (prev >> 8) ^ tables[0][prev & 0xff];
    }
  }
  return tables;
}
constexpr SliceTables kTables = MakeSliceTables();

uint64_t LoadLittleEndian64(const unsigned char* p) {
  uint64_t word;
  std::memcpy(&word, p, sizeof(word));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  word = __builtin_bswap64(word);
#endif
  return word;
}

// `reg` is the raw register (already inverted); returns the raw register.
uint64_t TableUpdate(uint64_t reg, const unsigned char* p, size_t size) {
  while (size >= 8) {
    reg ^= LoadLittleEndian64(p);
    reg = kTables[7][reg & 0xff] ^ kTables[6][(reg >> 8) & 0xff] ^ kTables[5][(reg >> 16) & 0xff] ^
          kTables[4][(reg >> 24) & 0xff] ^ kTables[3][(reg >> 32) & 0xff] ^
          kTables[2][(reg >> 40) & 0xff] ^ kTables[1][(reg >> 48) & 0xff] ^ kTables[0][reg >> 56];
    p += 8;
    size -= 8;
  }
  while (size-- > 0) reg = kTables[0][(reg ^ *p++) & 0xff] ^ (reg >> 8);
  return reg;
}

#if defined(__x86_64__)

// Folding (Gopal et al., "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ").
//
// A 16-byte lane loaded little-endian holds, in its low qword, the reflected form of the
// coefficients x^127..x^64 (call that half A) and in its high qword x^63..x^0 (B): the lane is
// A*x^64 + B. Moving it d bits further down the message multiplies it by x^d:
//   (A*x^64 + B) * x^d == A * (x^(d+64) mod P) + B * (x^d mod P)      (mod P),
// two 64x64 carry-less products whose sum has degree < 128, so it is again one lane, ready to be
// XORed onto the data d bits later. PCLMULQDQ on reflected operands yields the reflected product
// shifted by one bit (a 127-bit result in a 128-bit register), i.e. the product times x, so the
// constants are taken one power lower: x^(d+63) for A, x^(d-1) for B.
struct FoldConstant {
  uint64_t for_a;
  uint64_t for_b;
};
constexpr FoldConstant FoldBy(unsigned bits) { return {XPowMod(bits + 63), XPowMod(bits - 1)}; }

constexpr unsigned kLanes = 8;  // 8 lanes in flight hide the multiplier's latency
constexpr FoldConstant kFoldAcrossLanes = FoldBy(128 * kLanes);
constexpr std::array<FoldConstant, kLanes> MakeLaneMergeConstants() {
  std::array<FoldConstant, kLanes> constants{};  // [j]: fold by j lanes; [0] is unused
  for (unsigned j = 1; j < kLanes; ++j) constants[j] = FoldBy(128 * j);
  return constants;
}
constexpr std::array<FoldConstant, kLanes> kLaneMerge = MakeLaneMergeConstants();
constexpr uint64_t kXPow127 = XPowMod(127);
constexpr uint64_t kMu = BarrettMu();
constexpr uint64_t kPolyLow = kPolyReflected;  // P - x^64, reflected

__attribute__((target("pclmul,sse4.1"))) inline __m128i Constant(FoldConstant k) {
  return _mm_set_epi64x(static_cast<long long>(k.for_b), static_cast<long long>(k.for_a));
}

__attribute__((target("pclmul,sse4.1"))) inline __m128i Fold(__m128i lane, __m128i k) {
  return _mm_xor_si128(_mm_clmulepi64_si128(lane, k, 0x00), _mm_clmulepi64_si128(lane, k, 0x11));
}

__attribute__((target("pclmul,sse4.1"))) inline __m128i Load(const unsigned char* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

// Reduces the 128-bit remainder `lane` (congruent to the message so far) to the 64-bit register,
// which is lane * x^64 mod P.
__attribute__((target("pclmul,sse4.1"))) uint64_t Reduce(__m128i lane) {
  // lane * x^64 = A*x^128 + B*x^64; fold A with x^128 mod P, and B*x^64 is B moved into the low
  // qword. T = T_H*x^64 + T_L, degree < 128.
  const __m128i t = _mm_xor_si128(
      _mm_clmulepi64_si128(lane, _mm_cvtsi64_si128(static_cast<long long>(kXPow127)), 0x00),
      _mm_srli_si128(lane, 8));
  const uint64_t t_high = static_cast<uint64_t>(_mm_cvtsi128_si64(t));
  const uint64_t t_low = static_cast<uint64_t>(_mm_extract_epi64(t, 1));
  // Barrett: the quotient T div P is Q = floor(T_H * mu / x^64) with mu = x^64 + mu'; that is
  // T_H + floor(T_H * mu' / x^64). The product's x^64.. coefficients sit one bit low in the
  // reflected result, hence the shift.
  const __m128i v = _mm_clmulepi64_si128(_mm_cvtsi64_si128(static_cast<long long>(t_high)),
                                         _mm_cvtsi64_si128(static_cast<long long>(kMu)), 0x00);
  const uint64_t q = t_high ^ (static_cast<uint64_t>(_mm_cvtsi128_si64(v)) << 1);
  // T mod P = T_L + (Q*P mod x^64) = T_L + (Q*P' mod x^64): the Q*x^64 part has no low bits.
  // Those low 64 coefficients are bits 63..126 of the reflected product.
  const __m128i w = _mm_clmulepi64_si128(_mm_cvtsi64_si128(static_cast<long long>(q)),
                                         _mm_cvtsi64_si128(static_cast<long long>(kPolyLow)), 0x00);
  const uint64_t w_low = static_cast<uint64_t>(_mm_cvtsi128_si64(w));
  const uint64_t w_high = static_cast<uint64_t>(_mm_extract_epi64(w, 1));
  return t_low ^ ((w_low >> 63) | (w_high << 1));
}

__attribute__((target("pclmul,sse4.1"))) uint64_t ClmulUpdate(uint64_t reg, const unsigned char* p,
                                                              size_t size) {
  if (size < 16) return TableUpdate(reg, p, size);
  __m128i acc;
  if (size >= 16 * kLanes) {
    __m128i lanes[kLanes];
    for (unsigned i = 0; i < kLanes; ++i) lanes[i] = Load(p + 16 * i);
    // The register stands for the message so far times x^64, which is exactly what XORing it
    // onto the first 8 bytes of the rest achieves.
    lanes[0] = _mm_xor_si128(lanes[0], _mm_cvtsi64_si128(static_cast<long long>(reg)));
    p += 16 * kLanes;
    size -= 16 * kLanes;
    const __m128i k = Constant(kFoldAcrossLanes);
    while (size >= 16 * kLanes) {
      for (unsigned i = 0; i < kLanes; ++i) {
        lanes[i] = _mm_xor_si128(Fold(lanes[i], k), Load(p + 16 * i));
      }
      p += 16 * kLanes;
      size -= 16 * kLanes;
    }
    // Lane i is followed by kLanes-1-i lanes; move each onto the last one.
    acc = lanes[kLanes - 1];
    for (unsigned i = 0; i + 1 < kLanes; ++i) {
      acc = _mm_xor_si128(acc, Fold(lanes[i], Constant(kLaneMerge[kLanes - 1 - i])));
    }
  } else {
    acc = _mm_xor_si128(Load(p), _mm_cvtsi64_si128(static_cast<long long>(reg)));
    p += 16;
    size -= 16;
  }
  const __m128i k = Constant(kLaneMerge[1]);
  while (size >= 16) {
    acc = _mm_xor_si128(Fold(acc, k), Load(p));
    p += 16;
    size -= 16;
  }
  // Fewer than 16 bytes remain: cheaper through the table than another fold.
  return TableUpdate(Reduce(acc), p, size);
}

#endif  // __x86_64__

}  // namespace

uint64_t Crc64NvmeTable(uint64_t crc, const void* data, size_t size) {
  return ~TableUpdate(~crc, static_cast<const unsigned char*>(data), size);
}

uint64_t Crc64NvmeClmul(uint64_t crc, const void* data, size_t size) {
#if defined(__x86_64__)
  return ~ClmulUpdate(~crc, static_cast<const unsigned char*>(data), size);
#else
  return Crc64NvmeTable(crc, data, size);
#endif
}

bool Crc64NvmeHasClmul() {
#if defined(__x86_64__)
  // Immutable after the first call; the CPU does not change under a running process.
  static const bool has_clmul =
      __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  return has_clmul;
#else
  return false;
#endif
}

uint64_t Crc64Nvme(uint64_t crc, const void* data, size_t size) {
  return Crc64NvmeHasClmul() ? Crc64NvmeClmul(crc, data, size) : Crc64NvmeTable(crc, data, size);
}

uint64_t Crc64NvmeCombine(uint64_t crc1, uint64_t crc2, uint64_t len2) {
  // With init = xorout = all ones, the inversions cancel in the combination:
  // CRC(A||B) = CRC(A) * x^(8*|B|) + CRC(B)  (mod P).
  uint64_t shift = uint64_t{1} << 63;  // x^0
  for (size_t k = 0; len2 != 0; ++k, len2 >>= 1) {
    if ((len2 & 1) != 0) shift = MultiplyMod(shift, kXPow2[k + 3]);
  }
  return MultiplyMod(crc1, shift) ^ crc2;
}

}  // namespace trainload
