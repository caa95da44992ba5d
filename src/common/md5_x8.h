// MD5 of eight (or four) independent streams at once: one AVX2 register holds the same state
// word of eight streams, so the 64 steps of a block run for all eight with the instructions one
// stream needs. MD5 is a single chain of dependent steps, so one stream leaves most of a core idle;
// eight of them fill it (the multi-buffer technique of Intel's isa-l_crypto and MinIO's
// md5-simd). Md5Lanes (md5.h) gathers concurrent uploads into the lanes.
//
// Pure functions; thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace trainload {

inline constexpr size_t kMd5Lanes = 8;
inline constexpr size_t kMd5BlockBytes = 64;

// The four state words of one MD5 stream, as RFC 1321 names them A, B, C, D.
using Md5Words = std::array<uint32_t, 4>;

// Whether this CPU can run Md5x8Blocks (it has AVX2).
bool Md5x8Supported();

// Hashes `blocks` consecutive 64-byte blocks of each lane: lane i reads from data[i] and
// updates *states[i]. Every lane must have blocks * 64 readable bytes; lanes may share data
// but not states. Only when Md5x8Supported().
void Md5x8Blocks(const std::array<Md5Words*, kMd5Lanes>& states,
                 const std::array<const std::byte*, kMd5Lanes>& data, size_t blocks);
// The same for lanes 0-3 only (the rest of the arrays is not read), at about half the cost
// where 256-bit operations run as two 128-bit ones. Only when Md5x8Supported().
void Md5x4Blocks(const std::array<Md5Words*, kMd5Lanes>& states,
                 const std::array<const std::byte*, kMd5Lanes>& data, size_t blocks);

}  // namespace trainload
