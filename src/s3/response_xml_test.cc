#include "s3/response_xml.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <pugixml.hpp>
#include <string>
#include <vector>

namespace trainload::s3 {
namespace {

using ::testing::ElementsAre;
using ::testing::StartsWith;

constexpr char kDeclaration[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
constexpr int64_t kMillis = 1255369830000;  // 2009-10-12T17:50:30.000Z

// Parses a produced body as a client would; fails the test when it is not well-formed.
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

TEST(QuotedETagTest, AddsQuotesOnce) {
  EXPECT_EQ(QuotedETag("abc"), "\"abc\"");
  EXPECT_EQ(QuotedETag("\"abc-2\""), "\"abc-2\"");
  EXPECT_EQ(QuotedETag(""), "\"\"");
}

TEST(ErrorXmlTest, NoSuchKeyExactBytes) {
  ErrorDocument error;
  error.code = "NoSuchKey";
  error.message = "The specified key does not exist.";
  error.extra = {{"Key", "a&b.txt"}};
  error.request_id = "4442587FB7D0A2F9";
  error.host_id = "host+id=";
  EXPECT_EQ(ErrorXml(error),
            std::string(kDeclaration) +
                "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist."
                "</Message><Key>a&amp;b.txt</Key><RequestId>4442587FB7D0A2F9</RequestId>"
                "<HostId>host+id=</HostId></Error>");
}

TEST(ErrorXmlTest, ExtraFieldsInOrderThenResource) {
  ErrorDocument error;
  error.code = "RequestTimeTooSkewed";
  error.message = "The difference between the request time and the current time is too large.";
  error.extra = {{"RequestTime", "20240101T000000Z"},
                 {"ServerTime", "2024-01-01T00:20:00Z"},
                 {"MaxAllowedSkewMilliseconds", "900000"}};
  error.resource = "/bucket/key";
  error.request_id = "rid";
  error.host_id = "hid";
  Parsed parsed(ErrorXml(error));
  const pugi::xml_node root = parsed.root();
  EXPECT_STREQ(root.name(), "Error");
  EXPECT_FALSE(root.attribute("xmlns")) << "S3 sends <Error> without a namespace";
  EXPECT_THAT(ChildNames(root),
              ElementsAre("Code", "Message", "RequestTime", "ServerTime",
                          "MaxAllowedSkewMilliseconds", "Resource", "RequestId", "HostId"));
  EXPECT_EQ(Text(root, "Code"), "RequestTimeTooSkewed");
  EXPECT_EQ(Text(root, "MaxAllowedSkewMilliseconds"), "900000");
  EXPECT_EQ(Text(root, "Resource"), "/bucket/key");
}

TEST(ErrorXmlTest, SignatureDetailsSurviveEscaping) {
  ErrorDocument error;
  error.code = "SignatureDoesNotMatch";
  error.message = "The request signature we calculated does not match the signature you provided.";
  const std::string canonical =
      "GET\n/b/k%20x\nlist-type=2&prefix=%3C\nhost:localhost\n\nhost\nUNSIGNED-PAYLOAD";
  error.extra = {{"StringToSign", "AWS4-HMAC-SHA256\n20240101T000000Z\n..."},
                 {"CanonicalRequest", canonical}};
  Parsed parsed(ErrorXml(error));
  EXPECT_EQ(Text(parsed.root(), "CanonicalRequest"), canonical);
  EXPECT_EQ(Text(parsed.root(), "RequestId"), "");
}

TEST(ListAllMyBucketsXmlTest, FieldsAndOrder) {
  ListAllMyBucketsResult result;
  result.owner = {"75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a", "owner"};
  result.buckets = {{"alpha", kMillis, "us-east-1"}, {"beta", kMillis + 1, ""}};
  result.continuation_token = "next+token/=";
  result.prefix = "a";
  Parsed parsed(ListAllMyBucketsXml(result));
  const pugi::xml_node root = parsed.root();
  EXPECT_STREQ(root.name(), "ListAllMyBucketsResult");
  EXPECT_STREQ(root.attribute("xmlns").value(), "http://s3.amazonaws.com/doc/2006-03-01/");
  EXPECT_THAT(ChildNames(root), ElementsAre("Owner", "Buckets", "ContinuationToken", "Prefix"));
  EXPECT_THAT(ChildNames(root.child("Owner")), ElementsAre("ID", "DisplayName"));
  EXPECT_EQ(Text(root.child("Owner"), "DisplayName"), "owner");
  const pugi::xml_node first = root.child("Buckets").first_child();
  EXPECT_THAT(ChildNames(first), ElementsAre("Name", "CreationDate", "BucketRegion"));
  EXPECT_EQ(Text(first, "Name"), "alpha");
  EXPECT_EQ(Text(first, "CreationDate"), "2009-10-12T17:50:30.000Z");
  EXPECT_EQ(Text(first, "BucketRegion"), "us-east-1");
  const pugi::xml_node second = first.next_sibling();
  EXPECT_THAT(ChildNames(second), ElementsAre("Name", "CreationDate"));
  EXPECT_EQ(Text(second, "CreationDate"), "2009-10-12T17:50:30.001Z");
  EXPECT_EQ(Text(root, "ContinuationToken"), "next+token/=");
}

TEST(ListAllMyBucketsXmlTest, NoBucketsLastPageNoDisplayName) {
  ListAllMyBucketsResult result;
  result.owner.id = "id";
  EXPECT_EQ(ListAllMyBucketsXml(result),
            std::string(kDeclaration) +
                "<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                "<Owner><ID>id</ID></Owner><Buckets></Buckets></ListAllMyBucketsResult>");
}

TEST(InitiateMultipartUploadXmlTest, ExactBytes) {
  EXPECT_EQ(InitiateMultipartUploadXml({"bucket", "dir/a <b>.bin", "VXBsb2FkIElE"}),
            std::string(kDeclaration) +
                "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                "<Bucket>bucket</Bucket><Key>dir/a &lt;b&gt;.bin</Key>"
                "<UploadId>VXBsb2FkIElE</UploadId></InitiateMultipartUploadResult>");
}

TEST(CompleteMultipartUploadXmlTest, QuotedETagChecksumsAndType) {
  CompleteMultipartUploadResult result;
  result.location = "http://127.0.0.1:9000/bucket/big%20file";
  result.bucket = "bucket";
  result.key = "big file";
  result.etag = "3858f62230ac3c915f300c664312c11f-9";
  result.checksums = {{"ChecksumCRC64NVME", "rosUhgp5mIg="}};
  result.checksum_type = "FULL_OBJECT";
  const std::string xml = CompleteMultipartUploadXml(result);
  EXPECT_EQ(xml, std::string(kDeclaration) +
                     "<CompleteMultipartUploadResult "
                     "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                     "<Location>http://127.0.0.1:9000/bucket/big%20file</Location>"
                     "<Bucket>bucket</Bucket><Key>big file</Key>"
                     "<ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag>"
                     "<ChecksumCRC64NVME>rosUhgp5mIg=</ChecksumCRC64NVME>"
                     "<ChecksumType>FULL_OBJECT</ChecksumType></CompleteMultipartUploadResult>");
  Parsed parsed(xml);
  EXPECT_EQ(Text(parsed.root(), "ETag"), "\"3858f62230ac3c915f300c664312c11f-9\"");
}

TEST(CompleteMultipartUploadXmlTest, WithoutChecksums) {
  CompleteMultipartUploadResult result;
  result.location = "l";
  result.bucket = "b";
  result.key = "k";
  result.etag = "\"e-2\"";
  Parsed parsed(CompleteMultipartUploadXml(result));
  EXPECT_THAT(ChildNames(parsed.root()), ElementsAre("Location", "Bucket", "Key", "ETag"));
  EXPECT_EQ(Text(parsed.root(), "ETag"), "\"e-2\"");
}

TEST(CopyXmlTest, CopyObjectResultLikeS3) {
  CopyResult result;
  result.etag = "af7ae74a5e5ca0bc7e10561296d7a415";
  result.last_modified_millis = kMillis;
  result.checksums = {{"ChecksumCRC32", "LIWRjQ=="}};
  result.checksum_type = "FULL_OBJECT";
  EXPECT_EQ(CopyObjectXml(result),
            std::string(kDeclaration) +
                "<CopyObjectResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                "<LastModified>2009-10-12T17:50:30.000Z</LastModified>"
                "<ETag>&quot;af7ae74a5e5ca0bc7e10561296d7a415&quot;</ETag>"
                "<ChecksumCRC32>LIWRjQ==</ChecksumCRC32><ChecksumType>FULL_OBJECT</ChecksumType>"
                "</CopyObjectResult>");
}

TEST(CopyXmlTest, CopyPartResult) {
  CopyResult result;
  result.etag = "e";
  result.last_modified_millis = kMillis;
  Parsed parsed(CopyPartXml(result));
  EXPECT_STREQ(parsed.root().name(), "CopyPartResult");
  EXPECT_THAT(ChildNames(parsed.root()), ElementsAre("LastModified", "ETag"));
  EXPECT_EQ(Text(parsed.root(), "ETag"), "\"e\"");
}

TEST(DeleteResultXmlTest, DeletedAndErrors) {
  DeleteResult result;
  result.deleted = {{"a&b", "", false, ""}, {"v", "111", true, "222"}};
  result.errors = {{"locked<key>", "", "AccessDenied", "Access Denied"},
                   {"x", "ver", "InternalError", "We encountered an internal error."}};
  Parsed parsed(DeleteResultXml(result));
  const pugi::xml_node root = parsed.root();
  EXPECT_STREQ(root.name(), "DeleteResult");
  EXPECT_STREQ(root.attribute("xmlns").value(), "http://s3.amazonaws.com/doc/2006-03-01/");
  EXPECT_THAT(ChildNames(root), ElementsAre("Deleted", "Deleted", "Error", "Error"));
  const pugi::xml_node plain = root.child("Deleted");
  EXPECT_THAT(ChildNames(plain), ElementsAre("Key"));
  EXPECT_EQ(Text(plain, "Key"), "a&b");
  const pugi::xml_node marker = plain.next_sibling("Deleted");
  EXPECT_THAT(ChildNames(marker),
              ElementsAre("Key", "VersionId", "DeleteMarker", "DeleteMarkerVersionId"));
  EXPECT_EQ(Text(marker, "DeleteMarker"), "true");
  EXPECT_EQ(Text(marker, "DeleteMarkerVersionId"), "222");
  const pugi::xml_node error = root.child("Error");
  EXPECT_THAT(ChildNames(error), ElementsAre("Key", "Code", "Message"));
  EXPECT_EQ(Text(error, "Key"), "locked<key>");
  EXPECT_THAT(ChildNames(error.next_sibling("Error")),
              ElementsAre("Key", "VersionId", "Code", "Message"));
}

TEST(DeleteResultXmlTest, QuietWithNoErrorsIsEmptyResult) {
  EXPECT_EQ(DeleteResultXml({}),
            std::string(kDeclaration) +
                "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></DeleteResult>");
}

TEST(LocationConstraintXmlTest, EmptyForUsEast1) {
  const std::string empty =
      std::string(kDeclaration) +
      "<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>";
  EXPECT_EQ(LocationConstraintXml(""), empty);
  EXPECT_EQ(LocationConstraintXml("us-east-1"), empty);
  EXPECT_EQ(LocationConstraintXml("eu-west-1"),
            std::string(kDeclaration) +
                "<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">eu-west-1"
                "</LocationConstraint>");
}

TEST(VersioningConfigurationXmlTest, NeverEnabledAndEnabled) {
  EXPECT_EQ(VersioningConfigurationXml(""),
            std::string(kDeclaration) +
                "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>");
  EXPECT_EQ(VersioningConfigurationXml("Suspended"),
            std::string(kDeclaration) +
                "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                "<Status>Suspended</Status></VersioningConfiguration>");
}

TEST(CreateSessionXmlTest, CredentialsInOrder) {
  SessionCredentials credentials;
  credentials.session_token = "token/with+chars=";
  credentials.secret_access_key = "secret";
  credentials.access_key_id = "ASIAEXAMPLE";
  credentials.expiration_millis = kMillis + 300000;
  Parsed parsed(CreateSessionXml(credentials));
  const pugi::xml_node root = parsed.root();
  EXPECT_STREQ(root.name(), "CreateSessionResult");
  EXPECT_STREQ(root.attribute("xmlns").value(), "http://s3.amazonaws.com/doc/2006-03-01/");
  const pugi::xml_node creds = root.child("Credentials");
  EXPECT_THAT(ChildNames(creds),
              ElementsAre("SessionToken", "SecretAccessKey", "AccessKeyId", "Expiration"));
  EXPECT_EQ(Text(creds, "SessionToken"), "token/with+chars=");
  EXPECT_EQ(Text(creds, "AccessKeyId"), "ASIAEXAMPLE");
  EXPECT_EQ(Text(creds, "Expiration"), "2009-10-12T17:55:30.000Z");
}

}  // namespace
}  // namespace trainload::s3
