#include "common/md5_x8.h"

#include <immintrin.h>

#include <utility>

// Every function that uses AVX2 carries the target attribute instead of the file being built
// with -mavx2: inline functions from headers instantiated here would otherwise be AVX2 code
// that the linker may pick for callers on any CPU.
#define TL_AVX2 __attribute__((target("avx2")))

namespace trainload {
namespace {

// RFC 1321: T[i] = floor(2^32 * abs(sin(i + 1))), the shift of each step, and which message
// word each step adds.
constexpr uint32_t kT[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};

constexpr int kShift[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

constexpr size_t MessageIndex(size_t step) {
  switch (step / 16) {
    case 0:
      return step;
    case 1:
      return (5 * step + 1) % 16;
    case 2:
      return (3 * step + 5) % 16;
    default:
      return (7 * step) % 16;
  }
}

// The vector operations the steps use, for 8 lanes (256-bit registers) and 4 lanes (128-bit).
// On CPUs that split 256-bit operations in two (AMD before Zen 2) the 4-lane kernel costs half
// the 8-lane one, so a few streams are cheaper on it. Both are built for AVX2 CPUs (the
// 128-bit one then uses the VEX forms), the only ones Md5Lanes vectorizes on.
struct Vec256 {
  using V = __m256i;
  static constexpr size_t kLanes = 8;
  TL_AVX2 static V Add(V a, V b) { return _mm256_add_epi32(a, b); }
  TL_AVX2 static V And(V a, V b) { return _mm256_and_si256(a, b); }
  TL_AVX2 static V Or(V a, V b) { return _mm256_or_si256(a, b); }
  TL_AVX2 static V Xor(V a, V b) { return _mm256_xor_si256(a, b); }
  TL_AVX2 static V Set1(uint32_t x) { return _mm256_set1_epi32(static_cast<int>(x)); }
  template <int S>
  TL_AVX2 static V Rotl(V x) {
    return _mm256_or_si256(_mm256_slli_epi32(x, S), _mm256_srli_epi32(x, 32 - S));
  }
  TL_AVX2 static V Load(const std::byte* p) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  }
  TL_AVX2 static void Store(uint32_t* out, V v) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), v);
  }
  TL_AVX2 static V Gather(const std::array<Md5Words*, kMd5Lanes>& states, int w) {
    return _mm256_setr_epi32(static_cast<int>((*states[0])[w]), static_cast<int>((*states[1])[w]),
                             static_cast<int>((*states[2])[w]), static_cast<int>((*states[3])[w]),
                             static_cast<int>((*states[4])[w]), static_cast<int>((*states[5])[w]),
                             static_cast<int>((*states[6])[w]), static_cast<int>((*states[7])[w]));
  }
  // The block's 16 words of each lane, as m[w] = word w of every lane: rows of 8 words (one
  // load per lane and half block) transposed 8 x 8.
  TL_AVX2 static void Message(const std::array<const std::byte*, kMd5Lanes>& data, size_t offset,
                              V* m) {
    for (size_t half = 0; half < 2; ++half) {
      V r[8], t[8], u[8];
      for (size_t lane = 0; lane < 8; ++lane) r[lane] = Load(data[lane] + offset + 32 * half);
      for (int i = 0; i < 4; ++i) {
        t[2 * i] = _mm256_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
      }
      for (int i = 0; i < 2; ++i) {
        // Lanes 4i..4i+3: words (0, 4), (1, 5), (2, 6), (3, 7) in the two 128-bit halves.
        u[4 * i] = _mm256_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
        u[4 * i + 1] = _mm256_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
        u[4 * i + 2] = _mm256_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
        u[4 * i + 3] = _mm256_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
      }
      for (int w = 0; w < 4; ++w) {
        m[8 * half + w] = _mm256_permute2x128_si256(u[w], u[4 + w], 0x20);
        m[8 * half + w + 4] = _mm256_permute2x128_si256(u[w], u[4 + w], 0x31);
      }
    }
  }
};

struct Vec128 {
  using V = __m128i;
  static constexpr size_t kLanes = 4;
  TL_AVX2 static V Add(V a, V b) { return _mm_add_epi32(a, b); }
  TL_AVX2 static V And(V a, V b) { return _mm_and_si128(a, b); }
  TL_AVX2 static V Or(V a, V b) { return _mm_or_si128(a, b); }
  TL_AVX2 static V Xor(V a, V b) { return _mm_xor_si128(a, b); }
  TL_AVX2 static V Set1(uint32_t x) { return _mm_set1_epi32(static_cast<int>(x)); }
  template <int S>
  TL_AVX2 static V Rotl(V x) {
    return _mm_or_si128(_mm_slli_epi32(x, S), _mm_srli_epi32(x, 32 - S));
  }
  TL_AVX2 static V Load(const std::byte* p) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  }
  TL_AVX2 static void Store(uint32_t* out, V v) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), v);
  }
  TL_AVX2 static V Gather(const std::array<Md5Words*, kMd5Lanes>& states, int w) {
    return _mm_setr_epi32(static_cast<int>((*states[0])[w]), static_cast<int>((*states[1])[w]),
                          static_cast<int>((*states[2])[w]), static_cast<int>((*states[3])[w]));
  }
  // Rows of 4 words (one load per lane and quarter block) transposed 4 x 4.
  TL_AVX2 static void Message(const std::array<const std::byte*, kMd5Lanes>& data, size_t offset,
                              V* m) {
    for (size_t quarter = 0; quarter < 4; ++quarter) {
      V r[4];
      for (size_t lane = 0; lane < 4; ++lane) r[lane] = Load(data[lane] + offset + 16 * quarter);
      V t0 = _mm_unpacklo_epi32(r[0], r[1]), t1 = _mm_unpackhi_epi32(r[0], r[1]);
      V t2 = _mm_unpacklo_epi32(r[2], r[3]), t3 = _mm_unpackhi_epi32(r[2], r[3]);
      m[4 * quarter] = _mm_unpacklo_epi64(t0, t2);
      m[4 * quarter + 1] = _mm_unpackhi_epi64(t0, t2);
      m[4 * quarter + 2] = _mm_unpacklo_epi64(t1, t3);
      m[4 * quarter + 3] = _mm_unpackhi_epi64(t1, t3);
    }
  }
};

// One step for all lanes: a = b + ((a + f(b, c, d) + m[g] + T[i]) <<< s).
template <typename K, size_t I>
TL_AVX2 inline void Step(typename K::V& a, typename K::V b, typename K::V c, typename K::V d,
                         const typename K::V* m) {
  constexpr size_t kRound = I / 16;
  typename K::V f;
  if constexpr (kRound == 0) {
    f = K::Xor(d, K::And(b, K::Xor(c, d)));  // (b & c) | (~b & d)
  } else if constexpr (kRound == 1) {
    f = K::Xor(c, K::And(d, K::Xor(b, c)));  // (b & d) | (c & ~d)
  } else if constexpr (kRound == 2) {
    f = K::Xor(K::Xor(b, c), d);
  } else {
    f = K::Xor(c, K::Or(b, K::Xor(d, K::Set1(0xffffffff))));  // c ^ (b | ~d)
  }
  typename K::V sum = K::Add(K::Add(a, f), K::Add(m[MessageIndex(I)], K::Set1(kT[I])));
  a = K::Add(b, K::template Rotl<kShift[kRound][I % 4]>(sum));
}

// The 64 steps; step I works on the state words rotated by I: (a, b, c, d), (d, a, b, c), ...
template <typename K, size_t... I>
TL_AVX2 inline void Steps(typename K::V (&v)[4], const typename K::V* m,
                          std::index_sequence<I...>) {
  (Step<K, I>(v[(64 - I) % 4], v[(65 - I) % 4], v[(66 - I) % 4], v[(67 - I) % 4], m), ...);
}

template <typename K>
TL_AVX2 void Blocks(const std::array<Md5Words*, kMd5Lanes>& states,
                    const std::array<const std::byte*, kMd5Lanes>& data, size_t blocks) {
  typename K::V v[4];
  for (int w = 0; w < 4; ++w) v[w] = K::Gather(states, w);
  for (size_t block = 0; block < blocks; ++block) {
    typename K::V m[16];
    K::Message(data, block * kMd5BlockBytes, m);
    typename K::V saved[4] = {v[0], v[1], v[2], v[3]};
    Steps<K>(v, m, std::make_index_sequence<64>());
    for (int w = 0; w < 4; ++w) v[w] = K::Add(v[w], saved[w]);
  }
  for (int w = 0; w < 4; ++w) {
    uint32_t words[K::kLanes];
    K::Store(words, v[w]);
    for (size_t lane = 0; lane < K::kLanes; ++lane) (*states[lane])[w] = words[lane];
  }
}

}  // namespace

bool Md5x8Supported() { return __builtin_cpu_supports("avx2"); }

void Md5x8Blocks(const std::array<Md5Words*, kMd5Lanes>& states,
                 const std::array<const std::byte*, kMd5Lanes>& data, size_t blocks) {
  Blocks<Vec256>(states, data, blocks);
}

void Md5x4Blocks(const std::array<Md5Words*, kMd5Lanes>& states,
                 const std::array<const std::byte*, kMd5Lanes>& data, size_t blocks) {
  Blocks<Vec128>(states, data, blocks);
}

}  // namespace trainload
