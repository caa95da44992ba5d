#include "server/route.h"

#include <gtest/gtest.h>

namespace trainload::server {
namespace {

const std::vector<std::string> kDomains = {"localhost", "s3.example.test"};

Route Resolve(std::string_view method, std::string_view path, std::string_view query = "",
              std::string_view host = "127.0.0.1:9000", bool copy = false) {
  auto r = ResolveRoute(method, path, query, host, kDomains, copy);
  EXPECT_TRUE(r.has_value()) << r.error().ToString();
  return r.value_or(Route{});
}

TEST(RouteTest, PathStyleBucketAndKeyAreDecoded) {
  Route r = Resolve("GET", "/bucket/dir/a%20b%2Bc%25d/%E2%82%AC");
  EXPECT_EQ(r.bucket, "bucket");
  EXPECT_EQ(r.key, "dir/a b+c%d/\xe2\x82\xac");
  EXPECT_EQ(r.operation, Operation::kGetObject);
  EXPECT_FALSE(r.virtual_hosted);
}

TEST(RouteTest, KeysKeepDotsAndDoubleSlashes) {
  Route r = Resolve("PUT", "/b/../x//y/./z");
  EXPECT_EQ(r.key, "../x//y/./z");
  EXPECT_EQ(r.operation, Operation::kPutObject);
}

TEST(RouteTest, PlusInPathIsLiteral) { EXPECT_EQ(Resolve("GET", "/b/a+b").key, "a+b"); }

TEST(RouteTest, VirtualHostedStyle) {
  Route r = Resolve("GET", "/some/key", "", "mybucket.localhost:9000");
  EXPECT_TRUE(r.virtual_hosted);
  EXPECT_EQ(r.bucket, "mybucket");
  EXPECT_EQ(r.key, "some/key");
  Route root = Resolve("GET", "/", "list-type=2", "my.dotted.bucket.s3.example.test");
  EXPECT_EQ(root.bucket, "my.dotted.bucket");
  EXPECT_EQ(root.operation, Operation::kListObjectsV2);
  EXPECT_EQ(Resolve("GET", "/", "", "localhost:9000").operation, Operation::kListBuckets);
}

TEST(RouteTest, BucketOperations) {
  EXPECT_EQ(Resolve("PUT", "/b").operation, Operation::kCreateBucket);
  EXPECT_EQ(Resolve("PUT", "/b/").operation, Operation::kCreateBucket);
  EXPECT_EQ(Resolve("DELETE", "/b").operation, Operation::kDeleteBucket);
  EXPECT_EQ(Resolve("HEAD", "/b").operation, Operation::kHeadBucket);
  EXPECT_EQ(Resolve("GET", "/b", "location").operation, Operation::kGetBucketLocation);
  EXPECT_EQ(Resolve("GET", "/b", "versioning").operation, Operation::kGetBucketVersioning);
  EXPECT_EQ(Resolve("GET", "/b", "versions&prefix=a").operation, Operation::kListObjectVersions);
  EXPECT_EQ(Resolve("GET", "/b", "uploads").operation, Operation::kListMultipartUploads);
  EXPECT_EQ(Resolve("GET", "/b", "list-type=2&prefix=x").operation, Operation::kListObjectsV2);
  EXPECT_EQ(Resolve("GET", "/b", "prefix=x&marker=y").operation, Operation::kListObjects);
  EXPECT_EQ(Resolve("POST", "/b", "delete").operation, Operation::kDeleteObjects);
  EXPECT_EQ(Resolve("GET", "/b", "policy").operation, Operation::kGetBucketSubresource);
  EXPECT_EQ(Resolve("GET", "/b", "session").operation, Operation::kCreateSession);
  EXPECT_EQ(Resolve("GET", "/").operation, Operation::kListBuckets);
}

TEST(RouteTest, ObjectAndMultipartOperations) {
  EXPECT_EQ(Resolve("HEAD", "/b/k").operation, Operation::kHeadObject);
  EXPECT_EQ(Resolve("DELETE", "/b/k").operation, Operation::kDeleteObject);
  EXPECT_EQ(Resolve("PUT", "/b/k", "", "h", true).operation, Operation::kCopyObject);
  EXPECT_EQ(Resolve("POST", "/b/k", "uploads").operation, Operation::kCreateMultipartUpload);
  EXPECT_EQ(Resolve("PUT", "/b/k", "partNumber=1&uploadId=u").operation, Operation::kUploadPart);
  EXPECT_EQ(Resolve("PUT", "/b/k", "partNumber=1&uploadId=u", "h", true).operation,
            Operation::kUploadPartCopy);
  EXPECT_EQ(Resolve("POST", "/b/k", "uploadId=u").operation, Operation::kCompleteMultipartUpload);
  EXPECT_EQ(Resolve("DELETE", "/b/k", "uploadId=u").operation, Operation::kAbortMultipartUpload);
  EXPECT_EQ(Resolve("GET", "/b/k", "uploadId=u").operation, Operation::kListParts);
  EXPECT_EQ(Resolve("PUT", "/b/k", "renameObject").operation, Operation::kRenameObject);
}

TEST(RouteTest, UnsupportedSubresourcesAreNamed) {
  Route r = Resolve("GET", "/b/k", "select&select-type=2");
  EXPECT_EQ(r.operation, Operation::kUnsupported);
  EXPECT_EQ(r.unsupported_what, "?select");
  EXPECT_EQ(Resolve("PATCH", "/b/k").operation, Operation::kUnsupported);
}

TEST(RouteTest, QueryParamsDecodeAndKeepValuelessNames) {
  auto q = QueryParams::Parse("prefix=a%2Fb+c&uploads&max-keys=5&empty=");
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->Get("prefix"), "a/b c");
  EXPECT_TRUE(q->Has("uploads"));
  EXPECT_EQ(q->Get("max-keys"), "5");
  EXPECT_EQ(q->Get("empty"), "");
  EXPECT_FALSE(q->Has("missing"));
}

TEST(RouteTest, QueryParamsSurviveCopiesAndMoves) {
  // Short and long, raw and decoded components; a copy and a move answer the same.
  auto parsed = QueryParams::Parse(
      "a=1&X-Amz-Credential=AKID%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&b=x+y&&c");
  ASSERT_TRUE(parsed.has_value());
  QueryParams copy = *parsed;
  QueryParams moved = std::move(*parsed);
  for (const QueryParams* q : {&copy, &moved}) {
    EXPECT_EQ(q->size(), 4u);
    EXPECT_EQ(q->Get("a"), "1");
    EXPECT_EQ(q->Get("X-Amz-Credential"), "AKID/20130524/us-east-1/s3/aws4_request");
    EXPECT_EQ(q->Get("b"), "x y");
    EXPECT_EQ(q->Get("c"), "");
  }
}

TEST(RouteTest, MalformedEscapesAreRejected) {
  auto r = ResolveRoute("GET", "/b/%zz", "", "h", kDomains, false);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().reason(), "InvalidArgument");
  auto q = ResolveRoute("GET", "/b", "prefix=%4", "h", kDomains, false);
  ASSERT_FALSE(q.has_value());
  EXPECT_EQ(q.error().reason(), "InvalidArgument");
  for (std::string_view bad : {"a=%", "a=%zz", "a=%%41", "%4=1", "a=1&b=x%2", "a=%g0"}) {
    EXPECT_FALSE(QueryParams::Parse(bad).has_value()) << bad;
  }
}

TEST(RouteTest, QueryComponentsAreDecodedInPlace) {
  auto q = QueryParams::Parse("k%20ey=%41%62+c%2b&plain=v&x=%E2%82%AC%");
  EXPECT_FALSE(q.has_value());  // the trailing '%' spoils the whole query
  q = QueryParams::Parse("k%20ey=%41%62+c%2b&plain=v&x=%E2%82%AC");
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->Get("k ey"), "Ab c+");
  EXPECT_EQ(q->Get("plain"), "v");
  EXPECT_EQ(q->Get("x"), "\xe2\x82\xac");
  QueryParams copy = *q;  // views stay valid in copies
  EXPECT_EQ(copy.Get("k ey"), "Ab c+");
}

}  // namespace
}  // namespace trainload::server
