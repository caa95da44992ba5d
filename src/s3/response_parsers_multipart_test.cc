// Parsers of the multipart upload responses (docs: reference/s3-api-and-express.md): the AWS
// documentation examples and round trips of the server's own XML.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "s3/error_code.h"
#include "s3/list_xml.h"
#include "s3/response_parsers.h"
#include "s3/response_xml.h"
#include "s3/tricky_keys_testing.h"

namespace trainload::s3 {
namespace {

using test_support::TrickyKeys;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

TEST(ParseInitiateMultipartUploadResult, AwsExampleAndRoundTrip) {
  const auto result = ParseInitiateMultipartUploadResult(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
      "  <Bucket>example-bucket</Bucket>\n"
      "  <Key>example-object</Key>\n"
      "  <UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>\n"
      "</InitiateMultipartUploadResult>");
  ASSERT_TRUE(result.has_value()) << result.error().ToString();
  EXPECT_EQ(result->bucket, "example-bucket");
  EXPECT_EQ(result->key, "example-object");
  EXPECT_EQ(result->upload_id, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");

  for (const std::string& key : TrickyKeys()) {
    const auto parsed = ParseInitiateMultipartUploadResult(
        InitiateMultipartUploadXml({"bucket", key, "upload/id+="}));
    ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
    EXPECT_EQ(parsed->key, key);
    EXPECT_EQ(parsed->upload_id, "upload/id+=");
  }
}

TEST(ParseInitiateMultipartUploadResult, MissingUploadIdIsDataLoss) {
  const auto result = ParseInitiateMultipartUploadResult(
      "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
      "</InitiateMultipartUploadResult>");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), StatusCode::kDataLoss);
  EXPECT_EQ(result.error().message(),
            "InitiateMultipartUploadResult: the body has no <UploadId> or an empty one");
}

TEST(ParseCompleteMultipartUploadResult, AwsExample) {
  const auto result = ParseCompleteMultipartUploadResult(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
      " <Location>http://Example-Bucket.s3.us-west-2.amazonaws.com/Example-Object</Location>\n"
      " <Bucket>Example-Bucket</Bucket>\n"
      " <Key>Example-Object</Key>\n"
      " <ETag>\"3858f62230ac3c915f300c664312c11f-9\"</ETag>\n"
      "</CompleteMultipartUploadResult>");
  ASSERT_TRUE(result.has_value()) << result.error().ToString();
  EXPECT_EQ(result->location, "http://Example-Bucket.s3.us-west-2.amazonaws.com/Example-Object");
  EXPECT_EQ(result->bucket, "Example-Bucket");
  EXPECT_EQ(result->key, "Example-Object");
  EXPECT_EQ(result->etag, "3858f62230ac3c915f300c664312c11f-9");
  EXPECT_TRUE(result->checksums.empty());
}

TEST(ParseCompleteMultipartUploadResult, RoundTripsWithChecksums) {
  CompleteMultipartUploadResult source;
  source.location = "http://127.0.0.1:9000/bucket/a%26b";
  source.bucket = "bucket";
  source.key = "a&b <c>";
  source.etag = "\"3858f62230ac3c915f300c664312c11f-9\"";
  source.checksums = {{"ChecksumCRC64NVME", "AAAAAAAAAAA="}, {"ChecksumCRC32C", "yZRlqg=="}};
  source.checksum_type = "FULL_OBJECT";
  const auto result = ParseCompleteMultipartUploadResult(CompleteMultipartUploadXml(source));
  ASSERT_TRUE(result.has_value()) << result.error().ToString();
  EXPECT_EQ(result->location, source.location);
  EXPECT_EQ(result->bucket, source.bucket);
  EXPECT_EQ(result->key, source.key);
  EXPECT_EQ(result->etag, "3858f62230ac3c915f300c664312c11f-9");
  EXPECT_EQ(result->checksums, source.checksums);
  EXPECT_EQ(result->checksum_type, "FULL_OBJECT");
}

TEST(ParseCompleteMultipartUploadResult, ErrorInsideA200IsRetryableInternalError) {
  // S3 sends the 200 status line at once, whitespace while it works, then the outcome.
  const auto result = ParseCompleteMultipartUploadResult(
      "          \n          \n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<Error>\n"
      "<Code>InternalError</Code>\n"
      "<Message>We encountered an internal error. Please try again.</Message>\n"
      "<RequestId>656c76696e6727732072657175657374</RequestId>\n"
      "<HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId>\n"
      "</Error>");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), StatusCode::kInternal);
  EXPECT_EQ(result.error().reason(), "InternalError");
  EXPECT_EQ(ErrorCodeOf(result.error()), ErrorCode::kInternalError);
  EXPECT_EQ(result.error().message(),
            "CompleteMultipartUpload: We encountered an internal error. Please try again. "
            "(request id 656c76696e6727732072657175657374)");
}

TEST(ParseCompleteMultipartUploadResult, UnknownCodeInsideA200KeepsTheRawCode) {
  const auto result = ParseCompleteMultipartUploadResult(
      "<Error><Code>ThrottlingException</Code><Message>slow</Message></Error>");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), StatusCode::kInternal);
  EXPECT_EQ(result.error().reason(), "ThrottlingException");
}

TEST(ParseCompleteMultipartUploadResult, MissingETagOrTruncatedBodyIsDataLoss) {
  const auto no_etag = ParseCompleteMultipartUploadResult(
      "<CompleteMultipartUploadResult><Bucket>b</Bucket></CompleteMultipartUploadResult>");
  ASSERT_FALSE(no_etag.has_value());
  EXPECT_EQ(no_etag.error().code(), StatusCode::kDataLoss);
  EXPECT_EQ(no_etag.error().message(), "CompleteMultipartUploadResult: the body has no <ETag>");

  // Whitespace only: the connection dropped before S3 sent the outcome.
  const auto whitespace = ParseCompleteMultipartUploadResult("     \n     ");
  ASSERT_FALSE(whitespace.has_value());
  EXPECT_EQ(whitespace.error().code(), StatusCode::kDataLoss);
  EXPECT_EQ(whitespace.error().message(), "CompleteMultipartUploadResult: the body is empty");
}

TEST(ParseListPartsResult, AwsExample) {
  const auto list = ParseListPartsResult(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ListPartsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
      "  <Bucket>example-bucket</Bucket>\n"
      "  <Key>example-object</Key>\n"
      "  <UploadId>XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA</UploadId>\n"
      "  <Initiator>\n"
      "      <ID>arn:aws:iam::111122223333:user/some-user-11116a31-17b5-4fb7-9df5-b288870f11xx"
      "</ID>\n"
      "      <DisplayName>umat-user-11116a31-17b5-4fb7-9df5-b288870f11xx</DisplayName>\n"
      "  </Initiator>\n"
      "  <Owner>\n"
      "    <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>\n"
      "    <DisplayName>someName</DisplayName>\n"
      "  </Owner>\n"
      "  <StorageClass>STANDARD</StorageClass>\n"
      "  <PartNumberMarker>1</PartNumberMarker>\n"
      "  <NextPartNumberMarker>3</NextPartNumberMarker>\n"
      "  <MaxParts>2</MaxParts>\n"
      "  <IsTruncated>true</IsTruncated>\n"
      "  <Part>\n"
      "    <PartNumber>2</PartNumber>\n"
      "    <LastModified>2010-11-10T20:48:34.000Z</LastModified>\n"
      "    <ETag>\"7778aef83f66abc1fa1e8477f296d394\"</ETag>\n"
      "    <Size>10485760</Size>\n"
      "  </Part>\n"
      "  <Part>\n"
      "    <PartNumber>3</PartNumber>\n"
      "    <LastModified>2010-11-10T20:48:33.000Z</LastModified>\n"
      "    <ETag>\"aaaa18db4cc2f85cedef654fccc4a4x8\"</ETag>\n"
      "    <Size>10485760</Size>\n"
      "  </Part>\n"
      "</ListPartsResult>");
  ASSERT_TRUE(list.has_value()) << list.error().ToString();
  EXPECT_EQ(list->upload_id, "XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA");
  EXPECT_EQ(list->part_number_marker, 1u);
  EXPECT_EQ(list->next_part_number_marker, 3u);
  EXPECT_EQ(list->max_parts, 2);
  EXPECT_TRUE(list->is_truncated);
  EXPECT_EQ(list->storage_class, "STANDARD");
  EXPECT_EQ(list->owner->display_name, "someName");
  ASSERT_EQ(list->parts.size(), 2u);
  EXPECT_EQ(list->parts[0].part_number, 2u);
  EXPECT_EQ(list->parts[0].last_modified_ms, 1289422114000);
  EXPECT_EQ(list->parts[0].etag, "7778aef83f66abc1fa1e8477f296d394");
  EXPECT_EQ(list->parts[1].size, 10485760u);
}

TEST(ParseListPartsResult, RoundTripsTheServersXml) {
  ListPartsResult source;
  source.bucket = "bucket";
  source.key = "dir/a&b";
  source.upload_id = "upload-1";
  source.part_number_marker = 5;
  source.next_part_number_marker = 7;
  source.max_parts = 2;
  source.is_truncated = true;
  source.parts = {{6, 1700000000001, "etag6", 5242880, {{"ChecksumCRC64NVME", "abc="}}},
                  {7, 1700000000002, "\"etag7\"", 17, {}}};
  source.initiator = {"init", ""};
  source.owner = {"owner", "Owner"};
  source.checksum_algorithm = "CRC64NVME";
  source.checksum_type = "FULL_OBJECT";
  const auto list = ParseListPartsResult(ListPartsXml(source));
  ASSERT_TRUE(list.has_value()) << list.error().ToString();
  EXPECT_EQ(list->bucket, source.bucket);
  EXPECT_EQ(list->key, source.key);
  EXPECT_EQ(list->upload_id, source.upload_id);
  EXPECT_EQ(list->part_number_marker, 5u);
  EXPECT_EQ(list->next_part_number_marker, 7u);
  EXPECT_EQ(list->max_parts, 2);
  EXPECT_TRUE(list->is_truncated);
  ASSERT_EQ(list->parts.size(), 2u);
  EXPECT_EQ(list->parts[0].part_number, 6u);
  EXPECT_EQ(list->parts[0].last_modified_ms, 1700000000001);
  EXPECT_EQ(list->parts[0].etag, "etag6");
  EXPECT_EQ(list->parts[0].size, 5242880u);
  EXPECT_THAT(list->parts[0].checksums, ElementsAre(Pair("ChecksumCRC64NVME", "abc=")));
  EXPECT_EQ(list->parts[1].etag, "etag7");
  EXPECT_TRUE(list->parts[1].checksums.empty());
  EXPECT_EQ(list->initiator, (ParsedUser{"init", ""}));
  EXPECT_EQ(list->owner, (ParsedUser{"owner", "Owner"}));
  EXPECT_EQ(list->storage_class, "STANDARD");
  EXPECT_EQ(list->checksum_algorithm, "CRC64NVME");
  EXPECT_EQ(list->checksum_type, "FULL_OBJECT");
}

TEST(ParseListPartsResult, PartWithoutNumberIsDataLoss) {
  const auto list =
      ParseListPartsResult("<ListPartsResult><Part><ETag>x</ETag></Part></ListPartsResult>");
  ASSERT_FALSE(list.has_value());
  EXPECT_EQ(list.error().code(), StatusCode::kDataLoss);
  EXPECT_EQ(list.error().message(), "ListPartsResult: a <Part> has no <PartNumber>");
}

TEST(ParseListMultipartUploadsResult, AwsExample) {
  const auto list = ParseListMultipartUploadsResult(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
      "  <Bucket>bucket</Bucket>\n"
      "  <KeyMarker></KeyMarker>\n"
      "  <UploadIdMarker></UploadIdMarker>\n"
      "  <NextKeyMarker>my-movie.m2ts</NextKeyMarker>\n"
      "  <NextUploadIdMarker>YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ"
      "</NextUploadIdMarker>\n"
      "  <MaxUploads>3</MaxUploads>\n"
      "  <IsTruncated>true</IsTruncated>\n"
      "  <Upload>\n"
      "    <Key>my-divisor</Key>\n"
      "    <UploadId>XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw</UploadId>\n"
      "    <Initiator>\n"
      "      <ID>arn:aws:iam::111122223333:user/user1-11111a31-17b5-4fb7-9df5-b111111f13de</ID>\n"
      "      <DisplayName>user1-11111a31-17b5-4fb7-9df5-b111111f13de</DisplayName>\n"
      "    </Initiator>\n"
      "    <Owner>\n"
      "      <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>\n"
      "      <DisplayName>OwnerDisplayName</DisplayName>\n"
      "    </Owner>\n"
      "    <StorageClass>STANDARD</StorageClass>\n"
      "    <Initiated>2010-11-10T20:48:33.000Z</Initiated>\n"
      "  </Upload>\n"
      "</ListMultipartUploadsResult>");
  ASSERT_TRUE(list.has_value()) << list.error().ToString();
  EXPECT_EQ(list->next_key_marker, "my-movie.m2ts");
  EXPECT_EQ(list->next_upload_id_marker, "YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ");
  EXPECT_EQ(list->max_uploads, 3);
  EXPECT_TRUE(list->is_truncated);
  ASSERT_EQ(list->uploads.size(), 1u);
  EXPECT_EQ(list->uploads[0].key, "my-divisor");
  EXPECT_EQ(list->uploads[0].upload_id, "XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw");
  EXPECT_EQ(list->uploads[0].initiated_ms, 1289422113000);
  EXPECT_EQ(list->uploads[0].initiator->display_name, "user1-11111a31-17b5-4fb7-9df5-b111111f13de");
}

TEST(ParseListMultipartUploadsResult, RoundTripsTheServersXmlWithUrlEncoding) {
  for (bool url_encoding : {false, true}) {
    SCOPED_TRACE(url_encoding ? "encoding-type=url" : "plain");
    ListMultipartUploadsResult source;
    source.bucket = "bucket";
    source.key_marker = "km +&";
    source.upload_id_marker = "uim+/";
    source.next_key_marker = "nk\xC3\xBC";
    source.next_upload_id_marker = "nuim+/=";
    source.delimiter = "/";
    source.prefix = "p ";
    source.max_uploads = 10;
    source.url_encoding = url_encoding;
    source.is_truncated = true;
    for (const std::string& key : TrickyKeys()) {
      ListedUpload upload;
      upload.key = key;
      upload.upload_id = "id+" + std::to_string(source.uploads.size());
      upload.initiator = {"init", "Init"};
      upload.owner = {"own", ""};
      upload.initiated_millis = 1700000000000 + static_cast<int64_t>(source.uploads.size());
      upload.checksum_algorithm = "CRC32C";
      upload.checksum_type = "COMPOSITE";
      source.uploads.push_back(upload);
    }
    source.common_prefixes = {"p a/", "p&b/"};
    const auto list = ParseListMultipartUploadsResult(ListMultipartUploadsXml(source));
    ASSERT_TRUE(list.has_value()) << list.error().ToString();
    EXPECT_EQ(list->bucket, source.bucket);
    EXPECT_EQ(list->key_marker, source.key_marker);
    EXPECT_EQ(list->upload_id_marker, source.upload_id_marker);
    EXPECT_EQ(list->next_key_marker, source.next_key_marker);
    EXPECT_EQ(list->next_upload_id_marker, source.next_upload_id_marker);
    EXPECT_EQ(list->delimiter, source.delimiter);
    EXPECT_EQ(list->prefix, source.prefix);
    EXPECT_EQ(list->encoding_type, url_encoding ? "url" : "");
    EXPECT_EQ(list->max_uploads, 10);
    EXPECT_TRUE(list->is_truncated);
    ASSERT_EQ(list->uploads.size(), source.uploads.size());
    for (size_t i = 0; i < source.uploads.size(); ++i) {
      const ListedUpload& want = source.uploads[i];
      const ParsedUpload& got = list->uploads[i];
      SCOPED_TRACE(want.key);
      EXPECT_EQ(got.key, want.key);
      EXPECT_EQ(got.upload_id, want.upload_id);
      EXPECT_EQ(got.initiated_ms, want.initiated_millis);
      EXPECT_EQ(got.storage_class, want.storage_class);
      EXPECT_EQ(got.checksum_algorithm, want.checksum_algorithm);
      EXPECT_EQ(got.checksum_type, want.checksum_type);
      EXPECT_EQ(got.initiator, (ParsedUser{"init", "Init"}));
      EXPECT_EQ(got.owner, (ParsedUser{"own", ""}));
    }
    EXPECT_EQ(list->common_prefixes, source.common_prefixes);
  }
}

}  // namespace
}  // namespace trainload::s3
