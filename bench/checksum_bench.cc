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
#include "common/md5.h"

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
// 1 MiB buffers through the 4- and 8-lane kernels (argument: lanes), bytes counted for every
// lane, so the figure compares with BM_Md5's one stream per core.
void BM_Md5Lanes(benchmark::State& state) {
  if (!Md5x8Supported()) {
    state.SkipWithError("CPU lacks AVX2");
    return;
  }
  const size_t lanes = static_cast<size_t>(state.range(0));
  const std::string buffer = RandomBuffer();
  std::array<Md5Words, kMd5Lanes> words{};
  std::array<Md5Words*, kMd5Lanes> states;
  std::array<const std::byte*, kMd5Lanes> data;
  for (size_t lane = 0; lane < kMd5Lanes; ++lane) {
    states[lane] = &words[lane];
    data[lane] = reinterpret_cast<const std::byte*>(buffer.data());
  }
  for (auto _ : state) {
    if (lanes == 4) {
      Md5x4Blocks(states, data, buffer.size() / kMd5BlockBytes);
    } else {
      Md5x8Blocks(states, data, buffer.size() / kMd5BlockBytes);
    }
    benchmark::DoNotOptimize(words);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(lanes * buffer.size()));
}
// The server's case: concurrent uploads (benchmark threads), each hashing 1 MiB bodies in
// 256 KiB pieces, through one shared Md5Lanes (state.range(0) == 1) or each on its own thread
// (0). Throughput is per thread; compare the CPU time.
void BM_Md5ConcurrentBodies(benchmark::State& state) {
  static Md5Lanes* shared = new Md5Lanes();
  Md5Lanes* lanes = state.range(0) == 1 ? shared : nullptr;
  RunThroughput(state, [lanes](const std::string& b) {
    Md5Stream md5(lanes);
    for (size_t offset = 0; offset < b.size(); offset += 256 << 10) {
      md5.Update(std::as_bytes(std::span(b.data() + offset, 256 << 10)));
    }
    return md5.Finish();
  });
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
BENCHMARK(BM_Md5Lanes)->Arg(4)->Arg(8);
BENCHMARK(BM_Md5ConcurrentBodies)
    ->Arg(0)
    ->Arg(1)
    ->Threads(1)
    ->Threads(2)
    ->Threads(8)
    ->UseRealTime();
BENCHMARK(BM_Sha1);
BENCHMARK(BM_Sha256);
BENCHMARK(BM_ChecksummerCrc64Nvme64KiBPieces);

}  // namespace
}  // namespace trainload

BENCHMARK_MAIN();
