#include "s3/list_xml.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <pugixml.hpp>
#include <string>
#include <vector>

#include "common/encoding.h"

namespace trainload::s3 {
namespace {

using ::testing::ElementsAre;
using ::testing::StartsWith;

constexpr char kDeclaration[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
constexpr char kNamespace[] = "http://s3.amazonaws.com/doc/2006-03-01/";
constexpr int64_t kMillis = 1255369830000;  // 2009-10-12T17:50:30.000Z

class Parsed {
 public:
  explicit Parsed(const std::string& xml) {
    const auto result = doc_.load_buffer(xml.data(), xml.size(),
                                         pugi::parse_default | pugi::parse_ws_pcdata_single);
    EXPECT_TRUE(result) << result.description() << " in " << xml;
    EXPECT_THAT(xml, StartsWith(kDeclaration));
  }
  pugi::xml_node root() const { return doc_.document_element(); }

 private:
  pugi::xml_document doc_;
};

std::vector<std::string> ChildNames(const pugi::xml_node& node) {
  std::vector<std::string> names;
  for (pugi::xml_node child : node.children()) {
    if (child.type() == pugi::node_element) names.emplace_back(child.name());
  }
  return names;
}

std::string Text(const pugi::xml_node& node, const char* child) {
  return node.child(child).child_value();
}

// What botocore does with encoding-type=url values (urllib.parse.unquote_plus).
std::string UnquotePlus(const std::string& text) {
  const auto decoded = PercentDecode(text, /*plus_as_space=*/true);
  EXPECT_TRUE(decoded.has_value()) << text;
  return decoded.value_or("");
}

ListedObject Object(std::string key, uint64_t size) {
  ListedObject object;
  object.key = std::move(key);
  object.last_modified_millis = kMillis;
  object.etag = "fba9dede5f27731c9771645a39863328";
  object.size = size;
  return object;
}

// Keys that stress escaping and encoding.
const std::vector<std::string>& HardKeys() {
  static const std::vector<std::string> keys = {
      "a b+c&d<e>f\"g'h",    "日本語/ü/🙂.txt", "100%/~tilde*star(paren)",
      "ctl\x01\x02\x1b\x7f", "cr\rlf\ntab\t",         " leading and trailing ",
  };
  return keys;
}

TEST(ListingUrlEncodeTest, MatchesS3Encoding) {
  EXPECT_EQ(ListingUrlEncode("photos/2006/a b.jpg"), "photos/2006/a+b.jpg");
  EXPECT_EQ(ListingUrlEncode("a+b"), "a%2Bb");
  EXPECT_EQ(ListingUrlEncode("A-Z_a.z*0/9"), "A-Z_a.z*0/9");
  EXPECT_EQ(ListingUrlEncode("~!&=?#%"), "%7E%21%26%3D%3F%23%25");
  EXPECT_EQ(ListingUrlEncode("é\x01"), "%C3%A9%01");
  EXPECT_EQ(ListingUrlEncode(""), "");
}

TEST(ListObjectsV2XmlTest, SmallListingExactBytes) {
  ListObjectsV2Result result;
  result.bucket = "bucket";
  ListedObject object = Object("my-image.jpg", 434234);
  object.checksum_algorithm = "CRC64NVME";
  object.checksum_type = "FULL_OBJECT";
  result.contents = {object};
  EXPECT_EQ(ListObjectsV2Xml(result),
            std::string(kDeclaration) +
                "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                "<Name>bucket</Name><Prefix></Prefix><KeyCount>1</KeyCount>"
                "<MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>"
                "<Contents><Key>my-image.jpg</Key>"
                "<LastModified>2009-10-12T17:50:30.000Z</LastModified>"
                "<ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>"
                "<ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm>"
                "<ChecksumType>FULL_OBJECT</ChecksumType><Size>434234</Size>"
                "<StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>");
}

TEST(ListObjectsV2XmlTest, AllFieldsInS3Order) {
  ListObjectsV2Result result;
  result.bucket = "example-bucket";
  result.prefix = "photos/";
  result.delimiter = "/";
  result.max_keys = 3;
  result.is_truncated = true;
  result.continuation_token = "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=";
  result.next_continuation_token = "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwN=";
  result.start_after = "photos/a";
  ListedObject owned = Object("photos/b.jpg", 7);
  owned.owner = CanonicalUser{"owner-id", "owner-name"};
  owned.storage_class = "STANDARD_IA";
  result.contents = {owned, Object("photos/c.jpg", 0)};
  result.common_prefixes = {"photos/2006/"};

  Parsed parsed(ListObjectsV2Xml(result));
  const pugi::xml_node root = parsed.root();
  EXPECT_STREQ(root.name(), "ListBucketResult");
  EXPECT_STREQ(root.attribute("xmlns").value(), kNamespace);
  EXPECT_THAT(ChildNames(root),
              ElementsAre("Name", "Prefix", "StartAfter", "ContinuationToken",
                          "NextContinuationToken", "KeyCount", "MaxKeys", "Delimiter",
                          "IsTruncated", "Contents", "Contents", "CommonPrefixes"));
  EXPECT_EQ(Text(root, "Name"), "example-bucket");
  EXPECT_EQ(Text(root, "Prefix"), "photos/");
  EXPECT_EQ(Text(root, "StartAfter"), "photos/a");
  EXPECT_EQ(Text(root, "ContinuationToken"), result.continuation_token);
  EXPECT_EQ(Text(root, "NextContinuationToken"), result.next_continuation_token);
  EXPECT_EQ(Text(root, "KeyCount"), "3");  // two objects + one common prefix
  EXPECT_EQ(Text(root, "MaxKeys"), "3");
  EXPECT_EQ(Text(root, "Delimiter"), "/");
  EXPECT_EQ(Text(root, "IsTruncated"), "true");

  const pugi::xml_node first = root.child("Contents");
  EXPECT_THAT(ChildNames(first),
              ElementsAre("Key", "LastModified", "ETag", "Size", "Owner", "StorageClass"));
  EXPECT_EQ(Text(first, "Key"), "photos/b.jpg");
  EXPECT_EQ(Text(first, "LastModified"), "2009-10-12T17:50:30.000Z");
  EXPECT_EQ(Text(first, "ETag"), "\"fba9dede5f27731c9771645a39863328\"");
  EXPECT_EQ(Text(first, "Size"), "7");
  EXPECT_EQ(Text(first.child("Owner"), "ID"), "owner-id");
  EXPECT_EQ(Text(first.child("Owner"), "DisplayName"), "owner-name");
  EXPECT_EQ(Text(first, "StorageClass"), "STANDARD_IA");
  EXPECT_THAT(ChildNames(first.next_sibling("Contents")),
              ElementsAre("Key", "LastModified", "ETag", "Size", "StorageClass"));
  EXPECT_EQ(Text(root.child("CommonPrefixes"), "Prefix"), "photos/2006/");
}

TEST(ListObjectsV2XmlTest, UrlEncodingEncodesKeyFieldsOnly) {
  ListObjectsV2Result result;
  result.bucket = "b";
  result.prefix = "dir a/";
  result.delimiter = "/";
  result.start_after = "dir a/0 0";
  result.continuation_token = "tok+/=";
  result.next_continuation_token = "next+/=";
  result.url_encoding = true;
  for (const std::string& key : HardKeys()) result.contents.push_back(Object(key, 1));
  result.common_prefixes = {"dir a/sub dir/"};

  const std::string xml = ListObjectsV2Xml(result);
  Parsed parsed(xml);
  const pugi::xml_node root = parsed.root();
  EXPECT_THAT(
      ChildNames(root),
      ElementsAre("Name", "Prefix", "StartAfter", "ContinuationToken", "NextContinuationToken",
                  "KeyCount", "MaxKeys", "Delimiter", "EncodingType", "IsTruncated", "Contents",
                  "Contents", "Contents", "Contents", "Contents", "Contents", "CommonPrefixes"));
  EXPECT_EQ(Text(root, "EncodingType"), "url");
  EXPECT_EQ(Text(root, "Prefix"), "dir+a/");
  EXPECT_EQ(Text(root, "StartAfter"), "dir+a/0+0");
  EXPECT_EQ(Text(root, "Delimiter"), "/");
  // Tokens are opaque and never encoded.
  EXPECT_EQ(Text(root, "ContinuationToken"), "tok+/=");
  EXPECT_EQ(Text(root, "NextContinuationToken"), "next+/=");
  EXPECT_EQ(Text(root.child("CommonPrefixes"), "Prefix"), "dir+a/sub+dir/");
  EXPECT_EQ(UnquotePlus(Text(root.child("CommonPrefixes"), "Prefix")), "dir a/sub dir/");
  // Encoded keys hold only URL-safe characters, so nothing needs XML escaping.
  EXPECT_EQ(xml.find("&#x"), std::string::npos);

  size_t i = 0;
  for (pugi::xml_node contents : root.children("Contents")) {
    ASSERT_LT(i, HardKeys().size());
    EXPECT_EQ(UnquotePlus(Text(contents, "Key")), HardKeys()[i]) << i;
    ++i;
  }
  EXPECT_EQ(Text(root.child("Contents"), "Key"), "a+b%2Bc%26d%3Ce%3Ef%22g%27h");
}

TEST(ListObjectsV2XmlTest, WithoutUrlEncodingKeysAreEscapedAndParseBack) {
  ListObjectsV2Result result;
  result.bucket = "b";
  for (const std::string& key : HardKeys()) result.contents.push_back(Object(key, 1));
  const std::string xml = ListObjectsV2Xml(result);
  EXPECT_NE(xml.find("<Key>ctl&#x1;&#x2;&#x1b;\x7f</Key>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<Key>a b+c&amp;d&lt;e&gt;f&quot;g&apos;h</Key>"), std::string::npos);
  Parsed parsed(xml);
  size_t i = 0;
  for (pugi::xml_node contents : parsed.root().children("Contents")) {
    EXPECT_EQ(Text(contents, "Key"), HardKeys()[i]) << i;
    ++i;
  }
  EXPECT_EQ(i, HardKeys().size());
}

TEST(ListObjectsV2XmlTest, FullPageOfThousandKeys) {
  ListObjectsV2Result result;
  result.bucket = "bench";
  result.is_truncated = true;
  result.next_continuation_token = "t";
  for (int i = 0; i < 1000; ++i) {
    result.contents.push_back(Object("train/shard-" + std::to_string(100000 + i) + ".tar", i));
  }
  Parsed parsed(ListObjectsV2Xml(result));
  EXPECT_EQ(Text(parsed.root(), "KeyCount"), "1000");
  size_t count = 0;
  for (pugi::xml_node contents : parsed.root().children("Contents")) {
    EXPECT_EQ(Text(contents, "Size"), std::to_string(count));
    ++count;
  }
  EXPECT_EQ(count, 1000u);
}

TEST(ListObjectsV1XmlTest, MarkerAlwaysNextMarkerOnlyWithDelimiter) {
  ListObjectsV1Result result;
  result.bucket = "b";
  result.is_truncated = true;
  result.next_marker = "k1";
  ListedObject object = Object("k1", 5);
  object.owner = CanonicalUser{"id", ""};
  result.contents = {object};
  Parsed without_delimiter(ListObjectsV1Xml(result));
  EXPECT_THAT(ChildNames(without_delimiter.root()),
              ElementsAre("Name", "Prefix", "Marker", "MaxKeys", "IsTruncated", "Contents"));
  EXPECT_EQ(Text(without_delimiter.root(), "Marker"), "");
  EXPECT_THAT(ChildNames(without_delimiter.root().child("Contents")),
              ElementsAre("Key", "LastModified", "ETag", "Size", "Owner", "StorageClass"));
  EXPECT_THAT(ChildNames(without_delimiter.root().child("Contents").child("Owner")),
              ElementsAre("ID"));

  result.delimiter = "/";
  result.marker = "a b";
  result.prefix = "p q";
  result.url_encoding = true;
  result.next_marker = "k 1";
  result.common_prefixes = {"p q/"};
  Parsed with_delimiter(ListObjectsV1Xml(result));
  const pugi::xml_node root = with_delimiter.root();
  EXPECT_THAT(ChildNames(root),
              ElementsAre("Name", "Prefix", "Marker", "NextMarker", "MaxKeys", "Delimiter",
                          "EncodingType", "IsTruncated", "Contents", "CommonPrefixes"));
  EXPECT_EQ(Text(root, "Prefix"), "p+q");
  EXPECT_EQ(Text(root, "Marker"), "a+b");
  EXPECT_EQ(Text(root, "NextMarker"), "k+1");
  EXPECT_EQ(Text(root.child("CommonPrefixes"), "Prefix"), "p+q/");
}

TEST(ListVersionsXmlTest, VersionsAndDeleteMarkersInS3Shape) {
  ListVersionsResult result;
  result.bucket = "b";
  result.prefix = "my";
  result.max_keys = 2;
  result.is_truncated = true;
  result.next_key_marker = "my second";
  result.next_version_id_marker = "null";
  ListedVersion version;
  version.object = Object("my image.jpg", 434234);
  version.object.owner = CanonicalUser{"id", "name"};
  version.object.checksum_algorithm = "CRC32";
  ListedVersion marker;
  marker.object.key = "my second";
  marker.object.last_modified_millis = kMillis;
  marker.object.owner = CanonicalUser{"id", ""};
  marker.version_id = "3/L4kqtJl40Nr8X8gdRQBpUMLUo";
  marker.is_latest = false;
  marker.delete_marker = true;
  result.versions = {version, marker};

  Parsed parsed(ListVersionsXml(result));
  const pugi::xml_node root = parsed.root();
  EXPECT_STREQ(root.name(), "ListVersionsResult");
  EXPECT_STREQ(root.attribute("xmlns").value(), kNamespace);
  EXPECT_THAT(ChildNames(root), ElementsAre("Name", "Prefix", "KeyMarker", "VersionIdMarker",
                                            "NextKeyMarker", "NextVersionIdMarker", "MaxKeys",
                                            "IsTruncated", "Version", "DeleteMarker"));
  const pugi::xml_node v = root.child("Version");
  EXPECT_THAT(ChildNames(v), ElementsAre("Key", "VersionId", "IsLatest", "LastModified", "ETag",
                                         "ChecksumAlgorithm", "Size", "StorageClass", "Owner"));
  EXPECT_EQ(Text(v, "VersionId"), "null");
  EXPECT_EQ(Text(v, "IsLatest"), "true");
  EXPECT_EQ(Text(v, "ETag"), "\"fba9dede5f27731c9771645a39863328\"");
  const pugi::xml_node d = root.child("DeleteMarker");
  EXPECT_THAT(ChildNames(d), ElementsAre("Key", "VersionId", "IsLatest", "LastModified", "Owner"));
  EXPECT_EQ(Text(d, "IsLatest"), "false");
  EXPECT_EQ(Text(d, "VersionId"), "3/L4kqtJl40Nr8X8gdRQBpUMLUo");
}

TEST(ListVersionsXmlTest, UrlEncodingLeavesVersionIdsAlone) {
  ListVersionsResult result;
  result.bucket = "b";
  result.key_marker = "k m";
  result.version_id_marker = "v+1";
  result.next_key_marker = "n k";
  result.next_version_id_marker = "v+2";
  result.delimiter = " ";
  result.url_encoding = true;
  ListedVersion version;
  version.object = Object("a b", 1);
  version.version_id = "id/1+";
  result.versions = {version};
  result.common_prefixes = {"c "};
  Parsed parsed(ListVersionsXml(result));
  const pugi::xml_node root = parsed.root();
  EXPECT_THAT(ChildNames(root),
              ElementsAre("Name", "Prefix", "KeyMarker", "VersionIdMarker", "NextKeyMarker",
                          "NextVersionIdMarker", "MaxKeys", "Delimiter", "EncodingType",
                          "IsTruncated", "Version", "CommonPrefixes"));
  EXPECT_EQ(Text(root, "KeyMarker"), "k+m");
  EXPECT_EQ(Text(root, "VersionIdMarker"), "v+1");
  EXPECT_EQ(Text(root, "NextKeyMarker"), "n+k");
  EXPECT_EQ(Text(root, "NextVersionIdMarker"), "v+2");
  EXPECT_EQ(Text(root, "Delimiter"), "+");
  EXPECT_EQ(Text(root.child("Version"), "Key"), "a+b");
  EXPECT_EQ(Text(root.child("Version"), "VersionId"), "id/1+");
  EXPECT_EQ(Text(root.child("CommonPrefixes"), "Prefix"), "c+");
}

TEST(ListPartsXmlTest, FieldsAndOrder) {
  ListPartsResult result;
  result.bucket = "example-bucket";
  result.key = "example object";
  result.upload_id = "XXBsb2FkIElE";
  result.part_number_marker = 1;
  result.next_part_number_marker = 3;
  result.max_parts = 2;
  result.is_truncated = true;
  result.parts = {{2, kMillis, "7778aef83f66abc1fa1e8477f296d394", 10485760, {}},
                  {3, kMillis, "aaaa", 5, {{"ChecksumCRC32C", "yZRlqg=="}}}};
  result.initiator = {"arn:aws:iam::111122223333:user/some-user", "some-user"};
  result.owner = {"75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a", ""};
  result.checksum_algorithm = "CRC32C";
  result.checksum_type = "COMPOSITE";
  Parsed parsed(ListPartsXml(result));
  const pugi::xml_node root = parsed.root();
  EXPECT_STREQ(root.name(), "ListPartsResult");
  EXPECT_STREQ(root.attribute("xmlns").value(), kNamespace);
  EXPECT_THAT(ChildNames(root),
              ElementsAre("Bucket", "Key", "UploadId", "PartNumberMarker", "NextPartNumberMarker",
                          "MaxParts", "IsTruncated", "Part", "Part", "Initiator", "Owner",
                          "StorageClass", "ChecksumAlgorithm", "ChecksumType"));
  EXPECT_EQ(Text(root, "Key"), "example object");
  EXPECT_EQ(Text(root, "PartNumberMarker"), "1");
  EXPECT_EQ(Text(root, "NextPartNumberMarker"), "3");
  EXPECT_EQ(Text(root, "MaxParts"), "2");
  EXPECT_EQ(Text(root, "IsTruncated"), "true");
  const pugi::xml_node first = root.child("Part");
  EXPECT_THAT(ChildNames(first), ElementsAre("PartNumber", "LastModified", "ETag", "Size"));
  EXPECT_EQ(Text(first, "PartNumber"), "2");
  EXPECT_EQ(Text(first, "LastModified"), "2009-10-12T17:50:30.000Z");
  EXPECT_EQ(Text(first, "ETag"), "\"7778aef83f66abc1fa1e8477f296d394\"");
  EXPECT_EQ(Text(first, "Size"), "10485760");
  EXPECT_THAT(ChildNames(first.next_sibling("Part")),
              ElementsAre("PartNumber", "LastModified", "ETag", "ChecksumCRC32C", "Size"));
  EXPECT_THAT(ChildNames(root.child("Initiator")), ElementsAre("ID", "DisplayName"));
  EXPECT_THAT(ChildNames(root.child("Owner")), ElementsAre("ID"));
  EXPECT_EQ(Text(root, "StorageClass"), "STANDARD");
}

TEST(ListMultipartUploadsXmlTest, FieldsOrderAndEncoding) {
  ListMultipartUploadsResult result;
  result.bucket = "bucket";
  result.next_key_marker = "my movie.m2ts";
  result.next_upload_id_marker = "YW55IGlkZWE+";
  result.delimiter = "/";
  result.prefix = "photos 2006/";
  result.max_uploads = 3;
  result.is_truncated = true;
  result.url_encoding = true;
  ListedUpload upload;
  upload.key = "my divisor";
  upload.upload_id = "XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw";
  upload.initiator = {"initiator-id", "user1"};
  upload.owner = {"owner-id", ""};
  upload.initiated_millis = kMillis;
  upload.checksum_algorithm = "CRC64NVME";
  upload.checksum_type = "FULL_OBJECT";
  result.uploads = {upload};
  result.common_prefixes = {"photos 2006/x/"};
  Parsed parsed(ListMultipartUploadsXml(result));
  const pugi::xml_node root = parsed.root();
  EXPECT_STREQ(root.name(), "ListMultipartUploadsResult");
  EXPECT_STREQ(root.attribute("xmlns").value(), kNamespace);
  EXPECT_THAT(ChildNames(root),
              ElementsAre("Bucket", "KeyMarker", "UploadIdMarker", "NextKeyMarker",
                          "NextUploadIdMarker", "Delimiter", "Prefix", "EncodingType", "MaxUploads",
                          "IsTruncated", "Upload", "CommonPrefixes"));
  EXPECT_EQ(Text(root, "KeyMarker"), "");
  EXPECT_EQ(Text(root, "NextKeyMarker"), "my+movie.m2ts");
  EXPECT_EQ(Text(root, "NextUploadIdMarker"), "YW55IGlkZWE+");
  EXPECT_EQ(Text(root, "Prefix"), "photos+2006/");
  EXPECT_EQ(Text(root, "MaxUploads"), "3");
  const pugi::xml_node u = root.child("Upload");
  EXPECT_THAT(ChildNames(u), ElementsAre("Key", "UploadId", "Initiator", "Owner", "StorageClass",
                                         "Initiated", "ChecksumAlgorithm", "ChecksumType"));
  EXPECT_EQ(Text(u, "Key"), "my+divisor");
  EXPECT_EQ(Text(u, "Initiated"), "2009-10-12T17:50:30.000Z");
  EXPECT_EQ(Text(root.child("CommonPrefixes"), "Prefix"), "photos+2006/x/");
}

TEST(ListMultipartUploadsXmlTest, EmptyListingWithoutOptionalFields) {
  ListMultipartUploadsResult result;
  result.bucket = "b";
  EXPECT_EQ(ListMultipartUploadsXml(result),
            std::string(kDeclaration) +
                "<ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                "<Bucket>b</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>"
                "<NextKeyMarker></NextKeyMarker><NextUploadIdMarker></NextUploadIdMarker>"
                "<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>"
                "</ListMultipartUploadsResult>");
}

}  // namespace
}  // namespace trainload::s3
