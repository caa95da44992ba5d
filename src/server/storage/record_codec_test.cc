#include "server/storage/record_codec.h"

#include <gtest/gtest.h>

namespace trainload::storage {
namespace {

ObjectRecord FullRecord() {
  ObjectRecord r;
  r.key = std::string("dir/\0odd key \xc3\xa9", 15);
  r.size = 7 + 70000;
  r.etag = "0123456789abcdef0123456789abcdef-2";
  r.last_modified_ms = 1'700'000'123'456;
  r.attributes.content_type = "text/plain; charset=utf-8";
  r.attributes.content_encoding = "gzip";
  r.attributes.content_disposition = "attachment; filename=\"a b.txt\"";
  r.attributes.content_language = "en-US";
  r.attributes.cache_control = "max-age=60";
  r.attributes.expires = "Thu, 01 Dec 1994 16:00:00 GMT";
  r.attributes.user_metadata = {
      {"owner", "alice"}, {"empty", ""}, {"bin", std::string("\0\xff", 2)}};
  r.attributes.storage_class = "REDUCED_REDUNDANCY";
  r.checksum = StoredChecksum{3, std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8), false};
  r.segments = {{"0000000000000001000000000000002a", 7},
                {"ffffffffffffffff00000000000000ff", 70000}};
  r.part_count = 2;
  r.part_checksums = {"abcd", std::string("\0\0\0\0", 4)};
  return r;
}

TEST(RecordCodecTest, ObjectRecordRoundTripsEveryField) {
  ObjectRecord r = FullRecord();
  auto decoded = DecodeObjectRecord(r.key, EncodeObjectRecord(r));
  ASSERT_TRUE(decoded) << decoded.error().ToString();
  EXPECT_EQ(*decoded, r);
}

TEST(RecordCodecTest, MinimalObjectRecordRoundTrips) {
  ObjectRecord r;
  r.key = "k";
  r.last_modified_ms = -5;  // negative times survive zigzag
  auto decoded = DecodeObjectRecord("k", EncodeObjectRecord(r));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, r);
  EXPECT_FALSE(decoded->checksum.has_value());
}

TEST(RecordCodecTest, EveryTruncationIsDataLoss) {
  std::string encoded = EncodeObjectRecord(FullRecord());
  for (size_t n = 0; n < encoded.size(); ++n) {
    auto decoded = DecodeObjectRecord("k", encoded.substr(0, n));
    ASSERT_FALSE(decoded) << "prefix of " << n << " bytes decoded";
    EXPECT_EQ(decoded.error().code(), StatusCode::kDataLoss);
  }
}

TEST(RecordCodecTest, TrailingBytesUnknownVersionAndBadSizesAreDataLoss) {
  std::string encoded = EncodeObjectRecord(FullRecord());
  EXPECT_EQ(DecodeObjectRecord("k", encoded + "x").error().code(), StatusCode::kDataLoss);
  std::string wrong_version = encoded;
  wrong_version[0] = 2;
  auto v = DecodeObjectRecord("k", wrong_version);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message().find("version 2"), std::string::npos) << v.error().message();

  ObjectRecord r = FullRecord();
  r.size += 1;  // no longer the sum of the segments
  auto mismatch = DecodeObjectRecord(r.key, EncodeObjectRecord(r));
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().code(), StatusCode::kDataLoss);
}

TEST(RecordCodecTest, HugeCountsAreRejectedWithoutAllocating) {
  // version 1, size 0, etag "", time 0, six empty strings, metadata count 2^62.
  std::string evil = std::string("\x01\x00\x00\x00", 4) + std::string(6, '\0') +
                     "\x80\x80\x80\x80\x80\x80\x80\x80\x40";
  auto decoded = DecodeObjectRecord("k", evil);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code(), StatusCode::kDataLoss);
  // An 11-byte varint.
  EXPECT_FALSE(DecodeObjectRecord("k", "\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"));
}

TEST(RecordCodecTest, BucketUploadPartAndFileListRoundTrip) {
  BucketInfo bucket{"my-bucket--usw2-az1--x-s3", "us-west-2", BucketKind::kDirectory, 42};
  auto b = DecodeBucketInfo(bucket.name, EncodeBucketInfo(bucket));
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, bucket);

  UploadInfo upload;
  upload.upload_id = std::string(64, 'a');
  upload.bucket = "b";
  upload.key = "a/b c";
  upload.initiated_ms = 99;
  upload.attributes = FullRecord().attributes;
  upload.checksum_algorithm = 1;
  upload.checksum_full_object = true;
  auto u = DecodeUploadInfo("b", "a/b c", upload.upload_id, EncodeUploadInfo(upload));
  ASSERT_TRUE(u);
  EXPECT_EQ(*u, upload);
  upload.checksum_algorithm.reset();
  upload.checksum_full_object = false;
  EXPECT_EQ(*DecodeUploadInfo("b", "a/b c", upload.upload_id, EncodeUploadInfo(upload)), upload);

  PartRecord part{10000,
                  5 << 20,
                  "9e107d9d372bb6826bd81d3542a419d6",
                  77,
                  "\x12\x34\x56\x78",
                  "00000000000000030000000000000100"};
  auto p = DecodePartRecord(10000, EncodePartRecord(part));
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, part);

  std::vector<std::string> ids = {"0000000000000001000000000000000a",
                                  "00000000000000020000000000000b0c"};
  auto l = DecodeFileList(EncodeFileList(ids));
  ASSERT_TRUE(l);
  EXPECT_EQ(*l, ids);
  EXPECT_EQ(DecodeFileList("").error().code(), StatusCode::kDataLoss);
  EXPECT_EQ(DecodeBucketInfo("b", "\x01\x00\x07\x00").error().code(), StatusCode::kDataLoss)
      << "unknown bucket kind 7";
}

}  // namespace
}  // namespace trainload::storage
