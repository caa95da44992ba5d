#include "s3/response_parsers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "s3/error_code.h"
#include "s3/list_xml.h"
#include "s3/response_xml.h"
#include "s3/tricky_keys_testing.h"

namespace trainload::s3 {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using test_support::TrickyKeys;

constexpr int64_t kMillis20091012 = 1255369830000;  // 2009-10-12T17:50:30.000Z

// ---------------------------------------------------------------------------------------------
// Errors.

TEST(ParseErrorBody, AwsDocumentationExample) {
  const ParsedError error = ParseErrorBody(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<Error>\n"
      "  <Code>NoSuchKey</Code>\n"
      "  <Message>The resource you requested does not exist</Message>\n"
      "  <Resource>/mybucket/myfoto.jpg</Resource> \n"
      "  <RequestId>4442587FB7D0A2F9</RequestId>\n"
      "</Error>");
  EXPECT_EQ(error.code, "NoSuchKey");
  EXPECT_EQ(error.message, "The resource you requested does not exist");
  EXPECT_EQ(error.resource, "/mybucket/myfoto.jpg");
  EXPECT_EQ(error.request_id, "4442587FB7D0A2F9");
  EXPECT_EQ(error.host_id, "");
}

TEST(ParseErrorBody, ExtraFieldsKeyBucketRegionEndpoint) {
  const ParsedError error = ParseErrorBody(
      "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
      "<Key> spaced key </Key><BucketName>b1</BucketName><Region>eu-west-1</Region>"
      "<Endpoint>b1.s3.eu-west-1.amazonaws.com</Endpoint><RequestId>R</RequestId>"
      "<HostId>H</HostId></Error>");
  EXPECT_EQ(error.key, " spaced key ");
  EXPECT_EQ(error.bucket, "b1");
  EXPECT_EQ(error.region, "eu-west-1");
  EXPECT_EQ(error.endpoint, "b1.s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(error.host_id, "H");
}

TEST(ParseErrorBody, RoundTripsTheServersErrorXml) {
  ErrorDocument document;
  document.code = "NoSuchKey";
  document.message = "The specified key does not exist.";
  document.extra = {{"Key", "a&b<c>"}, {"BucketName", "bucket"}};
  document.resource = "/bucket/a&b<c>";
  document.request_id = "4442587FB7D0A2F9";
  document.host_id = "host/id+=";
  const ParsedError error = ParseErrorBody(ErrorXml(document));
  EXPECT_EQ(error.code, document.code);
  EXPECT_EQ(error.message, document.message);
  EXPECT_EQ(error.key, "a&b<c>");
  EXPECT_EQ(error.bucket, "bucket");
  EXPECT_EQ(error.resource, document.resource);
  EXPECT_EQ(error.request_id, document.request_id);
  EXPECT_EQ(error.host_id, document.host_id);
}

TEST(ParseErrorBody, ToleratesBodiesThatAreNotErrorDocuments) {
  for (const std::string& body :
       {std::string(""), std::string("   \n"), std::string("Service Unavailable"),
        std::string("<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"),
        std::string("<!DOCTYPE html><html><body><p>oops</p></body></html>"),
        std::string("<ListBucketResult><Code>NoSuchKey</Code></ListBucketResult>"),
        std::string("\x00\x01\x02", 3)}) {
    const ParsedError error = ParseErrorBody(body);
    EXPECT_EQ(error.code, "") << body;
    EXPECT_EQ(error.message, "") << body;
    EXPECT_EQ(error.request_id, "") << body;
  }
}

TEST(ParseErrorBody, KeepsTheCodeOfATruncatedBodyAndReadsPrefixedNames) {
  EXPECT_EQ(ParseErrorBody("<Error><Code>SlowDown</Code><Message>Please red").code, "SlowDown");
  const ParsedError prefixed = ParseErrorBody(
      "<s3:Error xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\"><s3:Code> AccessDenied "
      "</s3:Code><s3:Message>Access Denied</s3:Message></s3:Error>");
  EXPECT_EQ(prefixed.code, "AccessDenied");
  EXPECT_EQ(prefixed.message, "Access Denied");
}

TEST(StatusFromError, KnownCodeUsesTheCatalogue) {
  ParsedError error;
  error.code = "NoSuchKey";
  error.message = "The specified key does not exist.";
  error.request_id = "R1";
  const Status status = StatusFromError(error, "GetObject bucket/key");
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_EQ(status.reason(), "NoSuchKey");
  EXPECT_EQ(status.message(),
            "GetObject bucket/key: The specified key does not exist. (request id R1)");
}

TEST(StatusFromError, UnknownCodeIsInternalWithTheRawCodeAsReason) {
  ParsedError error;
  error.code = "OperationAborted";
  const Status status = StatusFromError(error, "PutObject b/k");
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  EXPECT_EQ(status.reason(), "OperationAborted");
  EXPECT_EQ(status.message(), "PutObject b/k: OperationAborted");

  const Status empty = StatusFromError(ParsedError{}, "");
  EXPECT_EQ(empty.code(), StatusCode::kInternal);
  EXPECT_EQ(empty.reason(), "");
  EXPECT_THAT(empty.message(), HasSubstr("no code"));
}

// ---------------------------------------------------------------------------------------------
// ListBuckets.

TEST(ParseListAllMyBucketsResult, AwsDocumentationExample) {
  // The ListBuckets API reference example: no namespace, CreationDate with "+00:00", Owner last.
  const auto list = ParseListAllMyBucketsResult(
      "<ListAllMyBucketsResult>\n"
      "  <Buckets>\n"
      "    <Bucket>\n"
      "      <CreationDate>2019-12-11T23:32:47+00:00</CreationDate>\n"
      "      <Name>amzn-s3-demo-bucket</Name>\n"
      "    </Bucket>\n"
      "    <Bucket>\n"
      "      <CreationDate>2019-11-10T23:32:13+00:00</CreationDate>\n"
      "      <Name>amzn-s3-demo-bucket1</Name>\n"
      "    </Bucket>\n"
      "  </Buckets>\n"
      "  <Owner>\n"
      "    <DisplayName>Account+Name</DisplayName>\n"
      "    <ID>AIDACKCEVSQ6C2EXAMPLE</ID>\n"
      "  </Owner>\n"
      "</ListAllMyBucketsResult>");
  ASSERT_TRUE(list.has_value()) << list.error().ToString();
  ASSERT_EQ(list->buckets.size(), 2u);
  EXPECT_EQ(list->buckets[0].name, "amzn-s3-demo-bucket");
  EXPECT_EQ(list->buckets[0].creation_date_ms, 1576107167000);
  EXPECT_EQ(list->buckets[1].name, "amzn-s3-demo-bucket1");
  EXPECT_EQ(list->buckets[1].creation_date_ms, 1573428733000);
  ASSERT_TRUE(list->owner.has_value());
  EXPECT_EQ(list->owner->id, "AIDACKCEVSQ6C2EXAMPLE");
  EXPECT_EQ(list->owner->display_name, "Account+Name");
  EXPECT_EQ(list->continuation_token, "");
}

TEST(ParseListAllMyBucketsResult, CompactWithRegionsAndContinuationToken) {
  const auto list = ParseListAllMyBucketsResult(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Owner><ID>"
      "f049f2bb</ID><DisplayName>info</DisplayName></Owner><Buckets><Bucket><Name>logs</Name>"
      "<CreationDate>2011-10-13T15:02:48.000Z</CreationDate><BucketRegion>eu-west-1"
      "</BucketRegion></Bucket></Buckets><ContinuationToken>tok/+=</ContinuationToken>"
      "</ListAllMyBucketsResult>");
  ASSERT_TRUE(list.has_value()) << list.error().ToString();
  ASSERT_EQ(list->buckets.size(), 1u);
  EXPECT_EQ(list->buckets[0].name, "logs");
  EXPECT_EQ(list->buckets[0].creation_date_ms, 1318518168000);
  EXPECT_EQ(list->buckets[0].region, "eu-west-1");
  EXPECT_EQ(list->continuation_token, "tok/+=");
}

TEST(ParseListAllMyBucketsResult, RoundTripsTheServersXml) {
  ListAllMyBucketsResult source;
  source.owner = {"owner-id", "Owner Name"};
  source.buckets = {{"alpha", 1700000000123, "us-east-1"}, {"beta", 0, ""}};
  source.continuation_token = "next-token";
  source.prefix = "al";
  const auto list = ParseListAllMyBucketsResult(ListAllMyBucketsXml(source));
  ASSERT_TRUE(list.has_value()) << list.error().ToString();
  ASSERT_EQ(list->buckets.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(list->buckets[i].name, source.buckets[i].name);
    EXPECT_EQ(list->buckets[i].creation_date_ms, source.buckets[i].creation_date_millis);
    EXPECT_EQ(list->buckets[i].region, source.buckets[i].region);
  }
  EXPECT_EQ(list->owner, (ParsedUser{"owner-id", "Owner Name"}));
  EXPECT_EQ(list->continuation_token, "next-token");
  EXPECT_EQ(list->prefix, "al");
}

// ---------------------------------------------------------------------------------------------
// ListObjects V2 and V1.

TEST(ParseListBucketResult, AwsListObjectsV2Example) {
  const auto list = ParseListBucketResult(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
      "    <Name>bucket</Name>\n"
      "    <Prefix/>\n"
      "    <KeyCount>205</KeyCount>\n"
      "    <MaxKeys>1000</MaxKeys>\n"
      "    <IsTruncated>false</IsTruncated>\n"
      "    <Contents>\n"
      "        <Key>my-image.jpg</Key>\n"
      "        <LastModified>2009-10-12T17:50:30.000Z</LastModified>\n"
      "        <ETag>\"fba9dede5f27731c9771645a39863328\"</ETag>\n"
      "        <Size>434234</Size>\n"
      "        <StorageClass>STANDARD</StorageClass>\n"
      "    </Contents>\n"
      "</ListBucketResult>");
  ASSERT_TRUE(list.has_value()) << list.error().ToString();
  EXPECT_EQ(list->bucket, "bucket");
  EXPECT_EQ(list->prefix, "");
  EXPECT_EQ(list->key_count, 205);
  EXPECT_EQ(list->max_keys, 1000);
  EXPECT_FALSE(list->is_truncated);
  ASSERT_EQ(list->contents.size(), 1u);
  const ParsedObject& object = list->contents[0];
  EXPECT_EQ(object.key, "my-image.jpg");
  EXPECT_EQ(object.last_modified_ms, kMillis20091012);
  EXPECT_EQ(object.etag, "fba9dede5f27731c9771645a39863328");
  EXPECT_EQ(object.size, 434234u);
  EXPECT_EQ(object.storage_class, "STANDARD");
  EXPECT_FALSE(object.owner.has_value());
  EXPECT_TRUE(list->common_prefixes.empty());
}

TEST(ParseListBucketResult, AwsV2ExampleWithTokenDelimiterAndCommonPrefixes) {
  const auto list = ParseListBucketResult(
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
      "  <Name>example-bucket</Name>\n"
      "  <Prefix></Prefix>\n"
      "  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="
      "</NextContinuationToken>\n"
      "  <KeyCount>2</KeyCount>\n"
      "  <MaxKeys>2</MaxKeys>\n"
      "  <Delimiter>/</Delimiter>\n"
      "  <IsTruncated>true</IsTruncated>\n"
      "  <Contents>\n"
      "    <Key>sample.jpg</Key>\n"
      "    <LastModified>2011-02-26T01:56:20.000Z</LastModified>\n"
      "    <ETag>\"bf1d737a4d46a19f3bced6905cc8b902\"</ETag>\n"
      "    <Size>142863</Size>\n"
      "    <StorageClass>STANDARD</StorageClass>\n"
      "  </Contents>\n"
      "  <CommonPrefixes>\n"
      "    <Prefix>photos/</Prefix>\n"
      "  </CommonPrefixes>\n"
      "</ListBucketResult>");
  ASSERT_TRUE(list.has_value()) << list.error().ToString();
  EXPECT_TRUE(list->is_truncated);
  EXPECT_EQ(list->next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  EXPECT_EQ(list->delimiter, "/");
  ASSERT_EQ(list->contents.size(), 1u);
  EXPECT_EQ(list->contents[0].last_modified_ms, 1298685380000);
  EXPECT_THAT(list->common_prefixes, ElementsAre("photos/"));
}

TEST(ParseListBucketResult, MinioStyleCompactReorderedWithUrlEncoding) {
  // No whitespace, EncodingType after the contents, Owner and checksum fields, unknown elements.
  const auto list = ParseListBucketResult(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>data</Name><Prefix>dir%2Fa+b"
      "</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>%2F</Delimiter>"
      "<IsTruncated>false</IsTruncated><Contents><Key>dir/a+b/%C3%BC+x%2B%25.txt</Key>"
      "<LastModified>2024-05-01T10:00:00.5Z</LastModified><ETag>&#34;0f343b0931126a20f133d67c2b"
      "018a3b&#34;</ETag><Size>1024</Size><Owner><ID>02d6176db174dc93cb1b899f7c6078f08654445fe8"
      "cf1b6ce98d8855f66bdbf4</ID><DisplayName>minio</DisplayName></Owner><StorageClass>STANDARD"
      "</StorageClass><ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><ChecksumType>FULL_OBJECT"
      "</ChecksumType><UserMetadata><X>1</X></UserMetadata></Contents><CommonPrefixes><Prefix>"
      "dir/a+b/sub%2F</Prefix></CommonPrefixes><EncodingType>url</EncodingType>"
      "</ListBucketResult>");
  ASSERT_TRUE(list.has_value()) << list.error().ToString();
  EXPECT_EQ(list->encoding_type, "url");
  EXPECT_EQ(list->prefix, "dir/a b");
  EXPECT_EQ(list->delimiter, "/");
  ASSERT_EQ(list->contents.size(), 1u);
  const ParsedObject& object = list->contents[0];
  EXPECT_EQ(object.key, "dir/a b/\xC3\xBC x+%.txt");
  EXPECT_EQ(object.last_modified_ms, 1714557600500);
  EXPECT_EQ(object.etag, "0f343b0931126a20f133d67c2b018a3b");
  EXPECT_EQ(object.size, 1024u);
  EXPECT_EQ(object.checksum_algorithm, "CRC64NVME");
  EXPECT_EQ(object.checksum_type, "FULL_OBJECT");
  ASSERT_TRUE(object.owner.has_value());
  EXPECT_EQ(object.owner->display_name, "minio");
  EXPECT_THAT(list->common_prefixes, ElementsAre("dir/a b/sub/"));
}

TEST(ParseListBucketResult, NamespacePrefixedElementsAndNoNamespace) {
  const auto prefixed = ParseListBucketResult(
      "<s3:ListBucketResult xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\"><s3:Name>b"
      "</s3:Name><s3:IsTruncated>true</s3:IsTruncated><s3:Contents><s3:Key>k</s3:Key><s3:Size>"
      "7</s3:Size></s3:Contents></s3:ListBucketResult>");
  ASSERT_TRUE(prefixed.has_value()) << prefixed.error().ToString();
  EXPECT_EQ(prefixed->bucket, "b");
  EXPECT_TRUE(prefixed->is_truncated);
  ASSERT_EQ(prefixed->contents.size(), 1u);
  EXPECT_EQ(prefixed->contents[0].key, "k");
  EXPECT_EQ(prefixed->contents[0].size, 7u);

  const auto bare = ParseListBucketResult(
      "<ListBucketResult><IsTruncated>FALSE</IsTruncated><Contents><Key> k </Key>"
      "<ETag>  \"e\"  </ETag></Contents></ListBucketResult>");
  ASSERT_TRUE(bare.has_value()) << bare.error().ToString();
  EXPECT_FALSE(bare->is_truncated);
  EXPECT_EQ(bare->contents[0].key, " k ");
  EXPECT_EQ(bare->contents[0].etag, "e");
}

TEST(ParseListBucketResult, AwsListObjectsV1ExampleWithEscapedQuotesAndOwner) {
  const auto list = ParseListBucketResult(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
      "    <Name>bucket</Name>\n"
      "    <Prefix/>\n"
      "    <Marker/>\n"
      "    <MaxKeys>1000</MaxKeys>\n"
      "    <IsTruncated>false</IsTruncated>\n"
      "    <Contents>\n"
      "        <Key>my-image.jpg</Key>\n"
      "        <LastModified>2009-10-12T17:50:30.000Z</LastModified>\n"
      "        <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>\n"
      "        <Size>434234</Size>\n"
      "        <StorageClass>STANDARD</StorageClass>\n"
      "        <Owner>\n"
      "            <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>\n"
      "            <DisplayName>mtd@amazon.com</DisplayName>\n"
      "        </Owner>\n"
      "    </Contents>\n"
      "    <Contents>\n"
      "       <Key>my-third-image.jpg</Key>\n"
      "         <LastModified>2009-10-12T17:50:30.000Z</LastModified>\n"
      "        <ETag>&quot;1b2cf535f27731c974343645a3985328&quot;</ETag>\n"
      "        <Size>64994</Size>\n"
      "        <StorageClass>STANDARD_IA</StorageClass>\n"
      "    </Contents>\n"
      "</ListBucketResult>");
  ASSERT_TRUE(list.has_value()) << list.error().ToString();
  EXPECT_EQ(list->marker, "");
  EXPECT_FALSE(list->key_count.has_value());
  ASSERT_EQ(list->contents.size(), 2u);
  EXPECT_EQ(list->contents[0].etag, "fba9dede5f27731c9771645a39863328");
  EXPECT_EQ(list->contents[0].owner->id,
            "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a");
  EXPECT_EQ(list->contents[1].key, "my-third-image.jpg");
  EXPECT_EQ(list->contents[1].storage_class, "STANDARD_IA");
  EXPECT_EQ(ListV1ResumeMarker(*list), "");
}

TEST(ParseListBucketResult, CephStyleWithUnknownElementsInContents) {
  const auto list = ParseListBucketResult(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult xmlns=\"http://s3.amazonaws"
      ".com/doc/2006-03-01/\"><Name>b</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys>"
      "<IsTruncated>false</IsTruncated><Contents><Key>obj</Key><LastModified>2023-03-01T12:00:00"
      ".123Z</LastModified><ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag><Size>0"
      "</Size><StorageClass>STANDARD</StorageClass><Owner><ID>tester</ID><DisplayName>tester"
      "</DisplayName></Owner><Type>Normal</Type></Contents><Marker></Marker></ListBucketResult>");
  ASSERT_TRUE(list.has_value()) << list.error().ToString();
  ASSERT_EQ(list->contents.size(), 1u);
  EXPECT_EQ(list->contents[0].last_modified_ms, 1677672000123);
  EXPECT_EQ(list->contents[0].size, 0u);
}

ListedObject Listed(std::string key, uint64_t size, int64_t millis) {
  ListedObject object;
  object.key = std::move(key);
  object.size = size;
  object.last_modified_millis = millis;
  object.etag = "9b2cf535f27731c974343645a3985328-12";
  return object;
}

void ExpectSameContents(const std::vector<ParsedObject>& parsed,
                        const std::vector<ListedObject>& source) {
  ASSERT_EQ(parsed.size(), source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    SCOPED_TRACE(source[i].key);
    EXPECT_EQ(parsed[i].key, source[i].key);
    EXPECT_EQ(parsed[i].last_modified_ms, source[i].last_modified_millis);
    EXPECT_EQ(parsed[i].etag, source[i].etag);
    EXPECT_EQ(parsed[i].size, source[i].size);
    EXPECT_EQ(parsed[i].storage_class, source[i].storage_class);
    EXPECT_EQ(parsed[i].checksum_algorithm, source[i].checksum_algorithm);
    EXPECT_EQ(parsed[i].checksum_type, source[i].checksum_type);
    ASSERT_EQ(parsed[i].owner.has_value(), source[i].owner.has_value());
    if (source[i].owner.has_value()) {
      EXPECT_EQ(parsed[i].owner->id, source[i].owner->id);
      EXPECT_EQ(parsed[i].owner->display_name, source[i].owner->display_name);
    }
  }
}

ListObjectsV2Result TrickyV2Listing(bool url_encoding) {
  ListObjectsV2Result source;
  source.bucket = "bucket";
  source.prefix = " pre&fix+ ";
  source.delimiter = "\xE2\x80\x94";  // an em dash: a multi-byte delimiter
  source.start_after = "after <this> %";
  source.continuation_token = "token/with+plus=";
  source.next_continuation_token = "next%2Btoken";
  source.max_keys = 500;
  source.url_encoding = url_encoding;
  source.is_truncated = true;
  int64_t millis = 1700000000000;
  for (const std::string& key : TrickyKeys()) {
    source.contents.push_back(Listed(key, key.size() * 1000003ull, millis));
    millis += 1001;
  }
  source.contents[1].checksum_algorithm = "CRC64NVME";
  source.contents[1].checksum_type = "FULL_OBJECT";
  source.contents[2].owner = CanonicalUser{"owner-id", "Owner & Co"};
  source.contents[3].storage_class = "EXPRESS_ONEZONE";
  source.contents[4].size = 18446744073709551615ull;  // the largest Size the field can carry
  source.common_prefixes = {"dir one/", "d&r<2>/", "\xE6\x97\xA5/", "p+q%/"};
  return source;
}

TEST(ParseListBucketResult, RoundTripsListObjectsV2XmlWithTrickyKeys) {
  for (bool url_encoding : {false, true}) {
    SCOPED_TRACE(url_encoding ? "encoding-type=url" : "plain");
    const ListObjectsV2Result source = TrickyV2Listing(url_encoding);
    const auto list = ParseListBucketResult(ListObjectsV2Xml(source));
    ASSERT_TRUE(list.has_value()) << list.error().ToString();
    EXPECT_EQ(list->bucket, source.bucket);
    EXPECT_EQ(list->prefix, source.prefix);
    EXPECT_EQ(list->delimiter, source.delimiter);
    EXPECT_EQ(list->start_after, source.start_after);
    EXPECT_EQ(list->continuation_token, source.continuation_token);
    EXPECT_EQ(list->next_continuation_token, source.next_continuation_token);
    EXPECT_EQ(list->max_keys, source.max_keys);
    EXPECT_EQ(list->is_truncated, source.is_truncated);
    EXPECT_EQ(list->encoding_type, url_encoding ? "url" : "");
    EXPECT_EQ(list->key_count,
              static_cast<int64_t>(source.contents.size() + source.common_prefixes.size()));
    ExpectSameContents(list->contents, source.contents);
    EXPECT_EQ(list->common_prefixes, source.common_prefixes);
  }
}

TEST(ParseListBucketResult, RoundTripsListObjectsV1XmlAndResumesFromNextMarker) {
  for (bool url_encoding : {false, true}) {
    SCOPED_TRACE(url_encoding ? "encoding-type=url" : "plain");
    ListObjectsV1Result source;
    source.bucket = "b";
    source.prefix = "p";
    source.marker = "p after+me ";
    source.next_marker = "p\xC3\xBC next";
    source.delimiter = "/";
    source.max_keys = 2;
    source.url_encoding = url_encoding;
    source.is_truncated = true;
    source.contents = {Listed("p a&b", 1, 0), Listed("p\xC3\xBC next", 2, 1000)};
    source.common_prefixes = {"p x/"};
    const auto list = ParseListBucketResult(ListObjectsV1Xml(source));
    ASSERT_TRUE(list.has_value()) << list.error().ToString();
    EXPECT_EQ(list->prefix, source.prefix);
    EXPECT_EQ(list->marker, source.marker);
    EXPECT_EQ(list->next_marker, source.next_marker);
    EXPECT_EQ(list->delimiter, source.delimiter);
    EXPECT_EQ(list->max_keys, 2);
    EXPECT_TRUE(list->is_truncated);
    EXPECT_FALSE(list->key_count.has_value());
    ExpectSameContents(list->contents, source.contents);
    EXPECT_EQ(list->common_prefixes, source.common_prefixes);
    EXPECT_EQ(ListV1ResumeMarker(*list), source.next_marker);
  }
}

TEST(ListV1ResumeMarker, WithoutNextMarkerUsesTheGreaterOfLastKeyAndLastPrefix) {
  ParsedObjectList list;
  list.is_truncated = true;
  list.contents.resize(2);
  list.contents[0].key = "a";
  list.contents[1].key = "c";
  EXPECT_EQ(ListV1ResumeMarker(list), "c");
  list.common_prefixes = {"b/", "d/"};
  EXPECT_EQ(ListV1ResumeMarker(list), "d/");
  list.contents[1].key = "e";
  EXPECT_EQ(ListV1ResumeMarker(list), "e");
  list.is_truncated = false;
  EXPECT_EQ(ListV1ResumeMarker(list), "");
}

TEST(ParseListBucketResult, MalformedBodiesAreDataLossNamingTheProblem) {
  struct Case {
    std::string body;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", "ListBucketResult: the body is empty"},
      {"<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a</Key>",
       "ListBucketResult: the body is not well-formed XML"},
      {"<ListBucketResult><Contents><Key>a</Key></Contents></ListBucketResult>",
       "ListBucketResult: the body has no <IsTruncated>"},
      {"<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>",
       "ListBucketResult: <IsTruncated> 'maybe' is not true or false"},
      {"<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a</Key><Size>12x"
       "</Size></Contents></ListBucketResult>",
       "ListBucketResult: <Size> '12x' is not a number"},
      {"<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a</Key><Size>-1"
       "</Size></Contents></ListBucketResult>",
       "ListBucketResult: <Size> '-1' is not a number"},
      {"<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a</Key><LastModified>"
       "yesterday</LastModified></Contents></ListBucketResult>",
       "ListBucketResult: <LastModified> 'yesterday' is not an ISO 8601 UTC timestamp"},
      {"<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Size>1</Size></Contents>"
       "</ListBucketResult>",
       "ListBucketResult: a <Contents> has no <Key>"},
      {"<ListBucketResult><IsTruncated>false</IsTruncated><CommonPrefixes/></ListBucketResult>",
       "ListBucketResult: a <CommonPrefixes> has no <Prefix>"},
      {"<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
       "<Contents><Key>bad%zzescape</Key></Contents></ListBucketResult>",
       "ListBucketResult: <Key> 'bad%zzescape' is not valid under encoding-type=url"},
      {"<ListVersionsResult><IsTruncated>false</IsTruncated></ListVersionsResult>",
       "ListBucketResult: the root element is <ListVersionsResult>, expected "
       "<ListBucketResult>"},
      {"<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a&#0;b</Key>"
       "</Contents></ListBucketResult>",
       "ListBucketResult: the body contains a character reference to NUL"},
      {"<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a" + std::string(1, '\0') +
           "b</Key></Contents></ListBucketResult>",
       "ListBucketResult: the body contains a NUL byte"},
  };
  for (const Case& c : cases) {
    const auto list = ParseListBucketResult(c.body);
    ASSERT_FALSE(list.has_value()) << c.body;
    EXPECT_EQ(list.error().code(), StatusCode::kDataLoss) << c.body;
    EXPECT_EQ(list.error().reason(), "") << c.body;
    EXPECT_THAT(list.error().message(), HasSubstr(c.message)) << c.body;
  }
}

TEST(ParseListBucketResult, ErrorDocumentBecomesTheS3Error) {
  const auto list = ParseListBucketResult(
      "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message>"
      "<BucketName>nope</BucketName><RequestId>RID</RequestId></Error>");
  ASSERT_FALSE(list.has_value());
  EXPECT_EQ(list.error().code(), StatusCode::kNotFound);
  EXPECT_EQ(list.error().reason(), "NoSuchBucket");
  EXPECT_EQ(list.error().message(),
            "ListObjects: The specified bucket does not exist (request id RID)");
}

// ---------------------------------------------------------------------------------------------
// Copy results.

TEST(ParseCopyObjectResult, AwsExampleWithoutTimeZone) {
  const auto result = ParseCopyObjectResult(
      "<CopyObjectResult>\n"
      "   <LastModified>2009-10-28T22:32:00</LastModified>\n"
      "   <ETag>\"9b2cf535f27731c974343645a3985328\"</ETag>\n"
      "</CopyObjectResult>");
  ASSERT_TRUE(result.has_value()) << result.error().ToString();
  EXPECT_EQ(result->last_modified_ms, 1256769120000);
  EXPECT_EQ(result->etag, "9b2cf535f27731c974343645a3985328");
}

TEST(ParseCopyPartResult, AwsExample) {
  const auto result = ParseCopyPartResult(
      "<CopyPartResult>\n"
      "   <LastModified>2009-10-28T22:32:00.000Z</LastModified>\n"
      "   <ETag>\"9b2cf535f27731c974343645a3985328\"</ETag>\n"
      "</CopyPartResult>");
  ASSERT_TRUE(result.has_value()) << result.error().ToString();
  EXPECT_EQ(result->last_modified_ms, 1256769120000);
  EXPECT_EQ(result->etag, "9b2cf535f27731c974343645a3985328");
}

TEST(ParseCopyResults, RoundTripTheServersXml) {
  CopyResult source;
  source.etag = "0123456789abcdef0123456789abcdef";
  source.last_modified_millis = 1700000000789;
  source.checksums = {{"ChecksumCRC64NVME", "Zm9vYmFyAA=="}};
  source.checksum_type = "FULL_OBJECT";
  const auto object = ParseCopyObjectResult(CopyObjectXml(source));
  ASSERT_TRUE(object.has_value()) << object.error().ToString();
  EXPECT_EQ(object->etag, source.etag);
  EXPECT_EQ(object->last_modified_ms, source.last_modified_millis);
  EXPECT_EQ(object->checksums, source.checksums);
  EXPECT_EQ(object->checksum_type, "FULL_OBJECT");

  source.checksum_type.clear();
  const auto part = ParseCopyPartResult(CopyPartXml(source));
  ASSERT_TRUE(part.has_value()) << part.error().ToString();
  EXPECT_EQ(part->etag, source.etag);
  EXPECT_EQ(part->last_modified_ms, source.last_modified_millis);
  EXPECT_EQ(part->checksums, source.checksums);

  // The two roots are not interchangeable.
  const auto wrong = ParseCopyPartResult(CopyObjectXml(source));
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code(), StatusCode::kDataLoss);
}

TEST(ParseCopyObjectResult, ErrorInsideA200) {
  const auto result = ParseCopyObjectResult(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code><Message>Please "
      "reduce your request rate.</Message><RequestId>X</RequestId></Error>");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), StatusCode::kUnavailable);
  EXPECT_EQ(result.error().reason(), "SlowDown");
  EXPECT_EQ(result.error().message(),
            "CopyObject: Please reduce your request rate. (request id X)");
}

// ---------------------------------------------------------------------------------------------
// DeleteObjects.

TEST(ParseDeleteResult, AwsExamples) {
  const auto mixed = ParseDeleteResult(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
      "  <Deleted>\n"
      "    <Key>sample1.txt</Key>\n"
      "  </Deleted>\n"
      "  <Error>\n"
      "    <Key>sample2.txt</Key>\n"
      "    <Code>AccessDenied</Code>\n"
      "    <Message>Access Denied</Message>\n"
      "  </Error>\n"
      "</DeleteResult>");
  ASSERT_TRUE(mixed.has_value()) << mixed.error().ToString();
  ASSERT_EQ(mixed->deleted.size(), 1u);
  EXPECT_EQ(mixed->deleted[0].key, "sample1.txt");
  ASSERT_EQ(mixed->errors.size(), 1u);
  EXPECT_EQ(mixed->errors[0].key, "sample2.txt");
  EXPECT_EQ(mixed->errors[0].code, "AccessDenied");
  EXPECT_EQ(mixed->errors[0].message, "Access Denied");

  const auto versioned = ParseDeleteResult(
      "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
      "  <Deleted>\n"
      "    <Key>SampleDocument.txt</Key>\n"
      "    <DeleteMarker>true</DeleteMarker>\n"
      "    <DeleteMarkerVersionId>NeQt5xeFTfgPJD8B4CGWnkSLtluMr11s</DeleteMarkerVersionId>\n"
      "  </Deleted>\n"
      "  <Deleted>\n"
      "    <Key>SampleDocument.txt</Key>\n"
      "    <VersionId>OYcLXagmS.WaD..oyH4KRguB95_YhLs7</VersionId>\n"
      "  </Deleted>\n"
      "</DeleteResult>");
  ASSERT_TRUE(versioned.has_value()) << versioned.error().ToString();
  ASSERT_EQ(versioned->deleted.size(), 2u);
  EXPECT_TRUE(versioned->deleted[0].delete_marker);
  EXPECT_EQ(versioned->deleted[0].delete_marker_version_id, "NeQt5xeFTfgPJD8B4CGWnkSLtluMr11s");
  EXPECT_FALSE(versioned->deleted[1].delete_marker);
  EXPECT_EQ(versioned->deleted[1].version_id, "OYcLXagmS.WaD..oyH4KRguB95_YhLs7");
}

TEST(ParseDeleteResult, QuietAllDeletedIsEmpty) {
  for (const char* body : {"<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>",
                           "<?xml version=\"1.0\"?>\n<DeleteResult></DeleteResult>"}) {
    const auto result = ParseDeleteResult(body);
    ASSERT_TRUE(result.has_value()) << result.error().ToString();
    EXPECT_TRUE(result->deleted.empty());
    EXPECT_TRUE(result->errors.empty());
  }
}

TEST(ParseDeleteResult, RoundTripsTheServersXmlWithTrickyKeys) {
  DeleteResult source;
  for (const std::string& key : TrickyKeys()) {
    source.deleted.push_back({key, "", false, ""});
    source.errors.push_back({key, "v1", "AccessDenied", "Access Denied"});
  }
  source.deleted[0].version_id = "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY";
  source.deleted[1].delete_marker = true;
  source.deleted[1].delete_marker_version_id = "dm-1";
  const auto result = ParseDeleteResult(DeleteResultXml(source));
  ASSERT_TRUE(result.has_value()) << result.error().ToString();
  ASSERT_EQ(result->deleted.size(), source.deleted.size());
  ASSERT_EQ(result->errors.size(), source.errors.size());
  for (size_t i = 0; i < source.deleted.size(); ++i) {
    SCOPED_TRACE(source.deleted[i].key);
    EXPECT_EQ(result->deleted[i].key, source.deleted[i].key);
    EXPECT_EQ(result->deleted[i].version_id, source.deleted[i].version_id);
    EXPECT_EQ(result->deleted[i].delete_marker, source.deleted[i].delete_marker);
    EXPECT_EQ(result->deleted[i].delete_marker_version_id,
              source.deleted[i].delete_marker_version_id);
    EXPECT_EQ(result->errors[i].key, source.errors[i].key);
    EXPECT_EQ(result->errors[i].version_id, "v1");
    EXPECT_EQ(result->errors[i].code, "AccessDenied");
    EXPECT_EQ(result->errors[i].message, "Access Denied");
  }
}

TEST(ParseDeleteResult, RootErrorIsTheRequestsError) {
  const auto result = ParseDeleteResult(
      "<Error><Code>MalformedXML</Code><Message>The XML you provided was not well-formed"
      "</Message></Error>");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().reason(), "MalformedXML");
  EXPECT_EQ(result.error().code(), StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------------
// GetBucketLocation.

TEST(ParseLocationConstraint, RegionsAndTheirLegacyForms) {
  EXPECT_EQ(ParseLocationConstraint(LocationConstraintXml("eu-central-1")), "eu-central-1");
  EXPECT_EQ(ParseLocationConstraint(LocationConstraintXml("")), "us-east-1");
  EXPECT_EQ(ParseLocationConstraint(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint "
                "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">EU</LocationConstraint>"),
            "eu-west-1");
  const auto wrong = ParseLocationConstraint("<Location>x</Location>");
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace trainload::s3
