#include "s3/sigv4_verifier.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "common/digest.h"
#include "common/encoding.h"
#include "common/time_format.h"
#include "s3/error_code.h"

namespace trainload::s3 {
namespace {

constexpr std::string_view kAkid = "AKIAIOSFODNN7EXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kDate = "20130524T000000Z";
constexpr int64_t kNow = 1369353600;  // 2013-05-24T00:00:00Z
constexpr std::string_view kHost = "examplebucket.s3.amazonaws.com";

// A request as the server receives it.
struct Wire {
  std::string method;
  std::string path;
  std::string query;
  std::vector<Header> headers;  // lowercase names

  RequestView View() const { return RequestView{method, path, query, headers}; }

  void Set(std::string_view name, std::string value) {
    for (auto& [header_name, header_value] : headers) {
      if (header_name == name) {
        header_value = std::move(value);
        return;
      }
    }
    headers.emplace_back(std::string(name), std::move(value));
  }
};

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Signs with SignRequest the way our client will, and returns what the server sees.
Wire SignedWire(std::string method, std::string path, std::string query,
                std::vector<Header> headers, std::string_view payload_hash = kEmptySha256,
                Credentials credentials = {.access_key_id = std::string(kAkid),
                                           .secret_access_key = std::string(kSecret)},
                std::string_view date = kDate, std::string_view region = "us-east-1",
                std::string_view service = "s3") {
  SigningRequest request{method, path, query, headers, payload_hash, date, region, service};
  Result<SignedRequest> signed_request = SignRequest(request, credentials);
  EXPECT_TRUE(signed_request.has_value()) << signed_request.error().ToString();
  Wire wire{std::move(method), std::move(path), std::move(query), {}};
  for (const auto& [name, value] : headers) wire.headers.emplace_back(Lower(name), value);
  for (const auto& header : signed_request->added_headers) wire.headers.push_back(header);
  wire.headers.emplace_back("authorization", signed_request->authorization);
  return wire;
}

Wire SimpleGet(std::string path = "/bucket/key", std::string query = "") {
  return SignedWire("GET", std::move(path), std::move(query), {{"Host", std::string(kHost)}});
}

class VerifierTest : public ::testing::Test {
 protected:
  Result<VerifiedRequest> Verify(const Wire& wire, int64_t now = kNow) {
    return VerifyRequest(wire.View(), lookup_, now, options_, keys_);
  }

  // Asserts `wire` fails with `code` and returns the message.
  std::string ExpectError(const Wire& wire, ErrorCode code, int64_t now = kNow) {
    Result<VerifiedRequest> verified = Verify(wire, now);
    if (verified.has_value()) {
      ADD_FAILURE() << "verified, expected " << Info(code).name;
      return "";
    }
    EXPECT_EQ(ErrorCodeOf(verified.error()), code) << verified.error().ToString();
    return verified.error().message();
  }

  std::map<std::string, std::string, std::less<>> secrets_ = {
      {std::string(kAkid), std::string(kSecret)}, {"ASIASESSION", "session-secret"}};
  SecretLookup lookup_ = [this](std::string_view id) -> Result<std::string> {
    auto it = secrets_.find(id);
    if (it == secrets_.end()) {
      return Error(MakeError(
          ErrorCode::kInvalidAccessKeyId,
          "The AWS Access Key Id you provided does not exist in our records: " + std::string(id)));
    }
    return it->second;
  };
  VerifyOptions options_;
  SigningKeyCache keys_;
};

// The S3 API reference examples, exactly as printed there (no blank after the commas of the
// Authorization header).
TEST_F(VerifierTest, AwsGetObjectExample) {
  Wire wire{"GET",
            "/test.txt",
            "",
            {{"host", std::string(kHost)},
             {"authorization",
              "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
              "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
              "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"},
             {"range", "bytes=0-9"},
             {"x-amz-content-sha256", std::string(kEmptySha256)},
             {"x-amz-date", std::string(kDate)}}};
  EXPECT_EQ(ClassifyAuth(wire.View()), AuthKind::kHeader);
  Result<VerifiedRequest> verified = Verify(wire);
  ASSERT_TRUE(verified.has_value()) << verified.error().ToString();
  EXPECT_EQ(verified->access_key_id, kAkid);
  EXPECT_EQ(verified->scope, (SigningScope{"20130524", "us-east-1", "s3"}));
  EXPECT_EQ(verified->amz_date, kDate);
  EXPECT_EQ(verified->request_time, kNow);
  EXPECT_EQ(verified->signature,
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(verified->signing_key, DeriveSigningKey(kSecret, verified->scope));
  EXPECT_EQ(verified->payload_hash, kEmptySha256);
  EXPECT_EQ(verified->session_token, "");
  EXPECT_FALSE(verified->presigned);
}

TEST_F(VerifierTest, AwsPutObjectExampleWithDateAndXAmzDate) {
  for (std::string path : {"/test$file.text", "/test%24file.text"}) {
    Wire wire{"PUT",
              path,
              "",
              {{"host", std::string(kHost)},
               {"date", "Fri, 24 May 2013 00:00:00 GMT"},
               {"authorization",
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                "aws4_request,SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;"
                "x-amz-storage-class,"
                "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"},
               {"x-amz-date", std::string(kDate)},
               {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
               {"x-amz-content-sha256",
                "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"}}};
    Result<VerifiedRequest> verified = Verify(wire);
    ASSERT_TRUE(verified.has_value()) << path << ": " << verified.error().ToString();
    EXPECT_EQ(verified->payload_hash,
              "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  }
}

TEST_F(VerifierTest, AwsBucketExamples) {
  struct Case {
    std::string query, signature;
  };
  for (const Case& c :
       {Case{"lifecycle", "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"},
        Case{"max-keys=2&prefix=J",
             "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"}}) {
    Wire wire{"GET",
              "/",
              c.query,
              {{"host", std::string(kHost)},
               {"x-amz-date", std::string(kDate)},
               {"x-amz-content-sha256", std::string(kEmptySha256)},
               {"authorization",
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                "aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=" +
                    c.signature}}};
    EXPECT_TRUE(Verify(wire).has_value()) << c.query;
  }
}

TEST_F(VerifierTest, AwsChunkedUploadSeed) {
  Wire wire{"PUT",
            "/examplebucket/chunkObject.txt",
            "",
            {{"host", "s3.amazonaws.com"},
             {"x-amz-date", std::string(kDate)},
             {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
             {"authorization",
              "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
              "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
              "x-amz-decoded-content-length;x-amz-storage-class,"
              "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"},
             {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
             {"content-encoding", "aws-chunked"},
             {"x-amz-decoded-content-length", "66560"},
             {"content-length", "66824"}}};
  Result<VerifiedRequest> verified = Verify(wire);
  ASSERT_TRUE(verified.has_value()) << verified.error().ToString();
  EXPECT_EQ(verified->payload_hash, kStreamingSignedPayload);
  // What the aws-chunked decoder needs to check the first chunk.
  EXPECT_EQ(ChunkSignature(verified->signing_key, verified->amz_date, verified->scope,
                           verified->signature, Sha256Hex(std::string(65536, 'a'))),
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648");
}

constexpr std::string_view kPresignedQuery =
    "X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
    "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

Wire PresignedWire(std::string query = std::string(kPresignedQuery)) {
  return Wire{"GET", "/test.txt", std::move(query), {{"host", std::string(kHost)}}};
}

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST_F(VerifierTest, AwsPresignedUrlExample) {
  Wire wire = PresignedWire();
  EXPECT_EQ(ClassifyAuth(wire.View()), AuthKind::kPresigned);
  Result<VerifiedRequest> verified = Verify(wire, kNow + 3600);
  ASSERT_TRUE(verified.has_value()) << verified.error().ToString();
  EXPECT_TRUE(verified->presigned);
  EXPECT_EQ(verified->access_key_id, kAkid);
  EXPECT_EQ(verified->payload_hash, kUnsignedPayload);
  EXPECT_EQ(verified->request_time, kNow);
  EXPECT_EQ(verified->signature,
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST_F(VerifierTest, PresignedExpiry) {
  Wire wire = PresignedWire();
  EXPECT_TRUE(Verify(wire, kNow + 86399).has_value());
  EXPECT_TRUE(
      ExpectError(wire, ErrorCode::kAccessDenied, kNow + 86400).starts_with("Request has expired"));
  EXPECT_TRUE(Verify(wire, kNow - 900).has_value());
  EXPECT_EQ(ExpectError(wire, ErrorCode::kAccessDenied, kNow - 901), "Request is not valid yet");
  // X-Amz-Expires=0 never verifies (the signature is checked after the time).
  EXPECT_TRUE(ExpectError(PresignedWire(
                              Replace(std::string(kPresignedQuery), "Expires=86400", "Expires=0")),
                          ErrorCode::kAccessDenied)
                  .starts_with("Request has expired"));
}

TEST_F(VerifierTest, PresignedParameterErrors) {
  std::string query(kPresignedQuery);
  EXPECT_EQ(ExpectError(PresignedWire(Replace(query, "Expires=86400", "Expires=604801")),
                        ErrorCode::kAuthorizationQueryParametersError),
            "X-Amz-Expires must be less than a week (in seconds) that is; 604800");
  EXPECT_EQ(ExpectError(PresignedWire(Replace(query, "Expires=86400", "Expires=-7")),
                        ErrorCode::kAuthorizationQueryParametersError),
            "X-Amz-Expires must be non-negative");
  EXPECT_EQ(ExpectError(PresignedWire(Replace(query, "Expires=86400", "Expires=1d")),
                        ErrorCode::kAuthorizationQueryParametersError),
            "X-Amz-Expires should be a number");
  EXPECT_EQ(ExpectError(PresignedWire(Replace(query, "&X-Amz-SignedHeaders=host", "")),
                        ErrorCode::kAuthorizationQueryParametersError),
            "Query-string authentication version 4 requires the X-Amz-Algorithm, "
            "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
            "X-Amz-Expires parameters.");
  EXPECT_EQ(ExpectError(PresignedWire(Replace(query, "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1")),
                        ErrorCode::kAuthorizationQueryParametersError),
            "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
  EXPECT_EQ(ExpectError(PresignedWire(Replace(query, "Date=20130524T000000Z", "Date=20130524")),
                        ErrorCode::kAuthorizationQueryParametersError),
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  EXPECT_EQ(ExpectError(PresignedWire(Replace(query, "%2Fs3%2F", "%2F")),
                        ErrorCode::kAuthorizationQueryParametersError),
            "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; "
            "expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
  EXPECT_EQ(
      ExpectError(PresignedWire(Replace(query, "Date=20130524T000000Z", "Date=20130525T000000Z")),
                  ErrorCode::kAuthorizationQueryParametersError),
      "Invalid credential date \"20130524\". This date is not the same as X-Amz-Date: "
      "\"20130525\".");
  ExpectError(PresignedWire(Replace(query, "Signature=aeeed9bb", "Signature=aeeed9bc")),
              ErrorCode::kSignatureDoesNotMatch);
}

TEST_F(VerifierTest, PresignedWrongRegion) {
  options_.region = "eu-west-1";
  EXPECT_EQ(ExpectError(PresignedWire(), ErrorCode::kAuthorizationQueryParametersError),
            "Error parsing the X-Amz-Credential parameter; the region 'us-east-1' is wrong; "
            "expecting 'eu-west-1'");
}

TEST_F(VerifierTest, PresignRoundTripWithSessionTokenAndExtraQuery) {
  Credentials credentials{.access_key_id = "ASIASESSION",
                          .secret_access_key = "session-secret",
                          .session_token = "FQoG/token+with=chars"};
  std::vector<Header> headers = {{"Host", std::string(kHost)}};
  SigningRequest request{
      "GET", "/bucket/a b+c", "response-content-type=text%2Fplain", headers, "", kDate, "us-east-1",
      "s3"};
  Result<std::string> query = Presign(request, credentials, 300);
  ASSERT_TRUE(query.has_value());
  Wire wire{"GET", "/bucket/a%20b%2Bc", *query, {{"host", std::string(kHost)}}};
  Result<VerifiedRequest> verified = Verify(wire, kNow + 299);
  ASSERT_TRUE(verified.has_value()) << verified.error().ToString();
  EXPECT_EQ(verified->session_token, "FQoG/token+with=chars");
  EXPECT_EQ(verified->access_key_id, "ASIASESSION");
  ExpectError(wire, ErrorCode::kAccessDenied, kNow + 300);

  // Any change of the signed query breaks the signature.
  wire.query = Replace(*query, "text%2Fplain", "text%2Fhtml");
  ExpectError(wire, ErrorCode::kSignatureDoesNotMatch, kNow + 1);
}

TEST_F(VerifierTest, RoundTrip) {
  Wire wire = SignedWire("PUT", "/bucket/dir/object.bin", "partNumber=3&uploadId=xyz",
                         {{"Host", "localhost:9000"},
                          {"Content-Type", "application/octet-stream"},
                          {"x-amz-meta-owner", "team a"}},
                         Sha256Hex("body"));
  Result<VerifiedRequest> verified = Verify(wire);
  ASSERT_TRUE(verified.has_value()) << verified.error().ToString();
  EXPECT_EQ(verified->payload_hash, Sha256Hex("body"));
  EXPECT_EQ(keys_.size(), 1u);
  ASSERT_TRUE(Verify(wire).has_value());
  EXPECT_EQ(keys_.size(), 1u);  // the second request used the cached key
}

TEST_F(VerifierTest, ChangingAnySignedPartFailsWithTheExactCode) {
  const Wire base = SignedWire("GET", "/bucket/key", "list-type=2&prefix=a",
                               {{"Host", std::string(kHost)}, {"Range", "bytes=0-9"}});
  ASSERT_TRUE(Verify(base).has_value());

  secrets_[std::string(kAkid)] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEz";
  ExpectError(base, ErrorCode::kSignatureDoesNotMatch);
  secrets_[std::string(kAkid)] = std::string(kSecret);

  Wire wire = base;
  wire.path = "/bucket/kez";
  ExpectError(wire, ErrorCode::kSignatureDoesNotMatch);
  wire = base;
  wire.method = "PUT";
  ExpectError(wire, ErrorCode::kSignatureDoesNotMatch);
  wire = base;
  wire.query = "list-type=2&prefix=b";
  ExpectError(wire, ErrorCode::kSignatureDoesNotMatch);
  wire = base;
  wire.Set("range", "bytes=0-8");
  ExpectError(wire, ErrorCode::kSignatureDoesNotMatch);
  wire = base;
  wire.Set("x-amz-date", "20130524T000001Z");  // same day, within the skew
  ExpectError(wire, ErrorCode::kSignatureDoesNotMatch);
  wire = base;
  wire.Set("x-amz-date", "20130525T000000Z");  // the credential scope names the 24th
  EXPECT_EQ(ExpectError(wire, ErrorCode::kAuthorizationHeaderMalformed, kNow + 86400),
            "The authorization header is malformed; Invalid credential date \"20130524\". This "
            "date is not the same as X-Amz-Date: \"20130525\".");
  wire = base;
  std::string authorization = base.headers.back().second;
  wire.Set("authorization", Replace(authorization, "Signature=", "Signature=0"));
  ExpectError(wire, ErrorCode::kSignatureDoesNotMatch);
  wire.Set("authorization", Replace(authorization, "AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLF"));
  EXPECT_EQ(ExpectError(wire, ErrorCode::kInvalidAccessKeyId),
            "The AWS Access Key Id you provided does not exist in our records: "
            "AKIAIOSFODNN7EXAMPLF");
}

TEST_F(VerifierTest, SignatureMismatchShowsTheCanonicalRequest) {
  Wire wire = SimpleGet();
  wire.path = "/bucket/other";
  std::string message = ExpectError(wire, ErrorCode::kSignatureDoesNotMatch);
  EXPECT_TRUE(message.starts_with("The request signature we calculated does not match")) << message;
  EXPECT_NE(message.find("GET\\n/bucket/other\\n"), std::string::npos) << message;
}

TEST_F(VerifierTest, SignatureMismatchMessageLeavesSessionTokensOut) {
  Wire wire = SignedWire("GET", "/bucket/key", "", {{"Host", std::string(kHost)}}, kEmptySha256,
                         {.access_key_id = "ASIASESSION",
                          .secret_access_key = "session-secret",
                          .session_token = "secret-session-token"});
  wire.path = "/bucket/other";
  std::string message = ExpectError(wire, ErrorCode::kSignatureDoesNotMatch);
  EXPECT_EQ(message.find("secret-session-token"), std::string::npos) << message;
  EXPECT_NE(message.find("x-amz-security-token:<redacted>\\n"), std::string::npos) << message;
}

TEST_F(VerifierTest, ClockSkewOfHeaderAuth) {
  Wire wire = SimpleGet();
  EXPECT_TRUE(Verify(wire, kNow + 900).has_value());
  EXPECT_TRUE(Verify(wire, kNow - 900).has_value());
  std::string message = ExpectError(wire, ErrorCode::kRequestTimeTooSkewed, kNow + 901);
  EXPECT_NE(message.find("20130524T000000Z"), std::string::npos) << message;
  EXPECT_NE(message.find("20130524T001501Z"), std::string::npos) << message;
  ExpectError(wire, ErrorCode::kRequestTimeTooSkewed, kNow - 901);
  options_.max_skew_seconds = 60;
  ExpectError(wire, ErrorCode::kRequestTimeTooSkewed, kNow + 61);
}

TEST_F(VerifierTest, DateHeaderInHttpFormatWhenNoXAmzDate) {
  // A signer that dates the request with Date only; the string to sign carries the SigV4 form.
  Wire wire{"GET",
            "/bucket/key",
            "",
            {{"host", std::string(kHost)},
             {"date", "Fri, 24 May 2013 00:00:00 GMT"},
             {"x-amz-content-sha256", std::string(kEmptySha256)}}};
  std::vector<std::string_view> names = {"date", "host", "x-amz-content-sha256"};
  SigningScope scope{"20130524", "us-east-1", "s3"};
  std::string canonical =
      CanonicalRequest("GET", "/bucket/key", "", CanonicalHeaders(wire.headers, names),
                       "date;host;x-amz-content-sha256", kEmptySha256);
  std::string signature =
      HexSignature(DeriveSigningKey(kSecret, scope), StringToSign(kDate, scope, canonical));
  wire.Set("authorization",
           "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/" + CredentialScope(scope) +
               ", SignedHeaders=date;host;x-amz-content-sha256, Signature=" + signature);
  Result<VerifiedRequest> verified = Verify(wire);
  ASSERT_TRUE(verified.has_value()) << verified.error().ToString();
  EXPECT_EQ(verified->amz_date, kDate);
  EXPECT_EQ(verified->request_time, kNow);
}

TEST_F(VerifierTest, MissingOrInvalidDate) {
  Wire wire = SimpleGet();
  std::erase_if(wire.headers, [](const Header& h) { return h.first == "x-amz-date"; });
  EXPECT_EQ(ExpectError(wire, ErrorCode::kAccessDenied),
            "AWS authentication requires a valid Date or x-amz-date header");
  wire.Set("x-amz-date", "Fri, 24 May 2013 00:00:00 GMT");
  ExpectError(wire, ErrorCode::kAccessDenied);
}

TEST_F(VerifierTest, WrongRegionOrService) {
  options_.region = "us-east-1";
  Wire wire =
      SignedWire("GET", "/bucket/key", "", {{"Host", std::string(kHost)}}, kEmptySha256,
                 {.access_key_id = std::string(kAkid), .secret_access_key = std::string(kSecret)},
                 kDate, "us-west-2");
  EXPECT_EQ(ExpectError(wire, ErrorCode::kAuthorizationHeaderMalformed),
            "The authorization header is malformed; the region 'us-west-2' is wrong; expecting "
            "'us-east-1'");
  options_.region.clear();
  EXPECT_TRUE(Verify(wire).has_value());

  wire =
      SignedWire("GET", "/bucket/key", "", {{"Host", std::string(kHost)}}, kEmptySha256,
                 {.access_key_id = std::string(kAkid), .secret_access_key = std::string(kSecret)},
                 kDate, "us-east-1", "ec2");
  EXPECT_EQ(ExpectError(wire, ErrorCode::kAuthorizationHeaderMalformed),
            "The authorization header is malformed; incorrect service \"ec2\". This endpoint "
            "belongs to \"s3\".");
}

TEST_F(VerifierTest, S3ExpressSessionRequest) {
  Credentials session{.access_key_id = "ASIASESSION",
                      .secret_access_key = "session-secret",
                      .session_token = "express-token",
                      .s3express_session = true};
  Wire wire = SignedWire("GET", "/key", "", {{"Host", "mybucket--usw2-az1--x-s3.localhost"}},
                         kUnsignedPayload, session, kDate, "us-west-2", "s3express");
  Result<VerifiedRequest> verified = Verify(wire);
  ASSERT_TRUE(verified.has_value()) << verified.error().ToString();
  EXPECT_EQ(verified->scope.service, "s3express");
  EXPECT_EQ(verified->session_token, "express-token");
  EXPECT_EQ(verified->payload_hash, kUnsignedPayload);
}

TEST_F(VerifierTest, ContentSha256IsRequiredAndChecked) {
  Wire wire = SimpleGet();
  std::erase_if(wire.headers, [](const Header& h) { return h.first == "x-amz-content-sha256"; });
  EXPECT_EQ(ExpectError(wire, ErrorCode::kInvalidRequest),
            "Missing required header for this request: x-amz-content-sha256");
  wire.Set("x-amz-content-sha256", "not-a-hash");
  EXPECT_TRUE(ExpectError(wire, ErrorCode::kInvalidArgument)
                  .starts_with("x-amz-content-sha256 must be UNSIGNED-PAYLOAD,"));
}

TEST_F(VerifierTest, UnsignedHostOrAmzHeadersAreRefused) {
  Wire wire = SimpleGet();
  wire.headers.emplace_back("x-amz-acl", "public-read");
  wire.headers.emplace_back("x-amz-meta-a", "1");
  EXPECT_EQ(ExpectError(wire, ErrorCode::kAccessDenied),
            "There were headers present in the request which were not signed: x-amz-acl "
            "x-amz-meta-a");
  // Unsigned ordinary headers are fine.
  wire = SimpleGet();
  wire.headers.emplace_back("user-agent", "curl/8");
  wire.headers.emplace_back("accept", "*/*");
  EXPECT_TRUE(Verify(wire).has_value());

  // A signature that leaves Host out.
  wire = SignedWire("GET", "/bucket/key", "", {{"Host", std::string(kHost)}});
  wire.Set("authorization",
           Replace(wire.headers.back().second, "SignedHeaders=host;", "SignedHeaders="));
  EXPECT_EQ(ExpectError(wire, ErrorCode::kAccessDenied),
            "There were headers present in the request which were not signed: host");
}

TEST_F(VerifierTest, MalformedAuthorizationHeader) {
  Wire wire = SimpleGet();
  std::string authorization = wire.headers.back().second;
  auto with = [&](std::string value) {
    Wire w = wire;
    w.Set("authorization", std::move(value));
    return w;
  };
  EXPECT_EQ(ExpectError(with(authorization.substr(0, authorization.find(", Signature="))),
                        ErrorCode::kAuthorizationHeaderMalformed),
            "The authorization header is malformed; the authorization header requires three "
            "components: Credential, SignedHeaders, and Signature.");
  ExpectError(with(Replace(authorization, "Credential=", "Credentials=")),
              ErrorCode::kAuthorizationHeaderMalformed);
  EXPECT_EQ(ExpectError(with(Replace(authorization, "/20130524/", "/2013-05-24/")),
                        ErrorCode::kAuthorizationHeaderMalformed),
            "The authorization header is malformed; the Credential is mal-formed; expecting "
            "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
  EXPECT_EQ(ExpectError(with(Replace(authorization, "aws4_request", "aws5_request")),
                        ErrorCode::kAuthorizationHeaderMalformed),
            "The authorization header is malformed; incorrect terminal \"aws5_request\". This "
            "endpoint uses \"aws4_request\".");
  ExpectError(with(Replace(authorization, "SignedHeaders=host;", "SignedHeaders=host;;")),
              ErrorCode::kAuthorizationHeaderMalformed);
  EXPECT_EQ(ExpectError(with("Bearer abc"), ErrorCode::kInvalidArgument),
            "Unsupported Authorization Type");
  EXPECT_EQ(ExpectError(with("AWS4-HMAC-SHA256X Credential=a"), ErrorCode::kInvalidArgument),
            "Unsupported Authorization Type");
  ExpectError(with("AWS4-ECDSA-P256-SHA256 Credential=a/20130524/s3/aws4_request, "
                   "SignedHeaders=host, Signature=00"),
              ErrorCode::kNotImplemented);
}

TEST_F(VerifierTest, SignatureVersion2IsRefused) {
  Wire wire = SimpleGet();
  wire.Set("authorization", "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=");
  EXPECT_EQ(ExpectError(wire, ErrorCode::kInvalidRequest),
            "The authorization mechanism you have provided is not supported. Please use "
            "AWS4-HMAC-SHA256.");
  Wire presigned_v2{"GET",
                    "/bucket/key",
                    "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1369357200&Signature=abc%3D",
                    {{"host", std::string(kHost)}}};
  EXPECT_EQ(ClassifyAuth(presigned_v2.View()), AuthKind::kPresigned);
  ExpectError(presigned_v2, ErrorCode::kInvalidRequest);
}

TEST_F(VerifierTest, OnlyOneAuthMechanism) {
  Wire wire = SimpleGet();
  wire.query = std::string(kPresignedQuery);
  EXPECT_TRUE(ExpectError(wire, ErrorCode::kInvalidArgument)
                  .starts_with("Only one auth mechanism allowed"));
}

TEST_F(VerifierTest, MalformedPercentEncodingIsAnS3Error) {
  Wire wire = SimpleGet();
  wire.path = "/bucket/%zz";
  ExpectError(wire, ErrorCode::kInvalidArgument);
  wire = SimpleGet();
  wire.query = "prefix=%";
  ExpectError(wire, ErrorCode::kInvalidArgument);
}

TEST_F(VerifierTest, AnonymousRequests) {
  Wire wire{"GET", "/bucket/key", "prefix=a", {{"host", std::string(kHost)}}};
  EXPECT_EQ(ClassifyAuth(wire.View()), AuthKind::kAnonymous);
  ExpectError(wire, ErrorCode::kAccessDenied);
  wire.headers.emplace_back("authorization", "  ");
  EXPECT_EQ(ClassifyAuth(wire.View()), AuthKind::kAnonymous);
  wire.query = "X-Amz-Signature=abc";
  EXPECT_EQ(ClassifyAuth(wire.View()), AuthKind::kPresigned);
  wire.query = "X%2DAmz%2DCredential=abc";
  EXPECT_EQ(ClassifyAuth(wire.View()), AuthKind::kPresigned);
}

// Keys S3 allows and clients escape differently: the client signs one spelling (its own
// UriEncode of the key), the wire carries another, and the signature still verifies.
TEST_F(VerifierTest, KeysSpelledDifferentlyOnTheWireStillVerify) {
  struct Case {
    std::string signed_path;  // what our client signed (UriEncode of the key)
    std::string wire_path;    // what another escaping puts on the wire
  };
  const Case cases[] = {
      {"/bucket/a%20b%20c", "/bucket/a%20b%20c"},
      {"/bucket/a%2Bb", "/bucket/a+b"},                                   // literal plus
      {"/bucket/100%25%20done", "/bucket/100%25 done"},                   // percent sign, raw space
      {"/bucket/caf%C3%A9/%E6%97%A5", "/bucket/caf%c3%a9/\xe6\x97\xa5"},  // UTF-8
      {"/bucket/a//b/../c/./d", "/bucket/a//b/%2E%2E/c/%2e/d"},           // not normalized
      {"/bucket/wow%21%24%26%27%28%29%2A", "/bucket/wow!$&'()*"},         // sub-delims raw
      {"/bucket/~user/file-1_2.txt", "/bucket/%7Euser/file%2D1%5F2%2Etxt"},  // over-escaped
  };
  for (const Case& c : cases) {
    Wire wire = SignedWire("GET", c.signed_path, "", {{"Host", std::string(kHost)}});
    wire.path = c.wire_path;
    Result<VerifiedRequest> verified = Verify(wire);
    EXPECT_TRUE(verified.has_value())
        << c.signed_path << " sent as " << c.wire_path << ": " << verified.error().ToString();
    // The reverse: the client signed the other spelling.
    wire = SignedWire("GET", c.wire_path, "", {{"Host", std::string(kHost)}});
    wire.path = c.signed_path;
    verified = Verify(wire);
    EXPECT_TRUE(verified.has_value())
        << c.wire_path << " sent as " << c.signed_path << ": " << verified.error().ToString();
  }
  // A different key does not verify: "a/b/../c" is not "a/c".
  Wire wire = SignedWire("GET", "/bucket/a/b/../c", "", {{"Host", std::string(kHost)}});
  wire.path = "/bucket/a/c";
  ExpectError(wire, ErrorCode::kSignatureDoesNotMatch);
}

TEST_F(VerifierTest, QueryValuesSpelledDifferentlyStillVerify) {
  Wire wire = SignedWire("GET", "/bucket", "list-type=2&prefix=photos%2F2013%20a%2Bb&delimiter=%2F",
                         {{"Host", std::string(kHost)}});
  wire.query = "delimiter=/&list-type=2&prefix=photos/2013%20a+b";
  Result<VerifiedRequest> verified = Verify(wire);
  EXPECT_TRUE(verified.has_value()) << verified.error().ToString();
}

// VerifyRequest reuses per-thread buffers; a SecretLookup that verifies another request on the
// same thread while the outer call still holds views into them must not disturb either call.
TEST_F(VerifierTest, ALookupMayVerifyAnotherRequestOnTheSameThread) {
  auto presigned = [](std::string_view path, std::string_view query) {
    std::vector<Header> headers = {{"Host", std::string(kHost)}};
    SigningRequest request{"GET", path, query, headers, "", kDate, "us-east-1", "s3"};
    Credentials credentials{.access_key_id = std::string(kAkid),
                            .secret_access_key = std::string(kSecret)};
    Result<std::string> signed_query = Presign(request, credentials, 300);
    EXPECT_TRUE(signed_query.has_value());
    return Wire{
        "GET", std::string(path), signed_query.value_or(""), {{"host", std::string(kHost)}}};
  };
  const Wire outer = presigned("/bucket/outer%21", "prefix=a%2Fb&list-type=2");
  const Wire inner = presigned("/other/inner", "versionId=%7E3&x-id=GetObject");
  int nested_calls = 0;
  SecretLookup nesting = [&](std::string_view id) -> Result<std::string> {
    ++nested_calls;
    Result<VerifiedRequest> nested = VerifyRequest(inner.View(), lookup_, kNow, options_, keys_);
    EXPECT_TRUE(nested.has_value()) << nested.error().ToString();
    return lookup_(id);
  };
  Result<VerifiedRequest> verified = VerifyRequest(outer.View(), nesting, kNow, options_, keys_);
  ASSERT_TRUE(verified.has_value()) << verified.error().ToString();
  EXPECT_EQ(nested_calls, 1);
  EXPECT_EQ(verified->access_key_id, kAkid);
  EXPECT_TRUE(verified->presigned);
  // And the buffers are usable again afterwards.
  EXPECT_TRUE(Verify(inner).has_value());
  EXPECT_TRUE(Verify(outer).has_value());
}

}  // namespace
}  // namespace trainload::s3
