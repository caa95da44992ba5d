#include "server/digest_pipeline.h"

#include <algorithm>
#include <cstring>

namespace trainload::server {

DigestPipeline::DigestPipeline(std::optional<ChecksumAlgorithm> algorithm, bool sha256,
                               bool threaded, Md5Lanes* md5_lanes)
    : md5_(md5_lanes) {
  if (algorithm) checksummer_ = Checksummer::Create(*algorithm);
  if (sha256) sha256_.emplace(DigestAlgorithm::kSha256);
  if (!threaded) return;
  for (size_t i = 0; i < kChunks; ++i) {
    auto chunk = std::make_unique<Chunk>();
    // Uninitialized: every byte hashed is received or copied in first.
    chunk->data = std::make_unique_for_overwrite<std::byte[]>(kChunkBytes);
    free_.push_back(std::move(chunk));
  }
  worker_ = std::thread([this] { Run(); });
}

DigestPipeline::~DigestPipeline() {
  if (!worker_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void DigestPipeline::Hash(std::span<const std::byte> data) {
  md5_.Update(data);
  if (sha256_) sha256_->Update(data);
}

void DigestPipeline::TakeFreeChunk() {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [this] { return !free_.empty(); });
  filling_ = std::move(free_.back());
  free_.pop_back();
  filling_->size = 0;
}

void DigestPipeline::Update(std::span<const std::byte> data) {
  if (checksummer_) checksummer_->Update(data);
  if (!threaded()) {
    Hash(data);
    return;
  }
  while (!data.empty()) {
    if (!filling_) TakeFreeChunk();
    size_t n = std::min(data.size(), kChunkBytes - filling_->size);
    std::memcpy(filling_->data.get() + filling_->size, data.data(), n);
    filling_->size += n;
    data = data.subspan(n);
    if (filling_->size == kChunkBytes) Submit(std::move(filling_));
  }
}

std::span<std::byte> DigestPipeline::ReceiveBuffer() {
  if (!filling_) TakeFreeChunk();
  return std::span(filling_->data.get() + filling_->size, kChunkBytes - filling_->size);
}

void DigestPipeline::Received(size_t n) {
  if (n == 0) return;
  std::span<const std::byte> data(filling_->data.get() + filling_->size, n);
  if (checksummer_) checksummer_->Update(data);
  filling_->size += n;
  if (filling_->size == kChunkBytes) Submit(std::move(filling_));
}

void DigestPipeline::Submit(std::unique_ptr<Chunk> chunk) {
  {
    std::lock_guard lock(mu_);
    full_.push_back(std::move(chunk));
  }
  changed_.notify_all();
}

void DigestPipeline::Run() {
  for (;;) {
    std::unique_ptr<Chunk> chunk;
    {
      std::unique_lock lock(mu_);
      changed_.wait(lock, [this] { return closing_ || !full_.empty(); });
      if (full_.empty()) return;
      chunk = std::move(full_.front());
      full_.pop_front();
    }
    Hash(std::span(chunk->data.get(), chunk->size));
    {
      std::lock_guard lock(mu_);
      free_.push_back(std::move(chunk));
    }
    changed_.notify_all();
  }
}

Digests DigestPipeline::Finish() {
  if (threaded()) {
    if (filling_ && filling_->size > 0) Submit(std::move(filling_));
    {
      std::unique_lock lock(mu_);
      changed_.wait(lock, [this] {
        return full_.empty() && free_.size() == kChunks - (filling_ ? 1 : 0);
      });
      closing_ = true;
    }
    changed_.notify_all();
    worker_.join();
  }
  Digests out;
  out.md5 = md5_.Finish();
  if (checksummer_) out.checksum = checksummer_->Finish();
  if (sha256_) out.sha256 = sha256_->Finish();
  return out;
}

}  // namespace trainload::server
