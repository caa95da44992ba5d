// The digests of an upload body — MD5 (the ETag), the S3 checksum being verified or stored, and
// SHA-256 when the request signs its payload — computed either inline or, for large bodies, with
// MD5 and SHA-256 on a second thread so that hashing overlaps with receiving and writing (MD5
// alone runs at about 0.5 GB/s per core, below what one connection delivers, so that thread
// bounds a large PUT and gets nothing else to do).
//
// In threaded mode the body lives in a few fixed chunks that circulate between the caller and
// the worker. The caller either receives straight into one (ReceiveBuffer() then Received(),
// no copy at all) or hands bytes to Update(), which copies them into one; either way the
// checksum (CRC, several GB/s) is computed on the caller's thread while the bytes are hot in
// its cache, and the chunk goes to the worker once full. The caller blocks only when every chunk
// is waiting to be hashed. Not thread-safe: one caller; the worker is internal.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "common/checksum.h"
#include "common/digest.h"
#include "common/md5.h"

namespace trainload::server {

struct Digests {
  std::string md5;       // raw
  std::string checksum;  // raw, empty without an algorithm
  std::string sha256;    // raw, empty unless asked for
};

class DigestPipeline {
 public:
  // `md5_lanes` (may be null) is shared with other uploads' pipelines; see common/md5.h.
  DigestPipeline(std::optional<ChecksumAlgorithm> algorithm, bool sha256, bool threaded,
                 Md5Lanes* md5_lanes = nullptr);
  ~DigestPipeline();
  DigestPipeline(const DigestPipeline&) = delete;
  DigestPipeline& operator=(const DigestPipeline&) = delete;

  bool threaded() const { return worker_.joinable(); }

  // Digests `data` (copied into a chunk in threaded mode).
  void Update(std::span<const std::byte> data);

  // Threaded mode only: free space (never empty) at the end of the chunk being filled, to
  // receive body bytes into. The span stays valid until the next call of any other method.
  std::span<std::byte> ReceiveBuffer();
  // The first `n` bytes of the last ReceiveBuffer() are the next body bytes: digests them.
  void Received(size_t n);

  // All bytes given so far, digested. The pipeline may not be used afterwards.
  Digests Finish();

 private:
  static constexpr size_t kChunkBytes = 1 << 20;
  // Deep enough that a short stall of the caller (a socket read, a page-cache write waiting for
  // writeback) does not idle the worker: 8 MiB is ~16 ms of MD5.
  static constexpr size_t kChunks = 8;

  struct Chunk {
    std::unique_ptr<std::byte[]> data;
    size_t size = 0;
  };

  void Hash(std::span<const std::byte> data);  // worker's part (inline mode: all of it)
  void TakeFreeChunk();
  void Submit(std::unique_ptr<Chunk> chunk);
  void Run();

  std::unique_ptr<Checksummer> checksummer_;  // caller's thread
  Md5Stream md5_;                             // worker's thread once started
  std::optional<Digest> sha256_;              // worker's thread once started

  // Threaded mode.
  std::unique_ptr<Chunk> filling_;  // caller's side
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::unique_ptr<Chunk>> full_;  // guarded by mu_: waiting to be hashed
  std::vector<std::unique_ptr<Chunk>> free_;  // guarded by mu_
  bool closing_ = false;                      // guarded by mu_
  std::thread worker_;
};

}  // namespace trainload::server
