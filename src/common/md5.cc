#include "common/md5.h"

// MD5_Update is deprecated in OpenSSL 3 but is the way to its block assembly with a state of
// our own (EVP hides the state).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/md5.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <thread>

namespace trainload {
namespace {

constexpr Md5Words kInitialState = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};

}  // namespace

void Md5ScalarBlocks(Md5Words& state, const std::byte* data, size_t blocks) {
  if (blocks == 0) return;
  MD5_CTX ctx;
  MD5_Init(&ctx);
  ctx.A = state[0];
  ctx.B = state[1];
  ctx.C = state[2];
  ctx.D = state[3];
  // With nothing buffered and a whole number of blocks, MD5_Update runs the block function
  // over the data in place and buffers nothing.
  MD5_Update(&ctx, data, blocks * kMd5BlockBytes);
  state = {ctx.A, ctx.B, ctx.C, ctx.D};
}

// ---- Md5Lanes -------------------------------------------------------------------------------

struct Md5Lanes::Job {
  Job(Md5Words* state, const std::byte* data, size_t blocks)
      : state(state), data(data), blocks(blocks) {}

  Md5Words* state;
  const std::byte* data;
  size_t blocks;
  bool done = false;  // guarded by the group's mu
  bool lead = false;  // guarded by the group's mu: the previous leader chose this job's caller
  std::condition_variable wake;
};

struct Md5Lanes::Group {
  std::mutex mu;
  std::vector<Job*> jobs;  // guarded by mu: callers not yet done, in arrival order
  bool leading = false;    // guarded by mu: some caller is hashing jobs
};

Md5Lanes::Md5Lanes(bool vectorized, size_t groups) : vectorized_(vectorized && Md5x8Supported()) {
  if (groups == 0) groups = std::max(1u, std::thread::hardware_concurrency() / 2);
  for (size_t i = 0; i < groups; ++i) groups_.push_back(std::make_unique<Group>());
}

Md5Lanes::~Md5Lanes() = default;

void Md5Lanes::Blocks(Md5Words& state, const std::byte* data, size_t blocks) {
  if (!vectorized_ || blocks < kMinSharedBlocks) {
    Md5ScalarBlocks(state, data, blocks);
    return;
  }
  Group& group =
      *groups_[std::hash<std::thread::id>()(std::this_thread::get_id()) % groups_.size()];
  Job job(&state, data, blocks);
  std::unique_lock lock(group.mu);
  group.jobs.push_back(&job);
  if (group.leading) {
    job.wake.wait(lock, [&] { return job.done || job.lead; });
    if (job.done) return;
  }
  group.leading = true;
  Lead(group, lock, job);
}

void Md5Lanes::Lead(Group& group, std::unique_lock<std::mutex>& lock, Job& own) {
  std::array<Job*, kMd5Lanes> lanes;
  while (!own.done) {
    const size_t count = std::min(group.jobs.size(), kMd5Lanes);
    std::copy_n(group.jobs.begin(), count, lanes.begin());
    lock.unlock();
    HashRound(std::span(lanes.data(), count));
    lock.lock();
    for (Job* job : std::span(lanes.data(), count)) {
      if (job->blocks != 0) continue;
      job->done = true;
      group.jobs.erase(std::find(group.jobs.begin(), group.jobs.end(), job));
      if (job != &own) job->wake.notify_one();
    }
  }
  if (group.jobs.empty()) {
    group.leading = false;
  } else {
    group.jobs.front()->lead = true;
    group.jobs.front()->wake.notify_one();
  }
}

void Md5Lanes::HashRound(std::span<Job* const> lanes) {
  if (lanes.size() == 1) {
    Job& job = *lanes.front();
    size_t step = std::min(job.blocks, kRoundBlocks);
    Md5ScalarBlocks(*job.state, job.data, step);
    job.data += step * kMd5BlockBytes;
    job.blocks -= step;
    return;
  }
  size_t step = kRoundBlocks;
  for (const Job* job : lanes) step = std::min(step, job->blocks);
  // Lanes without a job hash the first job's bytes into states nobody reads.
  std::array<Md5Words, kMd5Lanes> unused{};
  std::array<Md5Words*, kMd5Lanes> states;
  std::array<const std::byte*, kMd5Lanes> data;
  for (size_t lane = 0; lane < kMd5Lanes; ++lane) {
    const bool used = lane < lanes.size();
    states[lane] = used ? lanes[lane]->state : &unused[lane];
    data[lane] = used ? lanes[lane]->data : lanes.front()->data;
  }
  // Up to four streams go through the 4-lane kernel: where 256-bit operations are split in two
  // it costs half the 8-lane one, and elsewhere about the same.
  if (lanes.size() <= 4) {
    Md5x4Blocks(states, data, step);
  } else {
    Md5x8Blocks(states, data, step);
  }
  for (Job* job : lanes) {
    job->data += step * kMd5BlockBytes;
    job->blocks -= step;
  }
}

// ---- Md5Stream ------------------------------------------------------------------------------

Md5Stream::Md5Stream(Md5Lanes* lanes) : lanes_(lanes) { Reset(); }

void Md5Stream::Reset() {
  state_ = kInitialState;
  length_ = 0;
  pending_size_ = 0;
}

void Md5Stream::HashBlocks(const std::byte* data, size_t blocks) {
  if (lanes_ != nullptr) {
    lanes_->Blocks(state_, data, blocks);
  } else {
    Md5ScalarBlocks(state_, data, blocks);
  }
}

void Md5Stream::Update(std::span<const std::byte> data) {
  length_ += data.size();
  if (pending_size_ != 0) {
    size_t take = std::min(data.size(), kMd5BlockBytes - pending_size_);
    if (take != 0) std::memcpy(pending_.data() + pending_size_, data.data(), take);
    pending_size_ += take;
    data = data.subspan(take);
    if (pending_size_ < kMd5BlockBytes) return;
    HashBlocks(pending_.data(), 1);
    pending_size_ = 0;
  }
  size_t blocks = data.size() / kMd5BlockBytes;
  HashBlocks(data.data(), blocks);
  data = data.subspan(blocks * kMd5BlockBytes);
  if (!data.empty()) std::memcpy(pending_.data(), data.data(), data.size());
  pending_size_ = data.size();
}

std::string Md5Stream::Finish() {
  // Padding: 0x80, zeros up to 56 bytes into a block, then the bit length, little-endian.
  std::array<std::byte, 2 * kMd5BlockBytes> tail{};
  std::memcpy(tail.data(), pending_.data(), pending_size_);
  tail[pending_size_] = std::byte{0x80};
  const size_t tail_blocks = pending_size_ < 56 ? 1 : 2;
  uint64_t bits = length_ * 8;
  for (size_t i = 0; i < 8; ++i) {
    tail[tail_blocks * kMd5BlockBytes - 8 + i] = static_cast<std::byte>(bits >> (8 * i));
  }
  Md5ScalarBlocks(state_, tail.data(), tail_blocks);
  std::string digest(16, '\0');
  for (size_t w = 0; w < 4; ++w) {
    for (size_t i = 0; i < 4; ++i) digest[4 * w + i] = static_cast<char>(state_[w] >> (8 * i));
  }
  Reset();
  return digest;
}

}  // namespace trainload
