// Single-core throughput of the checksum kernels on 1 MiB buffers, the size of one aws-chunked
// chunk from botocore. Run: build/bench/checksum_bench [--benchmark_repetitions=3]
// The server verifies these while streaming uploads, so each should beat the ~1.3 GB/s of one
// loopback HTTP stream by a wide margin.
#include <benchmark/benchmark.h>
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

#include "common/checksum.h"
#include "common/crc64nvme.h"
#include "common/digest.h"

namespace trainload {
namespace {

constexpr size_t kBufferSize = size_t{1} << 20;

std::string RandomBuffer() {
  std::string bytes(kBufferSize, '\0');
  std::mt19937_64 rng(42);
  for (char& c : bytes) c = static_cast<char>(rng());
  return bytes;
}

template <typename Fn>
void RunThroughput(benchmark::State& state, Fn fn) {
  const std::string buffer = RandomBuffer();
  for (auto _ : state) benchmark::DoNotOptimize(fn(buffer));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(buffer.size()));
}

void BM_Crc32(benchmark::State& state) {
  RunThroughput(state, [](const std::string& b) { return Crc32(0, b.data(), b.size()); });
}
void BM_Crc32Zlib(benchmark::State& state) {
  RunThroughput(state, [](const std::string& b) {
    return crc32_z(0, reinterpret_cast<const Bytef*>(b.data()), b.size());
  });
}
void BM_Crc32c(benchmark::State& state) {
  RunThroughput(state, [](const std::string& b) { return Crc32c(0, b.data(), b.size()); });
}
void BM_Crc64Nvme(benchmark::State& state) {
  RunThroughput(state, [](const std::string& b) { return Crc64Nvme(0, b.data(), b.size()); });
}
void BM_Crc64NvmeClmul(benchmark::State& state) {
  if (!Crc64NvmeHasClmul()) {
    state.SkipWithError("CPU lacks PCLMULQDQ/SSE4.1");
    return;
  }
  RunThroughput(state, [](const std::string& b) { return Crc64NvmeClmul(0, b.data(), b.size()); });
}
void BM_Crc64NvmeTable(benchmark::State& state) {
  RunThroughput(state, [](const std::string& b) { return Crc64NvmeTable(0, b.data(), b.size()); });
}
void BM_Md5(benchmark::State& state) {
  RunThroughput(state, [](const std::string& b) { return Md5(b); });
}
void BM_Sha1(benchmark::State& state) {
  RunThroughput(state, [](const std::string& b) { return Sha1(b); });
}
void BM_Sha256(benchmark::State& state) {
  RunThroughput(state, [](const std::string& b) { return Sha256(b); });
}
// The streaming interface the server uses, fed in 64 KiB socket-sized pieces.
void BM_ChecksummerCrc64Nvme64KiBPieces(benchmark::State& state) {
  RunThroughput(state, [](const std::string& b) {
    auto checksummer = Checksummer::Create(ChecksumAlgorithm::kCrc64Nvme);
    for (size_t offset = 0; offset < b.size(); offset += 65536) {
      checksummer->Update(std::string_view(b).substr(offset, 65536));
    }
    return checksummer->Finish();
  });
}

BENCHMARK(BM_Crc32);
BENCHMARK(BM_Crc32Zlib);
BENCHMARK(BM_Crc32c);
BENCHMARK(BM_Crc64Nvme);
BENCHMARK(BM_Crc64NvmeClmul);
BENCHMARK(BM_Crc64NvmeTable);
BENCHMARK(BM_Md5);
BENCHMARK(BM_Sha1);
BENCHMARK(BM_Sha256);
BENCHMARK(BM_ChecksummerCrc64Nvme64KiBPieces);

}  // namespace
}  // namespace trainload

BENCHMARK_MAIN();
