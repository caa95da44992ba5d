#include "http/plain_response.h"

#include <gtest/gtest.h>

namespace trainload::http {
namespace {

ResponseHead Parse(std::string_view text) {
  auto head = ParseResponseHead(text);
  EXPECT_TRUE(head.has_value()) << head.error().ToString();
  EXPECT_TRUE(head.has_value() && head->has_value()) << "incomplete: " << text;
  return head.has_value() && head->has_value() ? std::move(**head) : ResponseHead{};
}

Status ParseError(std::string_view text) {
  auto head = ParseResponseHead(text);
  EXPECT_FALSE(head.has_value()) << text;
  return head.has_value() ? Status::Ok() : head.error();
}

TEST(ParseResponseHead, StatusHeadersAndLength) {
  std::string text =
      "HTTP/1.1 206 Partial Content\r\nContent-Length: 10\r\nETag:  \"abc\" \r\n"
      "x-amz-meta-Key: a: b\r\n\r\nBODY";
  ResponseHead head = Parse(text);
  EXPECT_EQ(head.status, 206);
  EXPECT_EQ(head.content_length, 10u);
  EXPECT_FALSE(head.chunked);
  EXPECT_TRUE(head.keep_alive);
  EXPECT_EQ(head.head_bytes, text.size() - 4);
  EXPECT_EQ(head.headers.Get("etag"), "\"abc\"");
  EXPECT_EQ(head.headers.Get("x-amz-meta-key"), "a: b");
}

TEST(ParseResponseHead, IncompleteUntilTheBlankLine) {
  for (std::string_view text : {"", "HTTP/1.1 200 OK", "HTTP/1.1 200 OK\r\n",
                                "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n",
                                "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r"}) {
    auto head = ParseResponseHead(text);
    ASSERT_TRUE(head.has_value()) << text;
    EXPECT_FALSE(head->has_value()) << text;
  }
}

TEST(ParseResponseHead, BareLineFeedsAndNoReason) {
  ResponseHead head = Parse("HTTP/1.1 204\nServer: x\n\n");
  EXPECT_EQ(head.status, 204);
  EXPECT_EQ(head.head_bytes, 24u);
  EXPECT_EQ(head.headers.Get("server"), "x");
}

TEST(ParseResponseHead, ChunkedWinsOverLength) {
  ResponseHead head =
      Parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: Chunked\r\n\r\n");
  EXPECT_TRUE(head.chunked);
  EXPECT_FALSE(head.content_length.has_value());
}

TEST(ParseResponseHead, ConnectionPersistence) {
  EXPECT_FALSE(Parse("HTTP/1.1 200 OK\r\nConnection: Close\r\n\r\n").keep_alive);
  EXPECT_FALSE(Parse("HTTP/1.1 200 OK\r\nConnection: upgrade, close\r\n\r\n").keep_alive);
  EXPECT_FALSE(Parse("HTTP/1.0 200 OK\r\n\r\n").keep_alive);
  EXPECT_TRUE(Parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n").keep_alive);
  EXPECT_TRUE(Parse("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\n").keep_alive);
}

TEST(ParseResponseHead, DuplicateEqualLengthsAreAccepted) {
  EXPECT_EQ(Parse("HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n")
                .content_length,
            7u);
}

TEST(ParseResponseHead, MalformedHeadsNameTheProblem) {
  struct Case {
    std::string_view text;
    std::string_view names;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"HTTP/2 200 OK\r\n\r\n", "status line"},
           {"HTTP/1.1 20 OK\r\n\r\n", "status line"},
           {"HTTP/1.1 2000 OK\r\n\r\n", "status line"},
           {"HTTP/1.1 abc OK\r\n\r\n", "status line"},
           {"ICY 200 OK\r\n\r\n", "status line"},
           {"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", "header line"},
           {"HTTP/1.1 200 OK\r\n: empty name\r\n\r\n", "header line"},
           {"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", "header line"},
           {"HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n", "folded"},
           {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Content-Length"},
           {"HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n", "Content-Length"},
           {"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", "Content-Length"},
           {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "Content-Length"},
           {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "Transfer-Encoding"},
       }) {
    Status error = ParseError(c.text);
    EXPECT_EQ(error.code(), StatusCode::kUnavailable) << c.text;
    EXPECT_NE(error.message().find(c.names), std::string::npos) << error.message();
  }
}

TEST(ResponseHasNoBody, ByMethodAndStatus) {
  EXPECT_TRUE(ResponseHasNoBody("HEAD", 200));
  EXPECT_TRUE(ResponseHasNoBody("GET", 204));
  EXPECT_TRUE(ResponseHasNoBody("GET", 304));
  EXPECT_TRUE(ResponseHasNoBody("GET", 100));
  EXPECT_FALSE(ResponseHasNoBody("GET", 200));
  EXPECT_FALSE(ResponseHasNoBody("DELETE", 404));
}

}  // namespace
}  // namespace trainload::http
