#include "cache/block_file.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "common/checksum.h"
#include "common/encoding.h"

namespace trainload::cache {
namespace {

std::span<const std::byte> Bytes(std::string_view s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

BlockId Id(std::string bucket, std::string key, std::string etag, uint64_t index) {
  return BlockId{std::move(bucket), std::move(key), std::move(etag), index};
}

TEST(BlockFileTest, HeaderLayoutIsFixed) {
  const BlockId id = Id("bkt", "a/b", "e1", 0x0102030405060708ull);
  const std::string header = EncodeBlockHeader(id, 1 << 20, 0x11223344, 0xaabbccdd);
  ASSERT_EQ(header.size(), 44u + 3 + 3 + 2);
  EXPECT_EQ(BlockHeaderSize(id), header.size());
  EXPECT_EQ(HexEncode(header.substr(0, 40)),
            "544c4243"          // "TLBC"
            "0100"              // version 1
            "3400"              // header size 52
            "0000100000000000"  // block size 2^20
            "0807060504030201"  // index
            "44332211"          // data length
            "ddccbbaa"          // data CRC32C
            "030003000200"      // bucket, key, etag lengths
            "0000");            // reserved
  EXPECT_EQ(header.substr(40, 8), "bkta/be1");
  const uint32_t crc = Crc32c(0, header.data(), header.size() - 4);
  char crc_le[4] = {static_cast<char>(crc), static_cast<char>(crc >> 8),
                    static_cast<char>(crc >> 16), static_cast<char>(crc >> 24)};
  EXPECT_EQ(header.substr(48), std::string(crc_le, 4));
}

TEST(BlockFileTest, DecodeReturnsTheEncodedFields) {
  const BlockId id = Id("bucket", "dir/file.bin", "0123abcd", 7);
  const std::string header = EncodeBlockHeader(id, 4096, 100, 42);
  // Trailing bytes (the data) do not disturb decoding.
  const std::string file = header + std::string(100, 'x');
  auto h = DecodeBlockHeader(Bytes(file));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->version, 1);
  EXPECT_EQ(h->size, header.size());
  EXPECT_EQ(h->block_size, 4096u);
  EXPECT_EQ(h->index, 7u);
  EXPECT_EQ(h->data_length, 100u);
  EXPECT_EQ(h->data_crc32c, 42u);
  EXPECT_EQ(h->bucket, "bucket");
  EXPECT_EQ(h->key, "dir/file.bin");
  EXPECT_EQ(h->etag, "0123abcd");
}

TEST(BlockFileTest, DecodeRejectsDamagedHeaders) {
  const std::string header = EncodeBlockHeader(Id("b", "k", "e", 1), 4096, 10, 0);
  EXPECT_FALSE(DecodeBlockHeader(Bytes(header.substr(0, header.size() - 1))));
  EXPECT_FALSE(DecodeBlockHeader(Bytes("")));
  for (size_t i = 0; i < header.size(); ++i) {
    std::string damaged = header;
    damaged[i] ^= 0x01;
    EXPECT_FALSE(DecodeBlockHeader(Bytes(damaged))) << "byte " << i;
  }
}

class VerifyBlockTest : public ::testing::Test {
 protected:
  BlockCheck Verify(const BlockId& asked, std::string_view file, uint64_t block_size = 16) {
    const size_t header_size = std::min(BlockHeaderSize(asked), file.size());
    return VerifyBlock(asked, block_size, Bytes(file.substr(0, header_size)),
                       Bytes(file.substr(header_size)));
  }
  std::string File(const BlockId& id, std::string_view data, uint64_t block_size = 16) {
    return EncodeBlockHeader(id, block_size, static_cast<uint32_t>(data.size()),
                             Crc32c(0, data.data(), data.size())) +
           std::string(data);
  }
  const BlockId id_ = Id("bucket", "key", "etag", 3);
};

TEST_F(VerifyBlockTest, AcceptsTheBlockItWasWrittenFor) {
  EXPECT_EQ(Verify(id_, File(id_, "0123456789abcdef")), BlockCheck::kOk);
  EXPECT_EQ(Verify(id_, File(id_, "short")), BlockCheck::kOk);
}

TEST_F(VerifyBlockTest, RejectsAnyOtherId) {
  const std::string file = File(id_, "data");
  EXPECT_EQ(Verify(Id("bucket", "key", "etag", 4), file), BlockCheck::kWrongBlock);
  EXPECT_EQ(Verify(Id("bucket", "kez", "etag", 3), file), BlockCheck::kWrongBlock);
  EXPECT_EQ(Verify(Id("bucket", "key", "etaG", 3), file), BlockCheck::kWrongBlock);
  EXPECT_EQ(Verify(Id("buckex", "key", "etag", 3), file), BlockCheck::kWrongBlock);
  // Same total length, different split: the header size matches, the fields do not.
  EXPECT_EQ(Verify(Id("bucketk", "ey", "etag", 3), file), BlockCheck::kWrongBlock);
  // Names of other lengths: the header size differs from the one asked for.
  const std::string long_file = File(id_, "0123456789abcdef");
  EXPECT_EQ(Verify(Id("bucket", "longer key", "etag", 3), long_file), BlockCheck::kWrongBlock);
  EXPECT_EQ(Verify(Id("bucket", "k", "etag", 3), long_file), BlockCheck::kBadHeader);
  // Written by a cache with another block size.
  EXPECT_EQ(Verify(id_, file, 32), BlockCheck::kWrongBlock);
}

TEST_F(VerifyBlockTest, RejectsDamagedOrCutFiles) {
  const std::string file = File(id_, "0123456789");
  std::string flipped = file;
  flipped.back() ^= 0x20;
  EXPECT_EQ(Verify(id_, flipped), BlockCheck::kBadDataChecksum);
  EXPECT_EQ(Verify(id_, file.substr(0, file.size() - 1)), BlockCheck::kBadLength);
  EXPECT_EQ(Verify(id_, file + "x"), BlockCheck::kBadLength);
  EXPECT_EQ(Verify(id_, file.substr(0, BlockHeaderSize(id_))), BlockCheck::kBadLength);
  EXPECT_EQ(Verify(id_, file.substr(0, 10)), BlockCheck::kTruncated);
  EXPECT_EQ(Verify(id_, ""), BlockCheck::kTruncated);
  std::string bad_header = file;
  bad_header[20] ^= 0x01;
  EXPECT_EQ(Verify(id_, bad_header), BlockCheck::kBadHeader);
}

TEST_F(VerifyBlockTest, RejectsALengthFieldAboveTheBlockSize) {
  // A consistent file whose header claims more data than a block holds.
  const std::string data(20, 'z');
  const std::string header = EncodeBlockHeader(id_, 16, 20, Crc32c(0, data.data(), data.size()));
  EXPECT_EQ(Verify(id_, header + data, 16), BlockCheck::kBadLength);
}

TEST(BlockPathTest, FansOutByHashAndPadsTheIndex) {
  const ObjectHash hash = HashObject("bucket", "a/../b c%", "etag");
  const std::string hex =
      HexEncode(std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()));
  BlockPath path(hash, 42);
  EXPECT_EQ(path.view(), hex.substr(0, 2) + "/" + hex.substr(2) + "/0000000042");
  EXPECT_EQ(std::strlen(path.c_str()), path.view().size());
  EXPECT_EQ(path.shard_dir(), hex.substr(0, 2));
  EXPECT_EQ(path.object_dir(), hex.substr(0, 2) + "/" + hex.substr(2));
  EXPECT_EQ(BlockPath(hash, 0).view().substr(66), "0000000000");
  EXPECT_EQ(BlockPath(hash, 12345678901ull).view().substr(66), "12345678901");
  EXPECT_EQ(BlockPath(hash, UINT64_MAX).view().substr(66), "18446744073709551615");
}

TEST(BlockPathTest, HashSeparatesBucketKeyAndEtag) {
  EXPECT_NE(HashObject("ab", "c", "e"), HashObject("a", "bc", "e"));
  EXPECT_NE(HashObject("a", "bc", "e"), HashObject("a", "b", "ce"));
  EXPECT_NE(HashObject("a", "b", "e1"), HashObject("a", "b", "e2"));
  EXPECT_EQ(HashObject("a", "b", "e"), HashObject("a", "b", "e"));
}

TEST(BlockPathTest, ParsesWhatItWrites) {
  const ObjectHash hash = HashObject("b", "k", "e");
  BlockPath path(hash, 9);
  auto parsed = ParseObjectDir(path.shard_dir(), path.view().substr(3, 62));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, hash);
  EXPECT_EQ(ParseBlockFileName("0000000009"), 9u);
  EXPECT_EQ(ParseBlockFileName("12345678901"), 12345678901ull);
  EXPECT_EQ(ParseBlockFileName("18446744073709551615"), UINT64_MAX);

  EXPECT_FALSE(ParseBlockFileName("18446744073709551616"));
  EXPECT_FALSE(ParseBlockFileName("000000009"));    // too short
  EXPECT_FALSE(ParseBlockFileName("00000000009"));  // leading zero beyond 10 digits
  EXPECT_FALSE(ParseBlockFileName("000000000x"));
  EXPECT_FALSE(ParseBlockFileName("tmp.000001"));
  const std::string upper(62, 'A');
  EXPECT_FALSE(ParseObjectDir("ab", upper));
  EXPECT_FALSE(ParseObjectDir("ab", std::string(61, 'a')));
  EXPECT_FALSE(ParseObjectDir("a", std::string(62, 'a')));
  EXPECT_FALSE(ParseObjectDir("zz", std::string(62, 'a')));
}

}  // namespace
}  // namespace trainload::cache
