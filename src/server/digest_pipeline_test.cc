#include "server/digest_pipeline.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <thread>
#include <vector>

namespace trainload::server {
namespace {

std::string Data(size_t size) {
  std::string s(size, '\0');
  std::mt19937 rng(9);
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

TEST(DigestPipelineTest, ThreadedAndInlineGiveTheSameDigestsForAnySplit) {
  for (size_t size : {0ul, 1ul, (1ul << 20) - 1, 1ul << 20, (5ul << 20) + 3}) {
    std::string data = Data(size);
    for (bool threaded : {false, true}) {
      DigestPipeline pipeline(ChecksumAlgorithm::kCrc64Nvme, /*sha256=*/true, threaded);
      std::mt19937 rng(static_cast<uint32_t>(size));
      for (size_t at = 0; at < data.size();) {
        size_t n = std::min<size_t>(data.size() - at, rng() % 300000 + 1);
        pipeline.Update(std::as_bytes(std::span(data.data() + at, n)));
        at += n;
      }
      Digests d = pipeline.Finish();
      EXPECT_EQ(d.md5, Md5(data)) << size << " threaded=" << threaded;
      EXPECT_EQ(d.checksum, ComputeChecksum(ChecksumAlgorithm::kCrc64Nvme, data));
      Sha256Bytes sha = Sha256(data);
      EXPECT_EQ(d.sha256, std::string(reinterpret_cast<const char*>(sha.data()), sha.size()));
    }
  }
}

// Pipelines of concurrent uploads share one Md5Lanes, each on its own thread, threaded or not:
// each gets its own body's MD5.
TEST(DigestPipelineTest, PipelinesSharingMd5LanesEachGetTheirOwnMd5) {
  Md5Lanes lanes;
  std::vector<std::string> bodies;
  for (uint32_t i = 0; i < 6; ++i) bodies.push_back(Data((i + 1) * 700000 + i));
  bodies.push_back(Data(9 << 20));
  std::vector<std::string> md5s(bodies.size());
  std::vector<std::thread> uploads;
  for (size_t i = 0; i < bodies.size(); ++i) {
    uploads.emplace_back([&, i] {
      DigestPipeline pipeline(std::nullopt, /*sha256=*/false, /*threaded=*/i % 2 == 0, &lanes);
      const std::string& data = bodies[i];
      for (size_t at = 0; at < data.size(); at += 256 << 10) {
        size_t n = std::min<size_t>(data.size() - at, 256 << 10);
        pipeline.Update(std::as_bytes(std::span(data.data() + at, n)));
      }
      md5s[i] = pipeline.Finish().md5;
    });
  }
  for (auto& upload : uploads) upload.join();
  for (size_t i = 0; i < bodies.size(); ++i) EXPECT_EQ(md5s[i], Md5(bodies[i])) << "body " << i;
}

TEST(DigestPipelineTest, ReceivingIntoChunksGivesTheSameDigestsAsUpdate) {
  for (size_t size : {1ul, (1ul << 20) - 1, 1ul << 20, (9ul << 20) + 5}) {
    std::string data = Data(size);
    DigestPipeline pipeline(ChecksumAlgorithm::kCrc32c, /*sha256=*/true, /*threaded=*/true);
    ASSERT_TRUE(pipeline.threaded());
    std::mt19937 rng(static_cast<uint32_t>(size) + 1);
    for (size_t at = 0; at < data.size();) {
      // Alternate both ways in, as a body that switches between them would.
      size_t n = std::min<size_t>(data.size() - at, rng() % 200000 + 1);
      if (rng() % 2 == 0) {
        pipeline.Update(std::as_bytes(std::span(data.data() + at, n)));
      } else {
        std::span<std::byte> space = pipeline.ReceiveBuffer();
        ASSERT_FALSE(space.empty());
        n = std::min(n, space.size());
        std::memcpy(space.data(), data.data() + at, n);
        pipeline.Received(n);
      }
      at += n;
    }
    Digests d = pipeline.Finish();
    EXPECT_EQ(d.md5, Md5(data)) << size;
    EXPECT_EQ(d.checksum, ComputeChecksum(ChecksumAlgorithm::kCrc32c, data)) << size;
    Sha256Bytes sha = Sha256(data);
    EXPECT_EQ(d.sha256, std::string(reinterpret_cast<const char*>(sha.data()), sha.size()));
  }
}

TEST(DigestPipelineTest, ReceiveBufferUnusedAtFinishDigestsNothing) {
  DigestPipeline pipeline(ChecksumAlgorithm::kCrc64Nvme, false, true);
  (void)pipeline.ReceiveBuffer();
  pipeline.Received(0);
  Digests d = pipeline.Finish();
  EXPECT_EQ(d.md5, Md5(""));
  EXPECT_EQ(d.checksum, ComputeChecksum(ChecksumAlgorithm::kCrc64Nvme, ""));
}

TEST(DigestPipelineTest, AbandonedPipelineStopsCleanly) {
  std::string data = Data(3 << 20);
  DigestPipeline pipeline(std::nullopt, false, true);
  pipeline.Update(std::as_bytes(std::span(data.data(), data.size())));
}

}  // namespace
}  // namespace trainload::server
