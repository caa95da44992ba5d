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

std::span<const std::byte> Bytes(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

// Feeds `wire` to a decoder in pieces of `piece` bytes; returns the decoded body, or the error.
Result<std::string> Decode(std::string_view wire, size_t piece, size_t* left = nullptr) {
  ChunkedDecoder decoder;
  std::string body;
  size_t pos = 0;
  for (int guard = 0; pos < wire.size() && !decoder.done() && guard < 100000; ++guard) {
    std::string_view in = wire.substr(pos, piece);
    // Every call makes progress on a non-empty input until the body is done.
    std::span<const std::byte> data;
    TL_ASSIGN_OR_RETURN(size_t used, decoder.Feed(Bytes(in), data));
    EXPECT_GT(used, 0u);
    body.append(reinterpret_cast<const char*>(data.data()), data.size());
    pos += used;
  }
  if (!decoder.done()) return Error(Unavailable("incomplete"));
  if (left != nullptr) *left = wire.size() - pos;
  return body;
}

TEST(ChunkedDecoder, DecodesInAnySplit) {
  const std::string wire =
      "5\r\nhello\r\n1A;name=value\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nx-trailer: 1\r\n\r\nNEXT";
  for (size_t piece : {1, 2, 3, 7, 16, 1000}) {
    size_t left = 0;
    auto body = Decode(wire, piece, &left);
    ASSERT_TRUE(body.has_value()) << piece << ": " << body.error().ToString();
    EXPECT_EQ(*body, "helloabcdefghijklmnopqrstuvwxyz") << piece;
    EXPECT_EQ(left, 4u) << "the bytes after the body are not consumed (piece " << piece << ")";
  }
}

TEST(ChunkedDecoder, EmptyBodyAndBareLineFeeds) {
  auto body = Decode("0\r\n\r\n", 100);
  ASSERT_TRUE(body.has_value());
  EXPECT_EQ(*body, "");
  body = Decode("3\nabc\n0\n\n", 4);
  ASSERT_TRUE(body.has_value()) << body.error().ToString();
  EXPECT_EQ(*body, "abc");
}

TEST(ChunkedDecoder, RejectsMalformedFraming) {
  for (std::string_view wire : {"zz\r\nab\r\n0\r\n\r\n", "\r\n", "3\r\nabcX\r\n0\r\n\r\n",
                                "-1\r\n", "4000000000000001\r\n"}) {
    auto body = Decode(wire, 1000);
    ASSERT_FALSE(body.has_value()) << wire;
    EXPECT_EQ(body.error().code(), StatusCode::kUnavailable);
    EXPECT_NE(body.error().message().find("malformed"), std::string::npos)
        << body.error().message();
  }
  std::string long_line(9000, 'a');
  auto body = Decode(long_line, 1000);
  ASSERT_FALSE(body.has_value());
  EXPECT_NE(body.error().message().find("8 KiB"), std::string::npos);
}

}  // namespace
}  // namespace trainload::http
