// The digests of an upload body — MD5 (the ETag), the S3 checksum being verified or stored, and
// SHA-256 when the request signs its payload — computed either inline or, for large bodies, on a
// second thread so that hashing overlaps with receiving and writing (MD5 alone runs at about
// 0.5 GB/s per core, below what one connection delivers).
//
// In threaded mode Update() copies the bytes into one of a few fixed chunks and returns; the
// copy costs a fraction of the hashing it moves off the receiving thread, and it frees the
// caller's buffer at once. Not thread-safe: one caller; the worker is internal.
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

namespace trainload::server {

struct Digests {
  std::string md5;       // raw
  std::string checksum;  // raw, empty without an algorithm
  std::string sha256;    // raw, empty unless asked for
};

class DigestPipeline {
 public:
  DigestPipeline(std::optional<ChecksumAlgorithm> algorithm, bool sha256, bool threaded);
  ~DigestPipeline();
  DigestPipeline(const DigestPipeline&) = delete;
  DigestPipeline& operator=(const DigestPipeline&) = delete;

  void Update(std::span<const std::byte> data);
  // All bytes given so far, digested. The pipeline may not be used afterwards.
  Digests Finish();

 private:
  static constexpr size_t kChunkBytes = 1 << 20;
  static constexpr size_t kChunks = 4;

  struct Chunk {
    std::vector<std::byte> data;
    size_t size = 0;
  };

  void Hash(std::span<const std::byte> data);
  void Submit(std::unique_ptr<Chunk> chunk);
  void Run();

  Digest md5_{DigestAlgorithm::kMd5};
  std::unique_ptr<Checksummer> checksummer_;
  std::optional<Digest> sha256_;

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
