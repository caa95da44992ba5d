#include "common/checksum.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/encoding.h"

namespace trainload {
namespace {

constexpr ChecksumAlgorithm kAll[] = {ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c,
                                      ChecksumAlgorithm::kCrc64Nvme, ChecksumAlgorithm::kSha1,
                                      ChecksumAlgorithm::kSha256};
constexpr ChecksumAlgorithm kCrcs[] = {ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c,
                                       ChecksumAlgorithm::kCrc64Nvme};

std::string RandomString(size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  return bytes;
}

std::string HeaderValue(ChecksumAlgorithm algorithm, std::string_view data) {
  return Base64Encode(ComputeChecksum(algorithm, data));
}

TEST(ChecksumTest, NamesRoundTrip) {
  EXPECT_EQ(ChecksumName(ChecksumAlgorithm::kCrc32), "CRC32");
  EXPECT_EQ(ChecksumName(ChecksumAlgorithm::kCrc32c), "CRC32C");
  EXPECT_EQ(ChecksumName(ChecksumAlgorithm::kCrc64Nvme), "CRC64NVME");
  EXPECT_EQ(ChecksumName(ChecksumAlgorithm::kSha1), "SHA1");
  EXPECT_EQ(ChecksumName(ChecksumAlgorithm::kSha256), "SHA256");
  for (ChecksumAlgorithm algorithm : kAll) {
    EXPECT_EQ(ChecksumFromName(ChecksumName(algorithm)), algorithm);
    EXPECT_EQ(ChecksumFromHeaderName(ChecksumHeaderName(algorithm)), algorithm);
  }
  EXPECT_EQ(ChecksumFromName("crc64nvme"), ChecksumAlgorithm::kCrc64Nvme);
  EXPECT_EQ(ChecksumFromName("Crc32C"), ChecksumAlgorithm::kCrc32c);
  EXPECT_EQ(ChecksumFromName("CRC16"), std::nullopt);
  EXPECT_EQ(ChecksumFromName("CRC32 "), std::nullopt);
  EXPECT_EQ(ChecksumFromName(""), std::nullopt);
  EXPECT_EQ(ChecksumFromName("MD5"), std::nullopt);
}

TEST(ChecksumTest, HeaderNames) {
  EXPECT_EQ(ChecksumHeaderName(ChecksumAlgorithm::kCrc32), "x-amz-checksum-crc32");
  EXPECT_EQ(ChecksumHeaderName(ChecksumAlgorithm::kCrc32c), "x-amz-checksum-crc32c");
  EXPECT_EQ(ChecksumHeaderName(ChecksumAlgorithm::kCrc64Nvme), "x-amz-checksum-crc64nvme");
  EXPECT_EQ(ChecksumHeaderName(ChecksumAlgorithm::kSha1), "x-amz-checksum-sha1");
  EXPECT_EQ(ChecksumHeaderName(ChecksumAlgorithm::kSha256), "x-amz-checksum-sha256");
  EXPECT_EQ(ChecksumFromHeaderName("X-Amz-Checksum-SHA256"), ChecksumAlgorithm::kSha256);
  EXPECT_EQ(ChecksumFromHeaderName("X-AMZ-CHECKSUM-CRC32C"), ChecksumAlgorithm::kCrc32c);
  EXPECT_EQ(ChecksumFromHeaderName("x-amz-checksum-type"), std::nullopt);
  EXPECT_EQ(ChecksumFromHeaderName("x-amz-checksum-mode"), std::nullopt);
  EXPECT_EQ(ChecksumFromHeaderName("x-amz-checksum-"), std::nullopt);
  EXPECT_EQ(ChecksumFromHeaderName("crc32"), std::nullopt);
}

TEST(ChecksumTest, SizesAndKinds) {
  EXPECT_EQ(ChecksumSize(ChecksumAlgorithm::kCrc32), 4u);
  EXPECT_EQ(ChecksumSize(ChecksumAlgorithm::kCrc32c), 4u);
  EXPECT_EQ(ChecksumSize(ChecksumAlgorithm::kCrc64Nvme), 8u);
  EXPECT_EQ(ChecksumSize(ChecksumAlgorithm::kSha1), 20u);
  EXPECT_EQ(ChecksumSize(ChecksumAlgorithm::kSha256), 32u);
  EXPECT_TRUE(IsCrc(ChecksumAlgorithm::kCrc32));
  EXPECT_TRUE(IsCrc(ChecksumAlgorithm::kCrc32c));
  EXPECT_TRUE(IsCrc(ChecksumAlgorithm::kCrc64Nvme));
  EXPECT_FALSE(IsCrc(ChecksumAlgorithm::kSha1));
  EXPECT_FALSE(IsCrc(ChecksumAlgorithm::kSha256));
  for (ChecksumAlgorithm algorithm : kAll) {
    EXPECT_EQ(ComputeChecksum(algorithm, "x").size(), ChecksumSize(algorithm));
  }
}

TEST(ChecksumTest, CatalogueCheckValues) {
  EXPECT_EQ(Crc32(0, "123456789", 9), 0xCBF43926u);
  EXPECT_EQ(Crc32c(0, "123456789", 9), 0xE3069283u);
  EXPECT_EQ(Crc64Nvme(0, "123456789", 9), 0xAE8B14860A799888u);
  EXPECT_EQ(ComputeChecksum(ChecksumAlgorithm::kCrc32, "123456789"), "\xCB\xF4\x39\x26");
  EXPECT_EQ(ComputeChecksum(ChecksumAlgorithm::kCrc32c, "123456789"), "\xE3\x06\x92\x83");
  EXPECT_EQ(ComputeChecksum(ChecksumAlgorithm::kCrc64Nvme, "123456789"),
            "\xAE\x8B\x14\x86\x0A\x79\x98\x88");
}

// RFC 3720 appendix B.4 (iSCSI CRC32C examples).
TEST(ChecksumTest, Crc32cRfc3720Vectors) {
  std::string zeros(32, '\0'), ones(32, '\xff'), ascending, descending;
  for (int i = 0; i < 32; ++i) {
    ascending.push_back(static_cast<char>(i));
    descending.push_back(static_cast<char>(31 - i));
  }
  EXPECT_EQ(Crc32c(0, zeros.data(), 32), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(0, ones.data(), 32), 0x62A8AB43u);
  EXPECT_EQ(Crc32c(0, ascending.data(), 32), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(0, descending.data(), 32), 0x113FDB5Cu);
}

// Header values as S3 and the AWS SDKs write them.
TEST(ChecksumTest, S3HeaderValues) {
  // Python: base64(zlib.crc32(b"hello world").to_bytes(4, "big")), hashlib.sha1/sha256.
  EXPECT_EQ(HeaderValue(ChecksumAlgorithm::kCrc32, "hello world"), "DUoRhQ==");
  EXPECT_EQ(HeaderValue(ChecksumAlgorithm::kSha1, "hello world"), "Kq5sNclPz7QV2+lfQIuc6R7oRu0=");
  EXPECT_EQ(HeaderValue(ChecksumAlgorithm::kSha256, "hello world"),
            "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=");
  // AWS CRT tests: CRC32("Hello") = 4157704578, CRC32C("Hello") = 2178485787.
  EXPECT_EQ(Crc32(0, "Hello", 5), 4157704578u);
  EXPECT_EQ(Crc32c(0, "Hello", 5), 2178485787u);
  // `echo 'Hello, World!' | crc64nvme | base64` from a published CRC64NVME tool.
  EXPECT_EQ(HeaderValue(ChecksumAlgorithm::kCrc64Nvme, "Hello, World!\n"), "SoXXbx67KpE=");
  // An empty object.
  EXPECT_EQ(HeaderValue(ChecksumAlgorithm::kCrc32, ""), "AAAAAA==");
  EXPECT_EQ(HeaderValue(ChecksumAlgorithm::kCrc32c, ""), "AAAAAA==");
  EXPECT_EQ(HeaderValue(ChecksumAlgorithm::kCrc64Nvme, ""), "AAAAAAAAAAA=");
  EXPECT_EQ(HeaderValue(ChecksumAlgorithm::kSha256, ""),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

TEST(ChecksumTest, ShaVectors) {
  // FIPS 180 "abc".
  EXPECT_EQ(HexEncode(ComputeChecksum(ChecksumAlgorithm::kSha1, "abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(HexEncode(ComputeChecksum(ChecksumAlgorithm::kSha256, "abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ChecksumTest, Crc32MatchesZlib) {
  for (size_t size : {0, 1, 15, 16, 17, 63, 64, 255, 256, 1000, 4096, 65537, 1 << 20}) {
    const std::string data = RandomString(size + 1, size);
    const auto* p = reinterpret_cast<const Bytef*>(data.data() + 1);
    EXPECT_EQ(Crc32(0, data.data() + 1, size), crc32_z(0, p, size)) << size;
    EXPECT_EQ(Crc32(0x12345678, data.data() + 1, size), crc32_z(0x12345678, p, size)) << size;
  }
}

TEST(ChecksumTest, StreamingEqualsOneShotForRandomSplits) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 100; ++round) {
    const size_t size = rng() % 10001;
    const std::string buffer = RandomString(size + 3, round);
    const std::string_view data = std::string_view(buffer).substr(round % 4, size);  // unaligned
    for (ChecksumAlgorithm algorithm : kAll) {
      auto checksummer = Checksummer::Create(algorithm);
      ASSERT_EQ(checksummer->algorithm(), algorithm);
      size_t done = 0;
      while (done < size) {
        const size_t piece = std::min<size_t>(size - done, rng() % 1500);
        checksummer->Update(data.substr(done, piece));
        done += piece;
      }
      ASSERT_EQ(checksummer->Finish(), ComputeChecksum(algorithm, data))
          << ChecksumName(algorithm) << " size " << size;
    }
  }
}

TEST(ChecksumTest, SpanUpdateEqualsStringUpdate) {
  const std::string data = RandomString(3000, 8);
  for (ChecksumAlgorithm algorithm : kAll) {
    auto checksummer = Checksummer::Create(algorithm);
    checksummer->Update(std::as_bytes(std::span<const char>(data.data(), 1000)));
    checksummer->Update(std::span<const std::byte>());
    checksummer->Update(std::string_view(data).substr(1000));
    EXPECT_EQ(checksummer->Finish(), ComputeChecksum(algorithm, data)) << ChecksumName(algorithm);
  }
}

TEST(ChecksumTest, ChainedCrcCallsEqualOneShot) {
  const std::string data = RandomString(5000, 9);
  const uint32_t crc32 = Crc32(0, data.data(), data.size());
  const uint32_t crc32c = Crc32c(0, data.data(), data.size());
  for (size_t split = 0; split <= data.size(); split += 37) {
    EXPECT_EQ(Crc32(Crc32(0, data.data(), split), data.data() + split, data.size() - split), crc32);
    EXPECT_EQ(Crc32c(Crc32c(0, data.data(), split), data.data() + split, data.size() - split),
              crc32c);
  }
}

TEST(ChecksumTest, Crc32CombineMatchesZlib) {
  std::mt19937_64 rng(10);
  for (int round = 0; round < 200; ++round) {
    const uint32_t a = static_cast<uint32_t>(rng()), b = static_cast<uint32_t>(rng());
    const uint64_t len = rng() % (uint64_t{1} << (round % 40));
    EXPECT_EQ(Crc32Combine(a, b, len), crc32_combine(a, b, static_cast<z_off_t>(len))) << len;
  }
}

TEST(ChecksumTest, CombineEqualsDirectComputation) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 100; ++round) {
    const size_t size = rng() % 20000;
    const size_t split = rng() % (size + 1);
    const std::string data = RandomString(size, round + 50);
    const std::string_view a = std::string_view(data).substr(0, split);
    const std::string_view b = std::string_view(data).substr(split);
    EXPECT_EQ(Crc32Combine(Crc32(0, a.data(), a.size()), Crc32(0, b.data(), b.size()), b.size()),
              Crc32(0, data.data(), data.size()));
    EXPECT_EQ(Crc32cCombine(Crc32c(0, a.data(), a.size()), Crc32c(0, b.data(), b.size()), b.size()),
              Crc32c(0, data.data(), data.size()));
    for (ChecksumAlgorithm algorithm : kCrcs) {
      EXPECT_EQ(CombineCrc(algorithm, ComputeChecksum(algorithm, a), ComputeChecksum(algorithm, b),
                           b.size()),
                ComputeChecksum(algorithm, data))
          << ChecksumName(algorithm) << " size " << size << " split " << split;
    }
  }
}

TEST(ChecksumTest, CombineOfManyPartsEqualsWholeObject) {
  // A multipart upload's full-object CRC folded part by part.
  const std::string object = RandomString(100000, 12);
  const size_t part_sizes[] = {1, 8192, 30000, 0, 50000, 11807};
  for (ChecksumAlgorithm algorithm : kCrcs) {
    std::string combined = ComputeChecksum(algorithm, "");
    size_t offset = 0;
    for (size_t part_size : part_sizes) {
      const std::string part = object.substr(offset, part_size);
      combined = *CombineCrc(algorithm, combined, ComputeChecksum(algorithm, part), part.size());
      offset += part_size;
    }
    ASSERT_EQ(offset, object.size());
    EXPECT_EQ(Base64Encode(combined), HeaderValue(algorithm, object)) << ChecksumName(algorithm);
  }
}

TEST(ChecksumTest, CombineRejectsShaAndMalformedDigests) {
  EXPECT_EQ(CombineCrc(ChecksumAlgorithm::kSha256, ComputeChecksum(ChecksumAlgorithm::kSha256, "a"),
                       ComputeChecksum(ChecksumAlgorithm::kSha256, "b"), 1),
            std::nullopt);
  EXPECT_EQ(CombineCrc(ChecksumAlgorithm::kSha1, ComputeChecksum(ChecksumAlgorithm::kSha1, "a"),
                       ComputeChecksum(ChecksumAlgorithm::kSha1, "b"), 1),
            std::nullopt);
  EXPECT_EQ(CombineCrc(ChecksumAlgorithm::kCrc32, "abc", "abcd", 1), std::nullopt);
  EXPECT_EQ(CombineCrc(ChecksumAlgorithm::kCrc64Nvme, "abcd", "abcd", 1), std::nullopt);
}

}  // namespace
}  // namespace trainload
