#include "common/crc64nvme.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace trainload {
namespace {

uint64_t Crc(std::string_view text) { return Crc64Nvme(0, text.data(), text.size()); }

std::vector<unsigned char> RandomBytes(size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<unsigned char> bytes(size);
  for (unsigned char& b : bytes) b = static_cast<unsigned char>(rng());
  return bytes;
}

TEST(Crc64NvmeTest, CatalogueCheckValue) {
  const std::string_view check = "123456789";
  EXPECT_EQ(Crc(check), 0xAE8B14860A799888u);
  EXPECT_EQ(Crc64NvmeTable(0, check.data(), check.size()), 0xAE8B14860A799888u);
  EXPECT_EQ(Crc64NvmeClmul(0, check.data(), check.size()), 0xAE8B14860A799888u);
}

// Vectors from the AWS CRT checksum tests (awslabs/aws-checksums, aws-c-s3).
TEST(Crc64NvmeTest, PublishedVectors) {
  EXPECT_EQ(Crc(""), 0u);
  EXPECT_EQ(Crc("aaaaaaaaaa"), 0x0C1A80036D65C555u);
  const std::string zeros(32, '\0');
  EXPECT_EQ(Crc(zeros), 0xCF3473434D4ECF3Bu);
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  EXPECT_EQ(Crc(ascending), 0xB9D9D4A8492CBD7Fu);
}

TEST(Crc64NvmeTest, AppendingTheCrcGivesTheResidue) {
  // A reflected CRC appended little-endian to its message leaves a fixed register value, so the
  // CRC of message||crc is the same constant for every message: the catalogue's residue
  // 0xF310303B2B6F6E42 is that register before the final inversion.
  for (size_t size : {0, 1, 9, 100, 5000}) {
    std::vector<unsigned char> message = RandomBytes(size, size);
    uint64_t crc = Crc64Nvme(0, message.data(), message.size());
    for (int i = 0; i < 8; ++i) message.push_back(static_cast<unsigned char>(crc >> (8 * i)));
    EXPECT_EQ(Crc64Nvme(0, message.data(), message.size()), ~uint64_t{0xF310303B2B6F6E42}) << size;
  }
}

TEST(Crc64NvmeTest, ClmulMatchesTableForEveryLengthAndAlignment) {
  if (!Crc64NvmeHasClmul()) GTEST_SKIP() << "CPU lacks PCLMULQDQ/SSE4.1";
  const std::vector<unsigned char> data = RandomBytes(4096 + 16, 1);
  for (size_t size = 0; size <= 4096; ++size) {
    const unsigned char* p = data.data() + size % 16;  // every misalignment
    const uint64_t seed = size * 0x9E3779B97F4A7C15u;  // a running CRC to continue from
    ASSERT_EQ(Crc64NvmeClmul(0, p, size), Crc64NvmeTable(0, p, size)) << "size " << size;
    ASSERT_EQ(Crc64NvmeClmul(seed, p, size), Crc64NvmeTable(seed, p, size)) << "size " << size;
  }
}

TEST(Crc64NvmeTest, ClmulMatchesTableForLargeBuffers) {
  if (!Crc64NvmeHasClmul()) GTEST_SKIP() << "CPU lacks PCLMULQDQ/SSE4.1";
  const std::vector<unsigned char> data = RandomBytes((8 << 20) + 77, 2);
  for (size_t size : {size_t{65536}, size_t{1 << 20}, size_t{(1 << 20) + 13}, data.size() - 3}) {
    EXPECT_EQ(Crc64NvmeClmul(0, data.data() + 3, size), Crc64NvmeTable(0, data.data() + 3, size))
        << "size " << size;
  }
  const std::vector<unsigned char> ones(1 << 20, 0xff);
  EXPECT_EQ(Crc64NvmeClmul(0, ones.data(), ones.size()),
            Crc64NvmeTable(0, ones.data(), ones.size()));
}

TEST(Crc64NvmeTest, ChainedCallsEqualOneShot) {
  std::mt19937_64 rng(3);
  for (int round = 0; round < 200; ++round) {
    const size_t size = rng() % 10001;
    const std::vector<unsigned char> data = RandomBytes(size + 1, round);
    const unsigned char* p = data.data() + 1;  // unaligned start
    const uint64_t expected = Crc64NvmeTable(0, p, size);
    uint64_t crc = 0;
    size_t done = 0;
    while (done < size) {
      const size_t piece = std::min<size_t>(size - done, rng() % 700);
      crc = Crc64Nvme(crc, p + done, piece);
      done += piece;
    }
    ASSERT_EQ(crc, expected) << "size " << size;
  }
}

TEST(Crc64NvmeTest, EveryTwoWaySplitEqualsOneShot) {
  const std::vector<unsigned char> data = RandomBytes(1000, 4);
  const uint64_t expected = Crc64Nvme(0, data.data(), data.size());
  for (size_t split = 0; split <= data.size(); ++split) {
    const uint64_t first = Crc64Nvme(0, data.data(), split);
    ASSERT_EQ(Crc64Nvme(first, data.data() + split, data.size() - split), expected) << split;
  }
}

TEST(Crc64NvmeTest, CombineEqualsDirectComputation) {
  std::mt19937_64 rng(5);
  for (int round = 0; round < 300; ++round) {
    const size_t size = rng() % 20000;
    const size_t split = size == 0 ? 0 : rng() % (size + 1);
    const std::vector<unsigned char> data = RandomBytes(size, round + 100);
    const uint64_t a = Crc64Nvme(0, data.data(), split);
    const uint64_t b = Crc64Nvme(0, data.data() + split, size - split);
    ASSERT_EQ(Crc64NvmeCombine(a, b, size - split), Crc64Nvme(0, data.data(), size))
        << "size " << size << " split " << split;
  }
}

TEST(Crc64NvmeTest, CombineWithEmptySecondPartKeepsFirst) {
  EXPECT_EQ(Crc64NvmeCombine(Crc("123456789"), 0, 0), 0xAE8B14860A799888u);
  EXPECT_EQ(Crc64NvmeCombine(0, Crc("123456789"), 9), 0xAE8B14860A799888u);
}

TEST(Crc64NvmeTest, CombineOfLongZeroRunsMatchesDirect) {
  // 5 MiB + 3 of zeros exercises many bits of the length.
  const std::vector<unsigned char> zeros((5 << 20) + 3, 0);
  const uint64_t head = Crc("trainload");
  const uint64_t tail = Crc64Nvme(0, zeros.data(), zeros.size());
  EXPECT_EQ(Crc64NvmeCombine(head, tail, zeros.size()),
            Crc64Nvme(head, zeros.data(), zeros.size()));
}

TEST(Crc64NvmeTest, CombineIsAssociativeForHugeLengths) {
  // Lengths of multi-terabyte objects cannot be checked directly; associativity of the
  // combination still pins down the x^(8n) powers for the high bits of n.
  const uint64_t a = Crc("part one");
  const uint64_t b = Crc("part two");
  const uint64_t c = Crc("part three");
  const uint64_t len_b = (uint64_t{5} << 40) + 12345;
  const uint64_t len_c = (uint64_t{3} << 58) + 1;
  EXPECT_EQ(Crc64NvmeCombine(Crc64NvmeCombine(a, b, len_b), c, len_c),
            Crc64NvmeCombine(a, Crc64NvmeCombine(b, c, len_c), len_b + len_c));
}

}  // namespace
}  // namespace trainload
