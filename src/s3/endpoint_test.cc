#include "s3/endpoint.h"

#include <gtest/gtest.h>

#include <vector>

namespace trainload::s3 {
namespace {

Endpoint Parse(std::string_view url) {
  Result<Endpoint> endpoint = ParseEndpoint(url);
  EXPECT_TRUE(endpoint.has_value()) << url << ": " << endpoint.error().ToString();
  return endpoint.value_or(Endpoint{});
}

std::string ParseError(std::string_view url) {
  Result<Endpoint> endpoint = ParseEndpoint(url);
  if (endpoint.has_value()) {
    ADD_FAILURE() << url << " parsed as " << endpoint->ToString();
    return "";
  }
  EXPECT_EQ(endpoint.error().code(), StatusCode::kInvalidArgument) << url;
  return endpoint.error().message();
}

RequestTarget Target(const Endpoint& endpoint, Addressing addressing, std::string_view bucket,
                     std::string_view key, std::vector<QueryParam> params = {}) {
  Result<RequestTarget> target = BuildRequestTarget(endpoint, addressing, bucket, key, params);
  EXPECT_TRUE(target.has_value()) << target.error().ToString();
  return target.value_or(RequestTarget{});
}

TEST(EndpointTest, ParsesHostPortAndScheme) {
  Endpoint local = Parse("http://127.0.0.1:9000");
  EXPECT_EQ(local.scheme, "http");
  EXPECT_EQ(local.host, "127.0.0.1");
  EXPECT_EQ(local.port, 9000);
  EXPECT_TRUE(local.host_is_ip);
  EXPECT_EQ(local.base_path, "");
  EXPECT_EQ(local.authority(), "127.0.0.1:9000");
  EXPECT_EQ(local.ToString(), "http://127.0.0.1:9000");

  Endpoint aws = Parse("HTTPS://S3.US-West-2.AmazonAWS.com/");
  EXPECT_EQ(aws.scheme, "https");
  EXPECT_EQ(aws.host, "s3.us-west-2.amazonaws.com");
  EXPECT_EQ(aws.port, 0);
  EXPECT_EQ(aws.effective_port(), 443);
  EXPECT_FALSE(aws.host_is_ip);
  EXPECT_EQ(aws.ToString(), "https://s3.us-west-2.amazonaws.com");

  Endpoint service = Parse("http://minio_1:9000");
  EXPECT_EQ(service.host, "minio_1");
  EXPECT_FALSE(service.host_is_ip);
}

TEST(EndpointTest, DropsOnlyTheSchemesDefaultPort) {
  EXPECT_EQ(Parse("https://example.com:443").ToString(), "https://example.com");
  EXPECT_EQ(Parse("http://example.com:80").ToString(), "http://example.com");
  EXPECT_EQ(Parse("http://example.com").effective_port(), 80);
  Endpoint odd = Parse("http://example.com:443");
  EXPECT_EQ(odd.port, 443);
  EXPECT_EQ(odd.ToString(), "http://example.com:443");
}

TEST(EndpointTest, ParsesIpv6InBrackets) {
  Endpoint v6 = Parse("https://[2001:DB8::1]:8443/s3/");
  EXPECT_EQ(v6.host, "2001:db8::1");
  EXPECT_EQ(v6.port, 8443);
  EXPECT_TRUE(v6.host_is_ip);
  EXPECT_EQ(v6.base_path, "/s3");
  EXPECT_EQ(v6.authority(), "[2001:db8::1]:8443");
  EXPECT_EQ(v6.ToString(), "https://[2001:db8::1]:8443/s3");
  EXPECT_EQ(Parse("http://[::1]").authority(), "[::1]");
}

TEST(EndpointTest, BasePathIsStoredCanonical) {
  EXPECT_EQ(Parse("http://h:9000/a%20b/c%2dd/").base_path, "/a%20b/c-d");
  EXPECT_EQ(Parse("http://h:9000/s3").base_path, "/s3");
  EXPECT_EQ(Parse("http://h:9000//").base_path, "");
}

TEST(EndpointTest, RejectsMalformedUrlsWithReasons) {
  EXPECT_NE(ParseError("127.0.0.1:9000").find("write http://127.0.0.1:9000"), std::string::npos);
  EXPECT_NE(ParseError("ftp://h").find("'ftp' is not http or https"), std::string::npos);
  EXPECT_NE(ParseError("http://").find("has no host"), std::string::npos);
  EXPECT_NE(ParseError("http://:9000").find("has no host"), std::string::npos);
  for (std::string_view bad : {"http://h:0", "http://h:65536", "http://h:", "http://h:9x",
                               "http://h:+80", "http://h:99999999999"}) {
    EXPECT_NE(ParseError(bad).find("is not in 1..65535"), std::string::npos) << bad;
  }
  EXPECT_NE(ParseError("http://user:pw@h").find("user info"), std::string::npos);
  EXPECT_NE(ParseError("http://h/?x=1").find("query or fragment"), std::string::npos);
  EXPECT_NE(ParseError("http://h#top").find("query or fragment"), std::string::npos);
  EXPECT_NE(ParseError("http://::1:9000").find("in brackets"), std::string::npos);
  EXPECT_NE(ParseError("http://[::1").find("missing ']'"), std::string::npos);
  EXPECT_NE(ParseError("http://[zz::]:1").find("not an IPv6 address"), std::string::npos);
  EXPECT_NE(ParseError("http://[::1]x").find("after ']'"), std::string::npos);
  EXPECT_NE(ParseError("http://a..b").find("not a valid host name"), std::string::npos);
  EXPECT_NE(ParseError("http://h!/").find("not a valid host name"), std::string::npos);
  EXPECT_NE(ParseError(" http://h").find("whitespace"), std::string::npos);
  EXPECT_NE(ParseError("http://h/a b").find("whitespace"), std::string::npos);
  EXPECT_NE(ParseError("http://h/%zz").find("%-escape"), std::string::npos);
  EXPECT_EQ(ParseEndpoint("").error().code(), StatusCode::kInvalidArgument);
  // Messages quote the URL.
  EXPECT_NE(ParseError("http://h:0").find("'http://h:0'"), std::string::npos);
}

TEST(EndpointTest, DefaultAwsEndpointOfRegion) {
  EXPECT_EQ(DefaultAwsEndpoint("us-west-2")->ToString(), "https://s3.us-west-2.amazonaws.com");
  EXPECT_EQ(DefaultAwsEndpoint("us-east-1")->ToString(), "https://s3.us-east-1.amazonaws.com");
  EXPECT_EQ(DefaultAwsEndpoint("cn-north-1")->ToString(), "https://s3.cn-north-1.amazonaws.com.cn");
  for (std::string_view bad : {"", "US-WEST-2", "us west", "a/b", "-us", "evil.com#"}) {
    Result<Endpoint> endpoint = DefaultAwsEndpoint(bad);
    ASSERT_FALSE(endpoint.has_value()) << bad;
    EXPECT_EQ(endpoint.error().code(), StatusCode::kInvalidArgument);
  }
}

TEST(EndpointTest, RecognizesAwsEndpoints) {
  EXPECT_TRUE(IsAwsEndpoint(Parse("https://s3.us-west-2.amazonaws.com")));
  EXPECT_TRUE(IsAwsEndpoint(Parse("https://s3.cn-north-1.amazonaws.com.cn")));
  EXPECT_FALSE(IsAwsEndpoint(Parse("https://amazonaws.com.evil.example")));
  EXPECT_FALSE(IsAwsEndpoint(Parse("https://notamazonaws.com")));
  EXPECT_FALSE(IsAwsEndpoint(Parse("http://127.0.0.1:9000")));
}

TEST(EndpointTest, DnsCompatibleBucketNames) {
  EXPECT_TRUE(IsDnsCompatibleBucket("my-bucket-1", false));
  EXPECT_TRUE(IsDnsCompatibleBucket("abc", false));
  EXPECT_TRUE(IsDnsCompatibleBucket("my.bucket", true));
  EXPECT_FALSE(IsDnsCompatibleBucket("my.bucket", false));
  EXPECT_FALSE(IsDnsCompatibleBucket("ab", true));
  EXPECT_FALSE(IsDnsCompatibleBucket(std::string(64, 'a'), true));
  EXPECT_TRUE(IsDnsCompatibleBucket(std::string(63, 'a'), true));
  EXPECT_FALSE(IsDnsCompatibleBucket("My-Bucket", true));
  EXPECT_FALSE(IsDnsCompatibleBucket("my_bucket", true));
  EXPECT_FALSE(IsDnsCompatibleBucket("-bucket", true));
  EXPECT_FALSE(IsDnsCompatibleBucket("bucket-", true));
  EXPECT_FALSE(IsDnsCompatibleBucket("my..bucket", true));
  EXPECT_FALSE(IsDnsCompatibleBucket("my-.bucket", true));
  EXPECT_FALSE(IsDnsCompatibleBucket("my.-bucket", true));
  EXPECT_FALSE(IsDnsCompatibleBucket("192.168.1.1", true));
}

TEST(EndpointTest, AutoAddressingIsVirtualOnlyForAwsHttpsAndPlainNames) {
  Endpoint aws = Parse("https://s3.us-west-2.amazonaws.com");
  EXPECT_EQ(ChooseAddressing(aws, "my-bucket", Addressing::kAuto), Addressing::kVirtualHosted);
  EXPECT_EQ(ChooseAddressing(aws, "my.bucket", Addressing::kAuto), Addressing::kPath);
  EXPECT_EQ(ChooseAddressing(aws, "Legacy_Bucket", Addressing::kAuto), Addressing::kPath);
  EXPECT_EQ(ChooseAddressing(aws, "", Addressing::kAuto), Addressing::kPath);
  EXPECT_EQ(
      ChooseAddressing(Parse("http://s3.us-west-2.amazonaws.com"), "my-bucket", Addressing::kAuto),
      Addressing::kPath);
  for (std::string_view custom : {"https://minio.example.com", "http://127.0.0.1:9000",
                                  "http://localhost:9000", "https://[::1]:9000"}) {
    EXPECT_EQ(ChooseAddressing(Parse(custom), "my-bucket", Addressing::kAuto), Addressing::kPath)
        << custom;
  }
}

TEST(EndpointTest, ExplicitAddressing) {
  Endpoint custom = Parse("https://minio.example.com");
  EXPECT_EQ(ChooseAddressing(custom, "my-bucket", Addressing::kVirtualHosted),
            Addressing::kVirtualHosted);
  EXPECT_EQ(ChooseAddressing(custom, "my.bucket", Addressing::kVirtualHosted),
            Addressing::kVirtualHosted);
  EXPECT_EQ(
      ChooseAddressing(Parse("https://s3.us-west-2.amazonaws.com"), "my-bucket", Addressing::kPath),
      Addressing::kPath);
  EXPECT_EQ(ChooseAddressing(custom, "", Addressing::kVirtualHosted), Addressing::kPath);

  Result<Addressing> bad_name = ChooseAddressing(custom, "My_Bucket", Addressing::kVirtualHosted);
  ASSERT_FALSE(bad_name.has_value());
  EXPECT_EQ(bad_name.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_name.error().message().find("'My_Bucket'"), std::string::npos);
  for (std::string_view host :
       {"http://127.0.0.1:9000", "http://[::1]:9000", "http://localhost:9000"}) {
    Result<Addressing> bad_host =
        ChooseAddressing(Parse(host), "my-bucket", Addressing::kVirtualHosted);
    ASSERT_FALSE(bad_host.has_value()) << host;
    EXPECT_NE(bad_host.error().message().find("needs a DNS name endpoint"), std::string::npos);
  }
}

TEST(EndpointTest, PathStyleTargets) {
  Endpoint local = Parse("http://127.0.0.1:9000");
  RequestTarget object = Target(local, Addressing::kAuto, "data", "train/shard-0001.tar");
  EXPECT_EQ(object.url, "http://127.0.0.1:9000/data/train/shard-0001.tar");
  EXPECT_EQ(object.host_header, "127.0.0.1:9000");
  EXPECT_EQ(object.raw_path, "/data/train/shard-0001.tar");
  EXPECT_EQ(object.raw_query, "");

  EXPECT_EQ(Target(local, Addressing::kPath, "data", "").raw_path, "/data");
  EXPECT_EQ(Target(local, Addressing::kPath, "", "").raw_path, "/");
  EXPECT_EQ(Target(local, Addressing::kPath, "", "").url, "http://127.0.0.1:9000/");

  Endpoint v6 = Parse("http://[::1]:9000");
  EXPECT_EQ(Target(v6, Addressing::kAuto, "b", "k").url, "http://[::1]:9000/b/k");
  EXPECT_EQ(Target(v6, Addressing::kAuto, "b", "k").host_header, "[::1]:9000");

  Endpoint based = Parse("https://gateway.example.com/storage/s3/");
  EXPECT_EQ(Target(based, Addressing::kPath, "b", "k").url,
            "https://gateway.example.com/storage/s3/b/k");
  EXPECT_EQ(Target(based, Addressing::kPath, "b", "").raw_path, "/storage/s3/b");
  EXPECT_EQ(Target(based, Addressing::kPath, "", "").raw_path, "/storage/s3/");
}

TEST(EndpointTest, VirtualHostedTargets) {
  Endpoint aws = Parse("https://s3.us-west-2.amazonaws.com");
  RequestTarget object = Target(aws, Addressing::kAuto, "my-bucket", "dir/file.txt");
  EXPECT_EQ(object.url, "https://my-bucket.s3.us-west-2.amazonaws.com/dir/file.txt");
  EXPECT_EQ(object.host_header, "my-bucket.s3.us-west-2.amazonaws.com");
  EXPECT_EQ(object.raw_path, "/dir/file.txt");
  EXPECT_EQ(Target(aws, Addressing::kAuto, "my-bucket", "").raw_path, "/");
  // ListBuckets goes to the service host.
  EXPECT_EQ(Target(aws, Addressing::kAuto, "", "").url, "https://s3.us-west-2.amazonaws.com/");

  Endpoint custom = Parse("https://s3.example.com:8443");
  EXPECT_EQ(Target(custom, Addressing::kVirtualHosted, "b.c.d", "k").url,
            "https://b.c.d.s3.example.com:8443/k");
}

TEST(EndpointTest, KeysAreEncodedVerbatimNeverNormalized) {
  Endpoint local = Parse("http://127.0.0.1:9000");
  struct Case {
    std::string_view key;
    std::string_view raw_path;
  } cases[] = {
      {"a b", "/b/a%20b"},
      {"a+b", "/b/a%2Bb"},
      {"100%", "/b/100%25"},
      {"caf\xC3\xA9/\xE2\x82\xAC", "/b/caf%C3%A9/%E2%82%AC"},
      {"a//b", "/b/a//b"},
      {"../x", "/b/../x"},
      {"a/./b/../c", "/b/a/./b/../c"},
      {"/leading", "/b//leading"},
      {"trailing/", "/b/trailing/"},
      {"q?x#y&z=1", "/b/q%3Fx%23y%26z%3D1"},
      {"~tilde-._", "/b/~tilde-._"},
      {"semi;colon:at@", "/b/semi%3Bcolon%3Aat%40"},
  };
  for (const Case& c : cases) {
    RequestTarget target = Target(local, Addressing::kPath, "b", c.key);
    EXPECT_EQ(target.raw_path, c.raw_path) << c.key;
    EXPECT_EQ(target.url, "http://127.0.0.1:9000" + std::string(c.raw_path));
    // What is sent is what SigV4 signs (and what S3 recomputes from the wire).
    EXPECT_EQ(CanonicalUri(target.raw_path).value_or(""), target.raw_path) << c.key;
  }
}

TEST(EndpointTest, QueryIsTheCanonicalQuery) {
  Endpoint local = Parse("http://127.0.0.1:9000");
  RequestTarget list = Target(local, Addressing::kPath, "b", "",
                              {{"list-type", "2"},
                               {"prefix", "a b/c+\xC3\xA9"},
                               {"delimiter", "/"},
                               {"continuation-token", "x+y=="}});
  EXPECT_EQ(list.raw_query,
            "continuation-token=x%2By%3D%3D&delimiter=%2F&list-type=2&prefix=a%20b%2Fc%2B%C3%A9");
  EXPECT_EQ(list.url, "http://127.0.0.1:9000/b?" + list.raw_query);
  Result<std::vector<QueryParam>> reparsed = ParseQuery(list.raw_query);
  ASSERT_TRUE(reparsed.has_value());
  EXPECT_EQ(CanonicalQuery(*reparsed), list.raw_query);

  EXPECT_EQ(Target(local, Addressing::kPath, "b", "k", {{"uploads", ""}}).raw_query, "uploads=");
  EXPECT_EQ(Target(local, Addressing::kPath, "b", "k", {{"uploadId", "u"}, {"partNumber", "10"}})
                .raw_query,
            "partNumber=10&uploadId=u");
  // Same name: sorted by value.
  EXPECT_EQ(Target(local, Addressing::kPath, "b", "", {{"x", "b"}, {"x", "a"}}).raw_query,
            "x=a&x=b");
}

TEST(EndpointTest, RejectsImpossibleTargets) {
  Endpoint local = Parse("http://127.0.0.1:9000");
  Result<RequestTarget> no_bucket = BuildRequestTarget(local, Addressing::kPath, "", "k");
  ASSERT_FALSE(no_bucket.has_value());
  EXPECT_EQ(no_bucket.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(no_bucket.error().message().find("'k'"), std::string::npos);
  Result<RequestTarget> slash = BuildRequestTarget(local, Addressing::kPath, "a/b", "k");
  ASSERT_FALSE(slash.has_value());
  EXPECT_NE(slash.error().message().find("'a/b'"), std::string::npos);
  EXPECT_FALSE(BuildRequestTarget(local, Addressing::kVirtualHosted, "bucket", "k").has_value());
}

}  // namespace
}  // namespace trainload::s3
