#include "s3/canonical_request.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "common/digest.h"
#include "common/encoding.h"

namespace trainload::s3 {
namespace {

std::string Uri(std::string_view raw) {
  Result<std::string> uri = CanonicalUri(raw);
  EXPECT_TRUE(uri.has_value()) << raw;
  return uri.value_or("<error>");
}

// The canonical query through both paths (decoded params, and the wire pieces the verifier
// uses), which must agree.
std::string Query(std::string_view raw, std::string_view exclude = {}) {
  Result<std::vector<QueryParam>> params = ParseQuery(raw);
  EXPECT_TRUE(params.has_value()) << raw;
  std::string decoded = params ? CanonicalQuery(*params, exclude) : "<error>";
  Result<std::string> from_raw = CanonicalQueryFromRaw(SplitQuery(raw), exclude);
  EXPECT_EQ(from_raw.value_or("<error>"), decoded) << raw;
  return decoded;
}

TEST(CanonicalUriTest, EmptyPathIsSlash) { EXPECT_EQ(Uri(""), "/"); }

TEST(CanonicalUriTest, EncodesEachByteOnceAndKeepsSlashes) {
  EXPECT_EQ(Uri("/test.txt"), "/test.txt");
  EXPECT_EQ(Uri("/test$file.text"), "/test%24file.text");
  EXPECT_EQ(Uri("/test%24file.text"), "/test%24file.text");  // already encoded: not doubled
  EXPECT_EQ(Uri("/bucket/photos/Jan/sample.jpg"), "/bucket/photos/Jan/sample.jpg");
  EXPECT_EQ(Uri("/-._~0123456789AZaz"), "/-._~0123456789AZaz");
}

TEST(CanonicalUriTest, AnyClientSpellingOfAKeyCanonicalizesTheSame) {
  // '!' raw or escaped, hex digits in either case, UTF-8 raw or escaped.
  EXPECT_EQ(Uri("/b/a!b"), "/b/a%21b");
  EXPECT_EQ(Uri("/b/a%21b"), "/b/a%21b");
  EXPECT_EQ(Uri("/b/caf\xc3\xa9"), "/b/caf%C3%A9");
  EXPECT_EQ(Uri("/b/caf%c3%a9"), "/b/caf%C3%A9");
  EXPECT_EQ(Uri("/b/a%20b"), "/b/a%20b");
  EXPECT_EQ(Uri("/b/100%25"), "/b/100%25");
}

TEST(CanonicalUriTest, PlusIsALiteralPlus) { EXPECT_EQ(Uri("/b/a+b"), "/b/a%2Bb"); }

TEST(CanonicalUriTest, DoesNotNormalizeDotsOrDoubleSlashes) {
  EXPECT_EQ(Uri("//example//"), "//example//");
  EXPECT_EQ(Uri("/b/a/../c/./d"), "/b/a/../c/./d");
  EXPECT_EQ(Uri("/b/a/%2E%2E/c"), "/b/a/../c");
}

TEST(CanonicalUriTest, MalformedEscapeIsAnError) {
  for (std::string_view raw : {"/b/%zz", "/b/%4", "/b/%"}) {
    Result<std::string> uri = CanonicalUri(raw);
    ASSERT_FALSE(uri.has_value()) << raw;
    EXPECT_EQ(uri.error().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(uri.error().message().find(raw), std::string::npos) << uri.error().message();
  }
}

TEST(CanonicalQueryTest, ValuelessParameterGetsEqualsSign) {
  EXPECT_EQ(Query("lifecycle"), "lifecycle=");
  EXPECT_EQ(Query("acl="), "acl=");
  EXPECT_EQ(Query(""), "");
}

TEST(CanonicalQueryTest, SortsByNameThenValue) {
  EXPECT_EQ(Query("prefix=J&max-keys=2"), "max-keys=2&prefix=J");
  EXPECT_EQ(Query("Param2=value2&Param1=value1"), "Param1=value1&Param2=value2");
  EXPECT_EQ(Query("b=2&a=1&a=0&c"), "a=0&a=1&b=2&c=");
  // Byte order: uppercase sorts before lowercase.
  EXPECT_EQ(Query("a=1&B=2"), "B=2&a=1");
}

TEST(CanonicalQueryTest, DecodesThenEncodesNamesAndValues) {
  EXPECT_EQ(Query("prefix=a%20b"), "prefix=a%20b");
  EXPECT_EQ(Query("prefix=a+b"), "prefix=a%2Bb");
  EXPECT_EQ(Query("prefix=a%2bb"), "prefix=a%2Bb");
  EXPECT_EQ(Query("prefix=photos/2013"), "prefix=photos%2F2013");
  EXPECT_EQ(Query("X-Amz-Credential=AKID%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"),
            "X-Amz-Credential=AKID%2F20130524%2Fus-east-1%2Fs3%2Faws4_request");
  EXPECT_EQ(Query("k%65y=v!"), "key=v%21");
  EXPECT_EQ(Query("a=b=c"), "a=b%3Dc");
}

TEST(CanonicalQueryTest, CanonicalAndNonCanonicalSpellingsAgree) {
  // Escapes of unreserved bytes, lowercase hex, '/' and '+' raw, UTF-8 raw: all re-encoded.
  EXPECT_EQ(Query("%41=%7e&b=%2f&c=%2F&d=caf\xc3\xa9&e=a+b"),
            "A=~&b=%2F&c=%2F&d=caf%C3%A9&e=a%2Bb");
  // Sorting happens on the encoded form whichever path produced it.
  EXPECT_EQ(Query("a=%2C&a=%2c&a=-"), "a=%2C&a=%2C&a=-");
  // The excluded name matches however it was spelled.
  EXPECT_EQ(Query("X-Amz-%53ignature=1&x=2", "X-Amz-Signature"), "x=2");
  EXPECT_EQ(Query("X-Amz-Signature=1&X-Amz-Signaturf=2", "X-Amz-Signature"),
            "X-Amz-Signaturf=2");
  // A presigned GET as botocore sends it.
  EXPECT_EQ(Query("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20130524%2Fus-east-"
                  "1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-"
                  "SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4"
                  "c265957d157751f604d404",
                  "X-Amz-Signature"),
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20130524%2Fus-east-1%2Fs3%"
            "2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-"
            "SignedHeaders=host");
}

TEST(CanonicalQueryTest, EveryOneByteSpellingAgreesAcrossPaths) {
  // Each byte raw, UriEncode'd, and escaped in lower and upper hex, as name and as value: the
  // wire-form fast path must canonicalize exactly as decode-then-encode does.
  const char* kHex = "0123456789abcdef";
  for (int c = 0; c < 256; ++c) {
    if (c == '&' || c == '=') continue;  // separators, not components
    std::string one(1, static_cast<char>(c));
    std::string lower = std::string("%") + kHex[c >> 4] + kHex[c & 15];
    std::string upper = lower;
    for (char& h : upper) h = static_cast<char>(std::toupper(static_cast<unsigned char>(h)));
    for (const std::string& text : {one, UriEncode(one), lower, upper}) {
      if (text == "%") continue;  // a malformed escape
      Query("n" + text + "=v" + text);
    }
  }
}

TEST(CanonicalUriTest, CanonicalAndNonCanonicalPathsAgree) {
  EXPECT_EQ(Uri("/b/a%2Fb"), "/b/a/b");
  EXPECT_EQ(Uri("/b/%41%7e"), "/b/A~");
  EXPECT_EQ(Uri("/b/caf%C3%A9/x"), "/b/caf%C3%A9/x");
}

TEST(CanonicalQueryTest, SkipsEmptyPieces) { EXPECT_EQ(Query("&a=1&&b=2&"), "a=1&b=2"); }

TEST(CanonicalQueryTest, ExcludesTheNamedParameter) {
  EXPECT_EQ(Query("X-Amz-Signature=abc&X-Amz-Date=20130524T000000Z", "X-Amz-Signature"),
            "X-Amz-Date=20130524T000000Z");
}

TEST(CanonicalQueryTest, MalformedEscapeIsAnError) {
  Result<std::vector<QueryParam>> params = ParseQuery("prefix=%G1");
  ASSERT_FALSE(params.has_value());
  EXPECT_EQ(params.error().code(), StatusCode::kInvalidArgument);
  for (std::string_view raw : {"prefix=%G1", "pre%2=1", "a=1&b=%"}) {
    Result<std::string> from_raw = CanonicalQueryFromRaw(SplitQuery(raw));
    ASSERT_FALSE(from_raw.has_value()) << raw;
    EXPECT_EQ(from_raw.error().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(from_raw.error().message(), ParseQuery(raw).error().message());
  }
}

TEST(CanonicalHeadersTest, TrimsAndCollapsesBlanks) {
  EXPECT_EQ(CanonicalHeaderValue("  value1 "), "value1");
  EXPECT_EQ(CanonicalHeaderValue("\"a   b   c\""), "\"a b c\"");
  EXPECT_EQ(CanonicalHeaderValue("a \t b\t"), "a b");
  EXPECT_EQ(CanonicalHeaderValue(""), "");
}

TEST(CanonicalHeadersTest, JoinsRepeatedHeadersInWireOrderAndIgnoresNameCase) {
  std::vector<Header> headers = {{"Host", "example.amazonaws.com"},
                                 {"My-Header1", "value4"},
                                 {"my-header1", " value1"},
                                 {"MY-HEADER1", "value3 "},
                                 {"X-Amz-Date", "20150830T123600Z"}};
  std::vector<std::string_view> names = {"host", "my-header1", "x-amz-date"};
  EXPECT_EQ(CanonicalHeaders(headers, names),
            "host:example.amazonaws.com\n"
            "my-header1:value4,value1,value3\n"
            "x-amz-date:20150830T123600Z\n");
}

TEST(CanonicalHeadersTest, SignedButAbsentHeaderHasEmptyValue) {
  std::vector<Header> headers = {{"host", "h"}};
  std::vector<std::string_view> names = {"host", "range"};
  EXPECT_EQ(CanonicalHeaders(headers, names), "host:h\nrange:\n");
}

// The canonical requests printed in the S3 API reference ("Signature Calculations for the
// Authorization Header: Transferring Payload in a Single Chunk"), with their published hashes.
TEST(CanonicalRequestTest, AwsGetObjectExample) {
  std::vector<Header> headers = {
      {"host", "examplebucket.s3.amazonaws.com"},
      {"range", "bytes=0-9"},
      {"x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"x-amz-date", "20130524T000000Z"}};
  std::vector<std::string_view> names = {"host", "range", "x-amz-content-sha256", "x-amz-date"};
  std::string canonical =
      CanonicalRequest("GET", Uri("/test.txt"), Query(""), CanonicalHeaders(headers, names),
                       "host;range;x-amz-content-sha256;x-amz-date",
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(
      canonical,
      "GET\n/test.txt\n\n"
      "host:examplebucket.s3.amazonaws.com\n"
      "range:bytes=0-9\n"
      "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
      "x-amz-date:20130524T000000Z\n\n"
      "host;range;x-amz-content-sha256;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex(canonical),
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
}

TEST(CanonicalRequestTest, AwsPutObjectExample) {
  std::vector<Header> headers = {
      {"Host", "examplebucket.s3.amazonaws.com"},
      {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
      {"x-amz-date", "20130524T000000Z"},
      {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
      {"x-amz-content-sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"}};
  std::vector<std::string_view> names = {"date", "host", "x-amz-content-sha256", "x-amz-date",
                                         "x-amz-storage-class"};
  std::string canonical =
      CanonicalRequest("PUT", Uri("/test$file.text"), Query(""), CanonicalHeaders(headers, names),
                       "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                       "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  EXPECT_EQ(Sha256Hex(canonical),
            "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
}

TEST(CanonicalRequestTest, AwsBucketLifecycleAndListExamples) {
  std::vector<Header> headers = {
      {"host", "examplebucket.s3.amazonaws.com"},
      {"x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"x-amz-date", "20130524T000000Z"}};
  std::vector<std::string_view> names = {"host", "x-amz-content-sha256", "x-amz-date"};
  auto hash = [&](std::string_view raw_query) {
    return Sha256Hex(
        CanonicalRequest("GET", Uri("/"), Query(raw_query), CanonicalHeaders(headers, names),
                         "host;x-amz-content-sha256;x-amz-date",
                         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  };
  EXPECT_EQ(hash("lifecycle"), "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca");
  EXPECT_EQ(hash("max-keys=2&prefix=J"),
            "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7");
}

// The canonical query through ScanQuery + AppendCanonicalQuery (what the verifier uses), appended
// after a prefix that must stay; the result (or error message) must be CanonicalQueryFromRaw's.
void ExpectScannedPathAgrees(std::string_view raw, std::string_view exclude = {}) {
  std::vector<ScannedQueryParam> scanned = {ScannedQueryParam{}};  // stale content is cleared
  ScanQuery(raw, scanned);
  std::vector<RawQueryParam> split = SplitQuery(raw);
  ASSERT_EQ(scanned.size(), split.size()) << raw;
  for (size_t i = 0; i < split.size(); ++i) {
    EXPECT_EQ(scanned[i].raw.name, split[i].name) << raw;
    EXPECT_EQ(scanned[i].raw.value, split[i].value) << raw;
    EXPECT_EQ(scanned[i].raw.has_value, split[i].has_value) << raw;
  }
  std::string out = "prefix\n";
  Status status = AppendCanonicalQuery(scanned, exclude, out);
  Result<std::string> expected = CanonicalQueryFromRaw(split, exclude);
  if (expected.has_value()) {
    ASSERT_TRUE(status.ok()) << raw << ": " << status.ToString();
    EXPECT_EQ(out, "prefix\n" + *expected) << raw;
  } else {
    ASSERT_FALSE(status.ok()) << raw;
    EXPECT_EQ(status.code(), expected.error().code()) << raw;
    EXPECT_EQ(status.message(), expected.error().message()) << raw;
    EXPECT_EQ(out, "prefix\n") << raw;
  }
}

TEST(ScanQueryTest, SplitsAndFlagsEachComponentInOnePass) {
  std::vector<ScannedQueryParam> scanned;
  ScanQuery("a=1&&b%2F=c%2fd&e&f=g=h&%ZZ=&x=y/z&p=%7E", scanned);
  ASSERT_EQ(scanned.size(), 7u);
  auto expect = [&](size_t i, std::string_view name, std::string_view value, bool has_value,
                    bool name_escaped, bool value_escaped, bool name_canonical,
                    bool value_canonical) {
    SCOPED_TRACE(i);
    EXPECT_EQ(scanned[i].raw.name, name);
    EXPECT_EQ(scanned[i].raw.value, value);
    EXPECT_EQ(scanned[i].raw.has_value, has_value);
    EXPECT_EQ(scanned[i].name_escaped, name_escaped);
    EXPECT_EQ(scanned[i].value_escaped, value_escaped);
    EXPECT_EQ(scanned[i].name_canonical, name_canonical);
    EXPECT_EQ(scanned[i].value_canonical, value_canonical);
  };
  expect(0, "a", "1", true, false, false, true, true);
  // "%2F" is how UriEncode writes '/'; "%2f" (lowercase hex) is not.
  expect(1, "b%2F", "c%2fd", true, true, true, true, false);
  expect(2, "e", "", false, false, false, true, true);
  // A second '=' belongs to the value, which UriEncode would write as "g%3Dh".
  expect(3, "f", "g=h", true, false, false, true, false);
  expect(4, "%ZZ", "", true, true, false, false, true);
  // '/' raw in a query component is not canonical; "%7E" escapes an unreserved byte.
  expect(5, "x", "y/z", true, false, false, true, false);
  expect(6, "p", "%7E", true, false, true, true, false);
}

TEST(ScanQueryTest, CanonicalQueryAgreesWithTheRawPath) {
  const std::vector<std::string_view> queries = {"",
                                                 "&",
                                                 "a",
                                                 "a=",
                                                 "=a",
                                                 "&a=1&&b=2&",
                                                 "a=b=c",
                                                 "k%65y=v!",
                                                 "a=%2C&a=%2c&a=-",
                                                 "%41=%7e&b=%2f&c=%2F&d=caf\xc3\xa9&e=a+b",
                                                 "X-Amz-%53ignature=1&x=2",
                                                 "a%4=1",
                                                 "a=%4&b=1",
                                                 "a=1%",
                                                 "a%=1",
                                                 "%=",
                                                 "a=%%41",
                                                 "a=%4%41",
                                                 "a=%C3%A9%2F",
                                                 "prefix=%G1",
                                                 "pre%2=1",
                                                 "a=1&b=%"};
  for (std::string_view raw : queries) {
    ExpectScannedPathAgrees(raw);
    ExpectScannedPathAgrees(raw, "X-Amz-Signature");
  }
  ExpectScannedPathAgrees(
      "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20130524%2Fus-east-1%2Fs3%2F"
      "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&"
      "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
      "X-Amz-Signature");
  // More parameters than the sort keeps on the stack.
  std::string many;
  for (int i = 40; i > 0; --i) many += "p" + std::to_string(i % 7) + "=" + std::to_string(i) + "&";
  ExpectScannedPathAgrees(many);
}

TEST(ScanQueryTest, EveryOneByteSpellingAgreesWithTheRawPath) {
  const char* kHex = "0123456789abcdef";
  for (int c = 0; c < 256; ++c) {
    std::string one(1, static_cast<char>(c));
    std::string lower = std::string("%") + kHex[c >> 4] + kHex[c & 15];
    std::string upper = lower;
    for (char& h : upper) h = static_cast<char>(std::toupper(static_cast<unsigned char>(h)));
    for (const std::string& text : {one, UriEncode(one), lower, upper}) {
      ExpectScannedPathAgrees("n" + text + "=v" + text);
      ExpectScannedPathAgrees(text + "=" + text + "&z=" + text);
    }
  }
}

TEST(AppendCanonicalTest, AppendsAfterWhatIsThere) {
  std::string out = "GET\n";
  ASSERT_TRUE(AppendCanonicalUri("/b/caf%c3%a9", out).ok());
  EXPECT_EQ(out, "GET\n/b/caf%C3%A9");
  out = "x";
  ASSERT_TRUE(AppendCanonicalUri("", out).ok());
  EXPECT_EQ(out, "x/");
  out = "x";
  Status bad = AppendCanonicalUri("/b/%G1", out);
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.message(), CanonicalUri("/b/%G1").error().message());
  EXPECT_EQ(out, "x");

  std::vector<Header> headers = {{"Host", " h "}, {"x-amz-meta-a", "1  2"}, {"X-Amz-Meta-A", "3"}};
  std::vector<std::string_view> names = {"host", "range", "x-amz-meta-a"};
  out = "q\n";
  AppendCanonicalHeaders(headers, names, out);
  EXPECT_EQ(out, "q\n" + CanonicalHeaders(headers, names));
  EXPECT_EQ(out, "q\nhost:h\nrange:\nx-amz-meta-a:1 2,3\n");

  out = "v:";
  AppendCanonicalHeaderValue(" \t a \t\tb  c\t", out);
  EXPECT_EQ(out, "v:a b c");
  out = "v:";
  AppendCanonicalHeaderValue(" \t ", out);
  EXPECT_EQ(out, "v:");
}

}  // namespace
}  // namespace trainload::s3
