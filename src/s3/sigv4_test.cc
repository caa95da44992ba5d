#include "s3/sigv4.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "common/digest.h"
#include "common/encoding.h"

namespace trainload::s3 {
namespace {

// Credentials and time of the S3 API reference examples (examplebucket, 24 May 2013).
const Credentials kS3Example = {.access_key_id = "AKIAIOSFODNN7EXAMPLE",
                                .secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
constexpr std::string_view kS3Date = "20130524T000000Z";
// Credentials and time of the generic AWS SigV4 test suite (service "service").
const Credentials kSuite = {.access_key_id = "AKIDEXAMPLE",
                            .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};
constexpr std::string_view kSuiteDate = "20150830T123600Z";
constexpr std::string_view kSuiteHost = "example.amazonaws.com";

std::string Hex(const Sha256Bytes& bytes) {
  return HexEncode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

SignedRequest Sign(std::string_view method, std::string_view path, std::string_view query,
                   const std::vector<Header>& headers, std::string_view payload_hash,
                   const Credentials& credentials = kS3Example, std::string_view date = kS3Date,
                   std::string_view region = "us-east-1", std::string_view service = "s3") {
  SigningRequest request{method, path, query, headers, payload_hash, date, region, service};
  Result<SignedRequest> signed_request = SignRequest(request, credentials);
  EXPECT_TRUE(signed_request.has_value()) << signed_request.error().ToString();
  return signed_request.value_or(SignedRequest{});
}

SignedRequest SignSuite(std::string_view method, std::string_view path, std::string_view query,
                        std::vector<Header> headers, std::string_view body = "",
                        const Credentials& credentials = kSuite) {
  headers.insert(headers.begin(), {"Host", std::string(kSuiteHost)});
  return Sign(method, path, query, headers, Sha256Hex(body), credentials, kSuiteDate, "us-east-1",
              "service");
}

TEST(SigningKeyTest, DerivesThePublishedKey) {
  // The IAM "derive a signing key" example.
  EXPECT_EQ(Hex(DeriveSigningKey(kSuite.secret_access_key, {"20150830", "us-east-1", "iam"})),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}

TEST(SigningKeyTest, CredentialScope) {
  EXPECT_EQ(CredentialScope({"20130524", "us-east-1", "s3"}), "20130524/us-east-1/s3/aws4_request");
  EXPECT_EQ(CredentialScope({"20240101", "us-west-2", "s3express"}),
            "20240101/us-west-2/s3express/aws4_request");
}

// The four examples of "Signature Calculations for the Authorization Header: Transferring
// Payload in a Single Chunk" in the S3 API reference.
TEST(SignRequestTest, AwsGetObjectExample) {
  SignedRequest s =
      Sign("GET", "/test.txt", "",
           {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}}, kEmptySha256);
  EXPECT_EQ(s.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(s.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(s.added_headers,
            (std::vector<Header>{{"x-amz-date", "20130524T000000Z"},
                                 {"x-amz-content-sha256", std::string(kEmptySha256)}}));
}

TEST(SignRequestTest, AwsPutObjectExample) {
  std::string payload_hash = Sha256Hex("Welcome to Amazon S3.");
  ASSERT_EQ(payload_hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  std::vector<Header> headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                                 {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                                 {"x-amz-storage-class", "REDUCED_REDUNDANCY"}};
  // The key "test$file.text" sent raw or escaped signs the same.
  for (std::string_view path : {"/test$file.text", "/test%24file.text"}) {
    SignedRequest s = Sign("PUT", path, "", headers, payload_hash);
    EXPECT_EQ(s.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
        << path;
    EXPECT_NE(s.authorization.find(
                  "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"),
              std::string::npos);
  }
}

TEST(SignRequestTest, AwsGetBucketLifecycleExample) {
  SignedRequest s =
      Sign("GET", "/", "lifecycle", {{"Host", "examplebucket.s3.amazonaws.com"}}, kEmptySha256);
  EXPECT_EQ(s.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SignRequestTest, AwsListObjectsExampleInEitherQueryOrder) {
  for (std::string_view query : {"max-keys=2&prefix=J", "prefix=J&max-keys=2"}) {
    SignedRequest s =
        Sign("GET", "/", query, {{"Host", "examplebucket.s3.amazonaws.com"}}, kEmptySha256);
    EXPECT_EQ(s.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
        << query;
  }
}

// The generic SigV4 test suite (aws-sig-v4-test-suite, as shipped in aws-c-auth). Its service is
// "service", so no x-amz-content-sha256 header is added; the payload hash is of the body.
TEST(SignRequestTest, SuiteGetVanilla) {
  SignedRequest s = SignSuite("GET", "/", "", {});
  EXPECT_EQ(s.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SignRequestTest, SuitePostVanilla) {
  EXPECT_EQ(SignSuite("POST", "/", "", {}).signature,
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

TEST(SignRequestTest, SuiteGetVanillaQueryOrderKeyCase) {
  EXPECT_EQ(SignSuite("GET", "/", "Param2=value2&Param1=value1", {}).signature,
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(SignRequestTest, SuiteGetVanillaEmptyQueryKey) {
  EXPECT_EQ(SignSuite("GET", "/", "Param1=value1", {}).signature,
            "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb");
}

TEST(SignRequestTest, SuiteGetVanillaQueryUnreserved) {
  std::string_view unreserved =
      "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  EXPECT_EQ(
      SignSuite("GET", "/", std::string(unreserved) + "=" + std::string(unreserved), {}).signature,
      "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197");
}

TEST(SignRequestTest, SuiteGetUnreserved) {
  EXPECT_EQ(SignSuite("GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                      "", {})
                .signature,
            "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f");
}

TEST(SignRequestTest, SuiteGetSlashesUnnormalized) {
  // S3 signs the path as sent, like the suite's "unnormalized" variant.
  EXPECT_EQ(SignSuite("GET", "//example//", "", {}).signature,
            "87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5");
}

TEST(SignRequestTest, SuiteGetHeaderValueTrim) {
  SignedRequest s =
      SignSuite("GET", "/", "", {{"My-Header1", " value1"}, {"My-Header2", "\"a   b   c\""}});
  EXPECT_EQ(s.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;my-header1;my-header2;x-amz-date, "
            "Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");
}

TEST(SignRequestTest, SuiteGetHeaderKeyDuplicate) {
  EXPECT_EQ(
      SignSuite("GET", "/", "",
                {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}})
          .signature,
      "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea");
}

TEST(SignRequestTest, SuiteGetHeaderValueOrder) {
  EXPECT_EQ(SignSuite("GET", "/", "",
                      {{"My-Header1", "value4"},
                       {"My-Header1", "value1"},
                       {"My-Header1", "value3"},
                       {"My-Header1", "value2"}})
                .signature,
            "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01");
}

TEST(SignRequestTest, SuitePostXWwwFormUrlencoded) {
  SignedRequest s = SignSuite(
      "POST", "/", "", {{"Content-Type", "application/x-www-form-urlencoded"}}, "Param1=value1");
  EXPECT_EQ(s.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date, "
            "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
}

TEST(SignRequestTest, SuiteGetVanillaWithSessionToken) {
  Credentials credentials = kSuite;
  credentials.session_token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
  SignedRequest s = SignSuite("GET", "/", "", {}, "", credentials);
  EXPECT_EQ(s.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date;x-amz-security-token, "
            "Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8");
  EXPECT_EQ(s.added_headers.back(), Header("x-amz-security-token", credentials.session_token));
}

TEST(SignRequestTest, S3ExpressSessionTokenGoesInItsOwnHeader) {
  Credentials session = {"ASIASESSION", "session-secret", "session-token", true};
  SignedRequest s = Sign("GET", "/key", "", {{"Host", "b--usw2-az1--x-s3.example"}},
                         kUnsignedPayload, session, kS3Date, "us-west-2", "s3express");
  EXPECT_EQ(s.added_headers.back(), Header("x-amz-s3session-token", "session-token"));
  EXPECT_NE(s.authorization.find("/20130524/us-west-2/s3express/aws4_request, SignedHeaders=host;"
                                 "x-amz-content-sha256;x-amz-date;x-amz-s3session-token,"),
            std::string::npos)
      << s.authorization;
}

TEST(SignRequestTest, NeverSignsHopByHopOrAgentHeaders) {
  SignedRequest s = Sign("GET", "/k", "",
                         {{"Host", "h"},
                          {"User-Agent", "trainload/1"},
                          {"Connection", "keep-alive"},
                          {"Expect", "100-continue"},
                          {"Content-Type", "text/plain"}},
                         kEmptySha256);
  EXPECT_NE(
      s.authorization.find("SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date,"),
      std::string::npos)
      << s.authorization;
}

TEST(SignRequestTest, RejectsBadInput) {
  std::vector<Header> host = {{"Host", "h"}};
  auto sign = [&](SigningRequest request) { return SignRequest(request, kS3Example); };
  EXPECT_FALSE(sign({"GET", "/k", "", host, kEmptySha256, "2013-05-24", "us-east-1", "s3"}));
  EXPECT_FALSE(sign({"GET", "/k", "", {}, kEmptySha256, kS3Date, "us-east-1", "s3"}));
  EXPECT_FALSE(sign({"GET", "/%zz", "", host, kEmptySha256, kS3Date, "us-east-1", "s3"}));
  std::vector<Header> other_date = {{"Host", "h"}, {"X-Amz-Date", "20130524T000001Z"}};
  Result<SignedRequest> mismatch =
      sign({"GET", "/k", "", other_date, kEmptySha256, kS3Date, "us-east-1", "s3"});
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(mismatch.error().message().find("20130524T000001Z"), std::string::npos);
}

// "Authenticating Requests: Using Query Parameters": the presigned GET of test.txt.
TEST(PresignTest, AwsPresignedUrlExample) {
  std::vector<Header> headers = {{"Host", "examplebucket.s3.amazonaws.com"}};
  SigningRequest request{"GET", "/test.txt", "", headers, "", kS3Date, "us-east-1", "s3"};
  Result<std::string> query = Presign(request, kS3Example, 86400);
  ASSERT_TRUE(query.has_value()) << query.error().ToString();
  EXPECT_EQ(*query,
            "X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(PresignTest, KeepsTheCallersQueryAndAddsTheSessionToken) {
  std::vector<Header> headers = {{"Host", "examplebucket.s3.amazonaws.com"}};
  Credentials credentials = kS3Example;
  credentials.session_token = "tok/en+=";
  SigningRequest request{
      "PUT", "/test.txt", "partNumber=1&uploadId=abc", headers, "", kS3Date, "us-east-1", "s3"};
  Result<std::string> query = Presign(request, credentials, 3600);
  ASSERT_TRUE(query.has_value());
  EXPECT_TRUE(query->starts_with("partNumber=1&uploadId=abc&X-Amz-Algorithm=AWS4-HMAC-SHA256&"))
      << *query;
  EXPECT_NE(query->find("&X-Amz-Expires=3600&X-Amz-Security-Token=tok%2Fen%2B%3D&"
                        "X-Amz-SignedHeaders=host&X-Amz-Signature="),
            std::string::npos)
      << *query;

  credentials.s3express_session = true;
  query = Presign(request, credentials, 300);
  ASSERT_TRUE(query.has_value());
  EXPECT_NE(query->find("&X-Amz-S3session-Token=tok%2Fen%2B%3D&"), std::string::npos) << *query;
}

TEST(PresignTest, ExpiryMustBeOneSecondToOneWeek) {
  std::vector<Header> headers = {{"Host", "h"}};
  SigningRequest request{"GET", "/k", "", headers, "", kS3Date, "us-east-1", "s3"};
  EXPECT_TRUE(Presign(request, kS3Example, 1).has_value());
  EXPECT_TRUE(Presign(request, kS3Example, 604800).has_value());
  for (int64_t expires : {0, -1, 604801}) {
    Result<std::string> query = Presign(request, kS3Example, expires);
    ASSERT_FALSE(query.has_value()) << expires;
    EXPECT_EQ(query.error().code(), StatusCode::kInvalidArgument);
  }
}

// "Signature Calculations for the Authorization Header: Transferring Payload in Multiple Chunks":
// 66560 bytes of 'a' in chunks of 65536, 1024 and 0 bytes.
TEST(StreamingSignatureTest, AwsChunkedUploadExample) {
  std::vector<Header> headers = {{"Host", "s3.amazonaws.com"},
                                 {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                                 {"Content-Encoding", "aws-chunked"},
                                 {"Content-Length", "66824"},
                                 {"x-amz-decoded-content-length", "66560"}};
  SignedRequest s =
      Sign("PUT", "/examplebucket/chunkObject.txt", "", headers, kStreamingSignedPayload);
  EXPECT_EQ(s.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
            "x-amz-decoded-content-length;x-amz-storage-class, "
            "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");

  SigningScope scope{"20130524", "us-east-1", "s3"};
  std::string chunk1 = ChunkSignature(s.signing_key, kS3Date, scope, s.signature,
                                      Sha256Hex(std::string(65536, 'a')));
  EXPECT_EQ(chunk1, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648");
  std::string chunk2 =
      ChunkSignature(s.signing_key, kS3Date, scope, chunk1, Sha256Hex(std::string(1024, 'a')));
  EXPECT_EQ(chunk2, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497");
  std::string final_chunk = ChunkSignature(s.signing_key, kS3Date, scope, chunk2, kEmptySha256);
  EXPECT_EQ(final_chunk, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9");
}

// "Signature Calculations for the Authorization Header: Including Trailing Headers".
TEST(StreamingSignatureTest, AwsTrailerExample) {
  std::vector<Header> headers = {{"Host", "s3.amazonaws.com"},
                                 {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                                 {"Content-Encoding", "aws-chunked"},
                                 {"x-amz-decoded-content-length", "66560"},
                                 {"x-amz-trailer", "x-amz-checksum-crc32c"}};
  SignedRequest s =
      Sign("PUT", "/examplebucket/chunkObject.txt", "", headers, kStreamingSignedPayloadTrailer);
  EXPECT_EQ(s.signature, "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e");

  SigningScope scope{"20130524", "us-east-1", "s3"};
  std::string chunk1 = ChunkSignature(s.signing_key, kS3Date, scope, s.signature,
                                      Sha256Hex(std::string(65536, 'a')));
  EXPECT_EQ(chunk1, "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2");
  std::string chunk2 =
      ChunkSignature(s.signing_key, kS3Date, scope, chunk1, Sha256Hex(std::string(1024, 'a')));
  EXPECT_EQ(chunk2, "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7");
  std::string final_chunk = ChunkSignature(s.signing_key, kS3Date, scope, chunk2, kEmptySha256);
  EXPECT_EQ(final_chunk, "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992");
  EXPECT_EQ(TrailerSignature(s.signing_key, kS3Date, scope, final_chunk,
                             "x-amz-checksum-crc32c:sOO8/Q==\n"),
            "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435");
}

TEST(SignaturesEqualTest, ComparesWholeStrings) {
  EXPECT_TRUE(SignaturesEqual("abc", "abc"));
  EXPECT_FALSE(SignaturesEqual("abc", "abd"));
  EXPECT_FALSE(SignaturesEqual("abc", "ab"));
  EXPECT_FALSE(SignaturesEqual("", "a"));
  EXPECT_TRUE(SignaturesEqual("", ""));
}

TEST(SigningKeyCacheTest, ReturnsTheDerivedKey) {
  SigningKeyCache cache;
  SigningScope scope{"20130524", "us-east-1", "s3"};
  Sha256Bytes expected = DeriveSigningKey(kS3Example.secret_access_key, scope);
  EXPECT_EQ(cache.Get(kS3Example.secret_access_key, scope), expected);
  EXPECT_EQ(cache.Get(kS3Example.secret_access_key, scope), expected);
  EXPECT_EQ(cache.size(), 1u);
  // Any field of the tuple makes a different key.
  EXPECT_NE(cache.Get("other", scope), expected);
  EXPECT_NE(cache.Get(kS3Example.secret_access_key, {"20130525", "us-east-1", "s3"}), expected);
  EXPECT_NE(cache.Get(kS3Example.secret_access_key, {"20130524", "us-west-2", "s3"}), expected);
  EXPECT_NE(cache.Get(kS3Example.secret_access_key, {"20130524", "us-east-1", "s3express"}),
            expected);
  EXPECT_EQ(cache.size(), 5u);
}

TEST(SigningKeyCacheTest, FieldBoundariesDoNotCollide) {
  SigningKeyCache cache;
  Sha256Bytes a = cache.Get("ab", {"c", "d", "e"});
  Sha256Bytes b = cache.Get("a", {"bc", "d", "e"});
  EXPECT_EQ(a, DeriveSigningKey("ab", {"c", "d", "e"}));
  EXPECT_EQ(b, DeriveSigningKey("a", {"bc", "d", "e"}));
  EXPECT_EQ(cache.size(), 2u);
}

TEST(SigningKeyCacheTest, StaysWithinCapacityEvictingLeastRecentlyUsed) {
  SigningKeyCache cache(3);
  SigningScope scope{"20130524", "us-east-1", "s3"};
  cache.Get("s1", scope);
  cache.Get("s2", scope);
  cache.Get("s3", scope);
  cache.Get("s1", scope);  // s2 is now the least recently used
  cache.Get("s4", scope);
  EXPECT_EQ(cache.size(), 3u);
  for (std::string_view secret : {"s1", "s2", "s3", "s4"}) {
    EXPECT_EQ(cache.Get(secret, scope), DeriveSigningKey(secret, scope)) << secret;
    EXPECT_LE(cache.size(), 3u);
  }
}

TEST(SigningKeyCacheTest, ConcurrentUseGivesCorrectKeys) {
  SigningKeyCache cache(8);
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, &wrong, t] {
      for (int i = 0; i < 500; ++i) {
        std::string secret = "secret-" + std::to_string((i + t) % 12);
        SigningScope scope{"20130524", "us-east-1", "s3"};
        if (cache.Get(secret, scope) != DeriveSigningKey(secret, scope)) ++wrong;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(cache.size(), 8u);
}

// The GetObject example of the S3 API reference, step by step, through the appending and
// non-allocating forms the verifier uses: the canonical request and the string to sign share
// one buffer, and the string to sign is built from a view of that same buffer.
TEST(StringToSignTest, AppendFormsMatchThePublishedExample) {
  const SigningScope scope{"20130524", "us-east-1", "s3"};
  const std::string canonical =
      "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
      "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
      "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  const std::string expected_to_sign =
      "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
      "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972";
  EXPECT_EQ(StringToSign(kS3Date, scope, canonical), expected_to_sign);

  std::string buffer = canonical;
  buffer.shrink_to_fit();  // so that appending has to move the buffer the view points into
  AppendStringToSign(kS3Date, scope, buffer, buffer);
  EXPECT_EQ(buffer, canonical + expected_to_sign);

  const Sha256Bytes key = DeriveSigningKey(kS3Example.secret_access_key, scope);
  char hex[64];
  HexSignatureTo(key, expected_to_sign, hex);
  EXPECT_EQ(std::string_view(hex, sizeof hex),
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(HexSignature(key, expected_to_sign), std::string_view(hex, sizeof hex));
}

}  // namespace
}  // namespace trainload::s3
