// MD5 for upload bodies, where a server computes one per PUT (the ETag) and many PUTs run at
// once: Md5Stream is a streaming MD5 whose state is its own, and Md5Lanes lets the streams of
// concurrent callers share the 8-lane kernel (md5_x8.h) instead of each running MD5's single
// dependency chain on a core of its own. Eight 1 MiB uploads hashed together cost about a
// quarter of the CPU they cost one by one.
//
// Md5Lanes is thread-safe. An Md5Stream is not (one per body).
#pragma once

#include <array>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "common/md5_x8.h"

namespace trainload {

// Hashes whole 64-byte blocks into `state` one after the other (OpenSSL's assembly).
void Md5ScalarBlocks(Md5Words& state, const std::byte* data, size_t blocks);

class Md5Lanes {
 public:
  // `vectorized` false (or a CPU without AVX2) hashes every call on its caller's thread.
  // Callers are spread over `groups` independent groups (by thread), each with a leader of
  // its own; 0 means one group per two cores, so that a many-core server hashes on several
  // cores at once while each leader leaves a core to receiving and writing.
  explicit Md5Lanes(bool vectorized = true, size_t groups = 0);
  ~Md5Lanes();
  Md5Lanes(const Md5Lanes&) = delete;
  Md5Lanes& operator=(const Md5Lanes&) = delete;

  bool vectorized() const { return vectorized_; }

  // Hashes `blocks` whole blocks at `data` into `state`; returns when they are hashed. Callers
  // of one group that overlap are hashed together, by one of them at a time (the leader),
  // up to eight streams per kernel call; a caller alone is hashed on its own. `data` and `state`
  // must stay valid until the call returns (they do: it blocks).
  void Blocks(Md5Words& state, const std::byte* data, size_t blocks);

 private:
  struct Job;
  struct Group;
  // Hashing rounds: the leader stops after each to take in new callers and let finished ones
  // go (16 KiB a lane is ~10 us of kernel time).
  static constexpr size_t kRoundBlocks = 256;
  // Below this a call is hashed by its caller: too short to be worth waiting for a lane.
  static constexpr size_t kMinSharedBlocks = 64;

  // With `lock` on group.mu held and `own` in group.jobs: hashes rounds until `own` is done,
  // then hands the leadership to the first job still waiting, if any. Allocates nothing (an
  // exception here would strand the waiting callers).
  static void Lead(Group& group, std::unique_lock<std::mutex>& lock, Job& own);
  // Hashes one round of up to eight jobs (without the lock: only the leader touches their
  // progress).
  static void HashRound(std::span<Job* const> lanes);

  const bool vectorized_;
  std::vector<std::unique_ptr<Group>> groups_;
};

// Streaming MD5 (RFC 1321). With an Md5Lanes, whole blocks of large updates are hashed through
// it; the digest is the same either way.
class Md5Stream {
 public:
  explicit Md5Stream(Md5Lanes* lanes = nullptr);

  void Update(std::span<const std::byte> data);
  // The raw 16-byte digest of everything given since construction or the last Finish();
  // resets the stream.
  std::string Finish();

 private:
  void HashBlocks(const std::byte* data, size_t blocks);
  void Reset();

  Md5Lanes* lanes_;
  Md5Words state_;
  uint64_t length_ = 0;  // bytes given
  std::array<std::byte, kMd5BlockBytes> pending_;
  size_t pending_size_ = 0;
};

}  // namespace trainload
