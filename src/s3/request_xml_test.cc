#include "s3/request_xml.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "s3/error_code.h"

namespace trainload::s3 {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

// Asserts that `result` failed with MalformedXML and returns its message.
template <typename T>
std::string MalformedMessage(const Result<T>& result) {
  EXPECT_FALSE(result.has_value());
  if (result.has_value()) return "";
  EXPECT_EQ(ErrorCodeOf(result.error()), ErrorCode::kMalformedXML) << result.error().ToString();
  EXPECT_EQ(result.error().reason(), "MalformedXML");
  return result.error().message();
}

// ---- CompleteMultipartUpload ----

TEST(ParseCompleteMultipartUploadTest, Boto3BodyWithNamespaceAndRawQuotes) {
  // botocore serializes members in shape order (ETag before PartNumber) and leaves quotes raw.
  const auto parts = ParseCompleteMultipartUpload(
      "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Part><ETag>\"7778aef83f66abc1fa1e8477f296d394\"</ETag><PartNumber>1</PartNumber></Part>"
      "<Part><ETag>\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"</ETag><PartNumber>2</PartNumber></Part>"
      "</CompleteMultipartUpload>");
  ASSERT_TRUE(parts.has_value()) << parts.error().ToString();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].part_number, 1u);
  EXPECT_EQ((*parts)[0].etag, "7778aef83f66abc1fa1e8477f296d394");
  EXPECT_TRUE((*parts)[0].checksums.empty());
  EXPECT_EQ((*parts)[1].part_number, 2u);
  EXPECT_EQ((*parts)[1].etag, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
}

TEST(ParseCompleteMultipartUploadTest, GoSdkBodyWithEscapedQuotes) {
  // Go's encoding/xml (rclone, MinIO clients) writes quotes as &#34;.
  const auto parts = ParseCompleteMultipartUpload(
      "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Part>"
      "<PartNumber>3</PartNumber><ETag>&#34;abc-2&#34;</ETag></Part></CompleteMultipartUpload>");
  ASSERT_TRUE(parts.has_value()) << parts.error().ToString();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].part_number, 3u);
  EXPECT_EQ((*parts)[0].etag, "abc-2");
}

TEST(ParseCompleteMultipartUploadTest, PrettyPrintedBodyWithoutNamespaceAndDeclaration) {
  // s3cmd and hand-written bodies: declaration, indentation, &quot;, no namespace.
  const auto parts = ParseCompleteMultipartUpload(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<CompleteMultipartUpload>\n"
      "  <Part>\n"
      "    <PartNumber> 10000 </PartNumber>\n"
      "    <ETag>&quot;e1&quot;</ETag>\n"
      "  </Part>\n"
      "</CompleteMultipartUpload>\n");
  ASSERT_TRUE(parts.has_value()) << parts.error().ToString();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].part_number, 10000u);
  EXPECT_EQ((*parts)[0].etag, "e1");
}

TEST(ParseCompleteMultipartUploadTest, ChecksumsKeptInOrderWithTheirElementNames) {
  const auto parts = ParseCompleteMultipartUpload(
      "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Part>"
      "<ETag>\"e\"</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32>"
      "<ChecksumCRC64NVME>rosUhgp5mIg=</ChecksumCRC64NVME><PartNumber>1</PartNumber></Part>"
      "<Part><ChecksumSHA256>47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=</ChecksumSHA256>"
      "<PartNumber>2</PartNumber><ETag>e2</ETag></Part></CompleteMultipartUpload>");
  ASSERT_TRUE(parts.has_value()) << parts.error().ToString();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_THAT((*parts)[0].checksums, ElementsAre(Pair("ChecksumCRC32", "AAAAAA=="),
                                                 Pair("ChecksumCRC64NVME", "rosUhgp5mIg=")));
  EXPECT_THAT((*parts)[1].checksums,
              ElementsAre(Pair("ChecksumSHA256", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")));
  EXPECT_EQ((*parts)[1].etag, "e2");
}

TEST(ParseCompleteMultipartUploadTest, NamespacePrefixAndUnknownElementsAccepted) {
  const auto parts = ParseCompleteMultipartUpload(
      "<s3:CompleteMultipartUpload xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<s3:Part><s3:PartNumber>5</s3:PartNumber><s3:ETag>x</s3:ETag><s3:Future>1</s3:Future>"
      "</s3:Part><s3:Other/></s3:CompleteMultipartUpload>");
  ASSERT_TRUE(parts.has_value()) << parts.error().ToString();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].part_number, 5u);
  EXPECT_EQ((*parts)[0].etag, "x");
}

TEST(ParseCompleteMultipartUploadTest, PartsReturnedInDocumentOrderUnvalidated) {
  // Ordering and range are the handler's checks (InvalidPartOrder / InvalidPart).
  const auto parts = ParseCompleteMultipartUpload(
      "<CompleteMultipartUpload><Part><PartNumber>2</PartNumber></Part>"
      "<Part><PartNumber>0</PartNumber></Part><Part><PartNumber>2</PartNumber></Part>"
      "</CompleteMultipartUpload>");
  ASSERT_TRUE(parts.has_value()) << parts.error().ToString();
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].part_number, 2u);
  EXPECT_EQ((*parts)[1].part_number, 0u);
  EXPECT_EQ((*parts)[1].etag, "");
}

TEST(ParseCompleteMultipartUploadTest, RejectsNonNumericPartNumber) {
  for (const char* bad : {"x", "", "1.5", "-1", "+1", "1 2", "4294967296", "0x10"}) {
    const std::string body = std::string("<CompleteMultipartUpload><Part><PartNumber>") + bad +
                             "</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>";
    EXPECT_EQ(MalformedMessage(ParseCompleteMultipartUpload(body)),
              std::string("CompleteMultipartUpload: PartNumber '") + bad + "' is not a number");
  }
}

TEST(ParseCompleteMultipartUploadTest, RejectsStructuralProblems) {
  EXPECT_THAT(MalformedMessage(ParseCompleteMultipartUpload("")), HasSubstr("no root element"));
  EXPECT_THAT(MalformedMessage(ParseCompleteMultipartUpload("<CompleteMultipartUpload/>")),
              HasSubstr("no <Part>"));
  EXPECT_THAT(MalformedMessage(ParseCompleteMultipartUpload(
                  "<CompleteMultipartUpload><Part><ETag>e</ETag></Part>"
                  "</CompleteMultipartUpload>")),
              HasSubstr("a <Part> has no <PartNumber>"));
  EXPECT_THAT(MalformedMessage(ParseCompleteMultipartUpload(
                  "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
                  "<PartNumber>2</PartNumber></Part></CompleteMultipartUpload>")),
              HasSubstr("<PartNumber> appears more than once in <Part>"));
  EXPECT_THAT(MalformedMessage(ParseCompleteMultipartUpload(
                  "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
                  "<ChecksumCRC32>a</ChecksumCRC32><ChecksumCRC32>b</ChecksumCRC32></Part>"
                  "</CompleteMultipartUpload>")),
              HasSubstr("<ChecksumCRC32> appears more than once"));
  EXPECT_THAT(MalformedMessage(ParseCompleteMultipartUpload(
                  "<CompleteMultipartUpload><Part><PartNumber><b>1</b></PartNumber></Part>"
                  "</CompleteMultipartUpload>")),
              HasSubstr("<PartNumber> must hold text, not element <b>"));
  EXPECT_THAT(MalformedMessage(ParseCompleteMultipartUpload("<Delete><Part/></Delete>")),
              HasSubstr("the root element is <Delete>, expected <CompleteMultipartUpload>"));
  EXPECT_THAT(MalformedMessage(ParseCompleteMultipartUpload(
                  "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part>")),
              HasSubstr("not well-formed XML"));
  EXPECT_THAT(MalformedMessage(ParseCompleteMultipartUpload(
                  "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part>"
                  "</CompleteMultipartUpload><CompleteMultipartUpload/>")),
              HasSubstr("more than one root element"));
  EXPECT_THAT(MalformedMessage(ParseCompleteMultipartUpload(
                  "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part>"
                  "</CompleteMultipartUpload>trailing")),
              HasSubstr("text outside the root element"));
  EXPECT_THAT(MalformedMessage(ParseCompleteMultipartUpload("just text")),
              HasSubstr("text outside the root element"));
}

TEST(ParseCompleteMultipartUploadTest, CapsPartCount) {
  std::string body = "<CompleteMultipartUpload>";
  for (size_t i = 1; i <= kMaxCompletedParts; ++i) {
    body += "<Part><PartNumber>" + std::to_string(i) + "</PartNumber><ETag>e</ETag></Part>";
  }
  const std::string closing = "</CompleteMultipartUpload>";
  const auto at_limit = ParseCompleteMultipartUpload(body + closing);
  ASSERT_TRUE(at_limit.has_value()) << at_limit.error().ToString();
  EXPECT_EQ(at_limit->size(), kMaxCompletedParts);
  EXPECT_EQ(at_limit->back().part_number, 10000u);

  body += "<Part><PartNumber>10001</PartNumber></Part>";
  EXPECT_EQ(MalformedMessage(ParseCompleteMultipartUpload(body + closing)),
            "CompleteMultipartUpload: more than 10000 parts");
}

TEST(ParseCompleteMultipartUploadTest, LongBadValueIsShortenedInMessage) {
  const std::string bad(1000, 'z');
  const std::string message = MalformedMessage(
      ParseCompleteMultipartUpload("<CompleteMultipartUpload><Part><PartNumber>" + bad +
                                   "</PartNumber></Part></CompleteMultipartUpload>"));
  EXPECT_LT(message.size(), 200u);
  EXPECT_THAT(message, HasSubstr("...' is not a number"));
}

// ---- DeleteObjects ----

TEST(ParseDeleteTest, Boto3BodyQuietAfterObjects) {
  const auto request = ParseDelete(
      "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Object><Key>photos/a.jpg</Key></Object>"
      "<Object><Key>b</Key><VersionId>3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY</VersionId></Object>"
      "<Quiet>true</Quiet></Delete>");
  ASSERT_TRUE(request.has_value()) << request.error().ToString();
  EXPECT_TRUE(request->quiet);
  ASSERT_EQ(request->objects.size(), 2u);
  EXPECT_EQ(request->objects[0].key, "photos/a.jpg");
  EXPECT_EQ(request->objects[0].version_id, "");
  EXPECT_FALSE(request->objects[0].etag.has_value());
  EXPECT_EQ(request->objects[1].key, "b");
  EXPECT_EQ(request->objects[1].version_id, "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY");
}

TEST(ParseDeleteTest, QuietDefaultsToFalseAndAcceptsXsdBooleans) {
  const std::string object = "<Object><Key>k</Key></Object>";
  auto quiet_of = [&](const std::string& quiet_element) {
    const auto request = ParseDelete("<Delete>" + quiet_element + object + "</Delete>");
    EXPECT_TRUE(request.has_value()) << quiet_element;
    return request.has_value() && request->quiet;
  };
  EXPECT_FALSE(quiet_of(""));
  EXPECT_TRUE(quiet_of("<Quiet>true</Quiet>"));
  EXPECT_TRUE(quiet_of("<Quiet>TRUE</Quiet>"));
  EXPECT_TRUE(quiet_of("<Quiet> 1 </Quiet>"));
  EXPECT_FALSE(quiet_of("<Quiet>False</Quiet>"));
  EXPECT_FALSE(quiet_of("<Quiet>0</Quiet>"));
  EXPECT_EQ(MalformedMessage(ParseDelete("<Delete><Quiet>yes</Quiet>" + object + "</Delete>")),
            "DeleteObjects: Quiet 'yes' is not true or false");
}

TEST(ParseDeleteTest, KeysAreTakenVerbatim) {
  const auto request = ParseDelete(
      "<Delete>"
      "<Object><Key> </Key></Object>"
      "<Object><Key>  two  spaces  </Key></Object>"
      "<Object><Key>a&amp;b&lt;c&gt;&quot;d&apos;</Key></Object>"
      "<Object><Key>日本語/ü/🙂</Key></Object>"
      "<Object><Key>cr&#13;lf&#10;tab&#9;ctl&#x1;</Key></Object>"
      "<Object><Key>x<![CDATA[<raw&>]]>y</Key></Object>"
      "<Object><Key></Key></Object>"
      "</Delete>");
  ASSERT_TRUE(request.has_value()) << request.error().ToString();
  ASSERT_EQ(request->objects.size(), 7u);
  EXPECT_EQ(request->objects[0].key, " ");
  EXPECT_EQ(request->objects[1].key, "  two  spaces  ");
  EXPECT_EQ(request->objects[2].key, "a&b<c>\"d'");
  EXPECT_EQ(request->objects[3].key, "日本語/ü/🙂");
  EXPECT_EQ(request->objects[4].key, "cr\rlf\ntab\tctl\x01");
  EXPECT_EQ(request->objects[5].key, "x<raw&>y");
  EXPECT_EQ(request->objects[6].key, "");
}

TEST(ParseDeleteTest, PerObjectETagQuotesStripped) {
  const auto request = ParseDelete(
      "<Delete><Object><Key>a</Key><ETag>\"abc\"</ETag></Object>"
      "<Object><ETag>def</ETag><Key>b</Key><Size>3</Size></Object></Delete>");
  ASSERT_TRUE(request.has_value()) << request.error().ToString();
  ASSERT_EQ(request->objects.size(), 2u);
  EXPECT_EQ(request->objects[0].etag, "abc");
  EXPECT_EQ(request->objects[1].etag, "def");
  EXPECT_EQ(request->objects[1].key, "b");
}

TEST(ParseDeleteTest, RejectsEmptyAndOversizedRequests) {
  EXPECT_EQ(MalformedMessage(ParseDelete("<Delete><Quiet>true</Quiet></Delete>")),
            "DeleteObjects: the body lists no <Object>");
  std::string body = "<Delete>";
  for (size_t i = 0; i < kMaxDeleteObjects; ++i) {
    body += "<Object><Key>k" + std::to_string(i) + "</Key></Object>";
  }
  const auto at_limit = ParseDelete(body + "</Delete>");
  ASSERT_TRUE(at_limit.has_value()) << at_limit.error().ToString();
  EXPECT_EQ(at_limit->objects.size(), kMaxDeleteObjects);
  EXPECT_EQ(MalformedMessage(ParseDelete(body + "<Object><Key>one-more</Key></Object></Delete>")),
            "DeleteObjects: more than 1000 objects");
}

TEST(ParseDeleteTest, RejectsMalformedObjects) {
  EXPECT_EQ(MalformedMessage(ParseDelete("<Delete><Object><VersionId>v</VersionId></Object>"
                                         "</Delete>")),
            "DeleteObjects: an <Object> has no <Key>");
  EXPECT_EQ(MalformedMessage(ParseDelete("<Delete><Object><Key>a</Key><Key>b</Key></Object>"
                                         "</Delete>")),
            "DeleteObjects: <Key> appears more than once in <Object>");
  EXPECT_EQ(MalformedMessage(ParseDelete("<Delete><Object><Key>k</Key></Object><Quiet>true"
                                         "</Quiet><Quiet>false</Quiet></Delete>")),
            "DeleteObjects: <Quiet> appears more than once in <Delete>");
  EXPECT_EQ(MalformedMessage(ParseDelete("<Delete><Object><Key><Sub/></Key></Object></Delete>")),
            "DeleteObjects: <Key> must hold text, not element <Sub>");
  EXPECT_EQ(MalformedMessage(ParseDelete("<Objects><Object><Key>k</Key></Object></Objects>")),
            "DeleteObjects: the root element is <Objects>, expected <Delete>");
  EXPECT_THAT(MalformedMessage(ParseDelete("<Delete><Object><Key>k</Key></Object>")),
              HasSubstr("DeleteObjects: the body is not well-formed XML"));
}

TEST(ParseDeleteTest, RejectsNulInsteadOfTruncatingTheKey) {
  EXPECT_EQ(MalformedMessage(ParseDelete("<Delete><Object><Key>a&#0;b</Key></Object></Delete>")),
            "DeleteObjects: the body contains a character reference to NUL");
  EXPECT_EQ(
      MalformedMessage(ParseDelete("<Delete><Object><Key>a&#x0000;b</Key></Object></Delete>")),
      "DeleteObjects: the body contains a character reference to NUL");
  constexpr char kRawNul[] = "<Delete><Object><Key>a\0b</Key></Object></Delete>";
  EXPECT_EQ(MalformedMessage(ParseDelete(std::string_view(kRawNul, sizeof(kRawNul) - 1))),
            "DeleteObjects: the body contains a NUL byte");
  // &#10; and &#x20; are fine.
  const auto ok = ParseDelete("<Delete><Object><Key>a&#10;&#x20;</Key></Object></Delete>");
  ASSERT_TRUE(ok.has_value()) << ok.error().ToString();
  EXPECT_EQ(ok->objects[0].key, "a\n ");
}

TEST(ParseDeleteTest, DtdEntitiesAreNotExpanded) {
  // pugixml never expands declared entities: no billion laughs, no external fetch.
  const auto request = ParseDelete(
      "<!DOCTYPE Delete [<!ENTITY e \"expanded\"><!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
      "<Delete><Object><Key>&e;&x;</Key></Object></Delete>");
  ASSERT_TRUE(request.has_value()) << request.error().ToString();
  EXPECT_EQ(request->objects[0].key, "&e;&x;");
}

TEST(ParseDeleteTest, DeepNestingDoesNotExhaustTheStack) {
  std::string body = "<Delete><Object><Key>k</Key>";
  constexpr int kDepth = 500000;
  for (int i = 0; i < kDepth; ++i) body += "<a>";
  for (int i = 0; i < kDepth; ++i) body += "</a>";
  body += "</Object></Delete>";
  const auto request = ParseDelete(body);
  ASSERT_TRUE(request.has_value()) << request.error().ToString();
  EXPECT_EQ(request->objects[0].key, "k");

  std::string unclosed = "<Delete>";
  for (int i = 0; i < kDepth; ++i) unclosed += "<Object>";
  EXPECT_THAT(MalformedMessage(ParseDelete(unclosed)), HasSubstr("not well-formed"));
}

TEST(ParseDeleteTest, ByteOrderMarkAndLatin1DeclarationAccepted) {
  const auto bom = ParseDelete("\xEF\xBB\xBF<Delete><Object><Key>k</Key></Object></Delete>");
  ASSERT_TRUE(bom.has_value()) << bom.error().ToString();
  EXPECT_EQ(bom->objects[0].key, "k");
  const auto latin1 = ParseDelete(
      "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
      "<Delete><Object><Key>caf\xE9</Key></Object></Delete>");
  ASSERT_TRUE(latin1.has_value()) << latin1.error().ToString();
  EXPECT_EQ(latin1->objects[0].key, "café");
}

// ---- CreateBucket ----

TEST(ParseCreateBucketConfigurationTest, EmptyBodyGivesDefaults) {
  for (const char* body : {"", "  \r\n\t"}) {
    const auto config = ParseCreateBucketConfiguration(body);
    ASSERT_TRUE(config.has_value()) << config.error().ToString();
    EXPECT_EQ(config->location_constraint, "");
    EXPECT_EQ(config->bucket_type, "");
  }
}

TEST(ParseCreateBucketConfigurationTest, AwsCliBodyOutsideUsEast1) {
  const auto config = ParseCreateBucketConfiguration(
      "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>");
  ASSERT_TRUE(config.has_value()) << config.error().ToString();
  EXPECT_EQ(config->location_constraint, "eu-west-1");
}

TEST(ParseCreateBucketConfigurationTest, DirectoryBucketConfiguration) {
  const auto config = ParseCreateBucketConfiguration(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
      "  <Location><Name>usw2-az1</Name><Type>AvailabilityZone</Type></Location>\n"
      "  <Bucket><DataRedundancy>SingleAvailabilityZone</DataRedundancy>"
      "<Type>Directory</Type></Bucket>\n"
      "</CreateBucketConfiguration>");
  ASSERT_TRUE(config.has_value()) << config.error().ToString();
  EXPECT_EQ(config->location_constraint, "");
  EXPECT_EQ(config->location_name, "usw2-az1");
  EXPECT_EQ(config->location_type, "AvailabilityZone");
  EXPECT_EQ(config->data_redundancy, "SingleAvailabilityZone");
  EXPECT_EQ(config->bucket_type, "Directory");
}

TEST(ParseCreateBucketConfigurationTest, RejectsMalformedBodies) {
  EXPECT_EQ(MalformedMessage(ParseCreateBucketConfiguration("<Bucket/>")),
            "CreateBucket: the root element is <Bucket>, expected <CreateBucketConfiguration>");
  EXPECT_THAT(MalformedMessage(ParseCreateBucketConfiguration("<CreateBucketConfiguration>")),
              HasSubstr("CreateBucket: the body is not well-formed XML"));
  EXPECT_EQ(MalformedMessage(ParseCreateBucketConfiguration(
                "<CreateBucketConfiguration><LocationConstraint>a</LocationConstraint>"
                "<LocationConstraint>b</LocationConstraint></CreateBucketConfiguration>")),
            "CreateBucket: <LocationConstraint> appears more than once in "
            "<CreateBucketConfiguration>");
  EXPECT_EQ(MalformedMessage(ParseCreateBucketConfiguration(
                "<CreateBucketConfiguration><Location/><Location/></CreateBucketConfiguration>")),
            "CreateBucket: <Location> appears more than once");
}

// ---- PutBucketVersioning ----

TEST(ParseVersioningStatusTest, EnabledAndSuspended) {
  const auto enabled = ParseVersioningStatus(
      "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Status>Enabled</Status></VersioningConfiguration>");
  ASSERT_TRUE(enabled.has_value()) << enabled.error().ToString();
  EXPECT_EQ(*enabled, "Enabled");
  const auto suspended = ParseVersioningStatus(
      "<VersioningConfiguration><MfaDelete>Disabled</MfaDelete><Status> Suspended </Status>"
      "</VersioningConfiguration>");
  ASSERT_TRUE(suspended.has_value()) << suspended.error().ToString();
  EXPECT_EQ(*suspended, "Suspended");
}

TEST(ParseVersioningStatusTest, RejectsOtherValues) {
  EXPECT_EQ(MalformedMessage(ParseVersioningStatus(
                "<VersioningConfiguration><Status>enabled</Status></VersioningConfiguration>")),
            "PutBucketVersioning: Status 'enabled' is not Enabled or Suspended");
  EXPECT_EQ(MalformedMessage(ParseVersioningStatus("<VersioningConfiguration/>")),
            "PutBucketVersioning: the body has no <Status>");
  EXPECT_EQ(MalformedMessage(ParseVersioningStatus("")),
            "PutBucketVersioning: the body has no root element");
}

}  // namespace
}  // namespace trainload::s3
