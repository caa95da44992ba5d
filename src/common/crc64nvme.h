// CRC-64/NVME, the CRC that S3 stores for every new object (`x-amz-checksum-crc64nvme`).
//
// Parameters (CRC catalogue "CRC-64/NVME"): width 64, polynomial 0xAD93D23594C93659 (normal
// form; 0x9A6C9329AC4BC9B5 bit-reflected), reflected input and output, init and xorout all ones.
// The check value, the CRC of the ASCII bytes "123456789", is 0xAE8B14860A799888.
//
// The calling convention is zlib's crc32(): pass 0 to start and the previous result to continue;
// the functions apply the initial and final inversion themselves, so
// Crc64Nvme(Crc64Nvme(0, a, n), b, m) == CRC of a||b. The digest S3 carries is the result
// written big-endian (8 bytes) and base64-encoded.
//
// Crc64Nvme() picks, once per process, a carry-less multiplication path (PCLMULQDQ + SSE4.1,
// several GB/s per core) when the CPU has it, and a portable slicing-by-8 table path otherwise.
// All functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

namespace trainload {

// Returns the CRC-64/NVME of `data[0, size)` continuing from `crc` (0 for a new stream).
uint64_t Crc64Nvme(uint64_t crc, const void* data, size_t size);

// Returns the CRC of A||B given crc1 = CRC(A), crc2 = CRC(B) and len2 = |B| in bytes, in
// O(log len2) time. Used to build full-object checksums of multipart uploads and appends.
uint64_t Crc64NvmeCombine(uint64_t crc1, uint64_t crc2, uint64_t len2);

// The two implementations behind Crc64Nvme(), exposed so tests can compare them and benchmarks
// can time them. Same contract as Crc64Nvme().
uint64_t Crc64NvmeTable(uint64_t crc, const void* data, size_t size);
// Must only be called when Crc64NvmeHasClmul() is true (the instructions fault otherwise).
uint64_t Crc64NvmeClmul(uint64_t crc, const void* data, size_t size);
// True when this CPU has PCLMULQDQ and SSE4.1 (always false off x86-64).
bool Crc64NvmeHasClmul();

}  // namespace trainload
