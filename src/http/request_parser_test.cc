#include "http/request_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace trainload::http {
namespace {

using namespace std::string_literals;

constexpr size_t kLimit = 16 * 1024;

struct Parsed {
  HeadParse outcome;
  RequestHead head;
  Headers headers;
};

Parsed Parse(std::string_view input, size_t limit = kLimit) {
  Parsed p;
  p.outcome = ParseRequestHead(input, limit, p.head, p.headers);
  return p;
}

TEST(RequestParserTest, ParsesRequestLineFieldsAndHeadLength) {
  std::string input =
      "GET /bucket/a%20b?x=1&y HTTP/1.1\r\nHost: example.com:9000\r\nX-Amz-Date:  20240101T000000Z \r\n"
      "X-Empty:\r\n\r\nBODY";
  Parsed p = Parse(input);
  ASSERT_EQ(p.outcome, HeadParse::kComplete);
  EXPECT_EQ(p.head.method, "GET");
  EXPECT_EQ(p.head.target, "/bucket/a%20b?x=1&y");
  EXPECT_EQ(p.head.minor_version, 1);
  EXPECT_TRUE(p.head.keep_alive);
  EXPECT_FALSE(p.head.chunked);
  EXPECT_FALSE(p.head.content_length.has_value());
  EXPECT_EQ(p.head.head_bytes, input.size() - 4);
  ASSERT_EQ(p.headers.entries().size(), 3u);
  EXPECT_EQ(p.headers.entries()[0], Headers::Entry("host", "example.com:9000"));
  EXPECT_EQ(p.headers.entries()[1], Headers::Entry("x-amz-date", "20240101T000000Z"));
  EXPECT_EQ(p.headers.entries()[2], Headers::Entry("x-empty", ""));
}

TEST(RequestParserTest, EveryPrefixOfAValidHeadIsIncomplete) {
  std::string input =
      "PUT /b/k HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";
  for (size_t n = 0; n < input.size(); ++n) {
    EXPECT_EQ(Parse(input.substr(0, n)).outcome, HeadParse::kIncomplete) << n;
  }
  Parsed p = Parse(input);
  ASSERT_EQ(p.outcome, HeadParse::kComplete);
  EXPECT_EQ(p.head.content_length, 5u);
  EXPECT_TRUE(p.head.expect_continue);
  EXPECT_EQ(p.head.head_bytes, input.size());
}

TEST(RequestParserTest, ReusedHeadersAreClearedBetweenHeads) {
  RequestHead head;
  Headers headers;
  ASSERT_EQ(ParseRequestHead("GET /1 HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n", kLimit, head, headers),
            HeadParse::kComplete);
  ASSERT_EQ(ParseRequestHead("GET /2 HTTP/1.1\r\nC: 3\r\n\r\n", kLimit, head, headers),
            HeadParse::kComplete);
  ASSERT_EQ(headers.entries().size(), 1u);
  EXPECT_EQ(headers.Get("c"), "3");
  EXPECT_FALSE(headers.Has("a"));
}

TEST(RequestParserTest, PipelinedHeadsAreParsedOneAtATime) {
  std::string input = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n";
  Parsed first = Parse(input);
  ASSERT_EQ(first.outcome, HeadParse::kComplete);
  EXPECT_EQ(first.head.target, "/1");
  Parsed second = Parse(std::string_view(input).substr(first.head.head_bytes));
  ASSERT_EQ(second.outcome, HeadParse::kComplete);
  EXPECT_EQ(second.head.target, "/2");
}

TEST(RequestParserTest, KeepAliveFollowsVersionAndConnectionField) {
  EXPECT_TRUE(Parse("GET / HTTP/1.1\r\n\r\n").head.keep_alive);
  EXPECT_FALSE(Parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").head.keep_alive);
  EXPECT_FALSE(Parse("GET / HTTP/1.1\r\nConnection: Upgrade, CLOSE\r\n\r\n").head.keep_alive);
  EXPECT_FALSE(Parse("GET / HTTP/1.0\r\n\r\n").head.keep_alive);
  EXPECT_TRUE(Parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").head.keep_alive);
  EXPECT_EQ(Parse("GET / HTTP/1.0\r\n\r\n").head.minor_version, 0);
}

TEST(RequestParserTest, TransferEncodingChunked) {
  Parsed p = Parse("PUT /k HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n");
  ASSERT_EQ(p.outcome, HeadParse::kComplete);
  EXPECT_TRUE(p.head.chunked);
  EXPECT_FALSE(p.head.content_length.has_value());
  // Codings spread over two fields count as one list.
  p = Parse("PUT /k HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(p.outcome, HeadParse::kComplete);
  EXPECT_TRUE(p.head.chunked);
}

TEST(RequestParserTest, RepeatedEqualContentLengthIsAccepted) {
  Parsed p = Parse("PUT /k HTTP/1.1\r\nContent-Length: 7\r\ncontent-length: 7\r\n\r\n");
  ASSERT_EQ(p.outcome, HeadParse::kComplete);
  EXPECT_EQ(p.head.content_length, 7u);
  EXPECT_EQ(Parse("PUT /k HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n")
                .head.content_length,
            UINT64_MAX);
  EXPECT_EQ(Parse("PUT /k HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n").outcome,
            HeadParse::kMalformed);
}

TEST(RequestParserTest, MalformedHeadsAreRejected) {
  const std::vector<std::string> bad = {
      "THIS IS NOT HTTP\r\n\r\n",
      "GET / HTTP/9.9\r\n\r\n",
      "GET / HTTP/1.10\r\n\r\n",
      "GET / http/1.1\r\n\r\n",
      "GET /\r\n\r\n",
      "GET  / HTTP/1.1\r\n\r\n",
      " GET / HTTP/1.1\r\n\r\n",
      "G(T / HTTP/1.1\r\n\r\n",
      "GET /a\x01 HTTP/1.1\r\n\r\n",
      "\x00\x01\x02\x03\xff\xfe\r\n\r\n"s,
      "\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
      "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET / HTTP/1.1\nHost: x\n\n",
      "GET / HTTP/1.1\r\nHost: x\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\rY: 1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nno colon in this header\r\n\r\n",
      "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
      "GET / HTTP/1.1\r\n: x\r\n\r\n",
      "GET / HTTP/1.1\r\nX-A: 1\r\n  folded\r\n\r\n",
      "GET / HTTP/1.1\r\n Host: x\r\n\r\n",
      "GET / HTTP/1.1\r\nX-A: a\x00b\r\n\r\n"s,
      "GET / HTTP/1.1\r\nX-A: a\x7f\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
      "GET / HTTP/1.1\r\nContent-Length: 5 5\r\n\r\n",
      "GET / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n",
      "GET / HTTP/1.1\r\nContent-Length:\r\n\r\n",
      "GET / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n",
      "PUT /k HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
      "PUT /k HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "PUT /k HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
      "PUT /k HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
      "PUT /k HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
      "PUT /k HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
      "PUT /k HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
      "PUT /k HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n",
      "PUT /k HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
  };
  for (const std::string& input : bad) {
    EXPECT_EQ(Parse(input).outcome, HeadParse::kMalformed) << testing::PrintToString(input);
  }
}

TEST(RequestParserTest, MalformedLineIsReportedBeforeTheHeadEnds) {
  // A bad line is caught as soon as it is complete: the server answers instead of waiting.
  EXPECT_EQ(Parse("GET / HTTP/1.1\nHo").outcome, HeadParse::kMalformed);
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nbad line\r\nHost:").outcome, HeadParse::kMalformed);
}

TEST(RequestParserTest, HeadOverTheLimitIsTooLarge) {
  std::string head = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";  // 27 bytes
  EXPECT_EQ(Parse(head, head.size()).outcome, HeadParse::kComplete);
  EXPECT_EQ(Parse(head, head.size() - 1).outcome, HeadParse::kTooLarge);
  // Incomplete and already at the limit: it cannot end in time.
  EXPECT_EQ(Parse(head.substr(0, 20), 20).outcome, HeadParse::kTooLarge);
  EXPECT_EQ(Parse(head.substr(0, 20), 21).outcome, HeadParse::kIncomplete);
  std::string big = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n";
  EXPECT_EQ(Parse(big).outcome, HeadParse::kTooLarge);
  EXPECT_EQ(Parse(big.substr(0, kLimit + 100)).outcome, HeadParse::kTooLarge);
  std::string long_target = "GET /" + std::string(20 * 1024, 'u') + " HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(Parse(long_target).outcome, HeadParse::kTooLarge);
  // A fault inside the limit is malformed even when the rest is too long.
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nbad\r\n" + std::string(20000, 'x')).outcome,
            HeadParse::kMalformed);
}

// Runs `body` through a decoder in pieces of `piece` bytes with an output buffer of `out_size`.
struct Decoded {
  std::string data;
  bool done = false;
  size_t consumed = 0;
  std::optional<Status> error;
};

Decoded DecodeInPieces(std::string_view body, size_t piece, size_t out_size) {
  ChunkedDecoder decoder;
  Decoded result;
  std::string out(out_size, '\0');
  size_t pos = 0;
  while (pos < body.size() && !decoder.done()) {
    std::string_view input = body.substr(pos, piece);
    size_t used = 0;
    while (used < input.size() && !decoder.done()) {
      auto step = decoder.Decode(std::as_bytes(std::span(input.substr(used))),
                                 std::as_writable_bytes(std::span(out)));
      if (!step) {
        result.error = step.error();
        return result;
      }
      result.data.append(out.data(), step->produced);
      used += step->consumed;
      if (step->consumed == 0 && step->produced == 0) break;
    }
    pos += used;
  }
  result.done = decoder.done();
  result.consumed = pos;
  return result;
}

TEST(ChunkedDecoderTest, DecodesInAnySplitAndStopsAtTheEnd) {
  std::string body =
      "5\r\nhello\r\n1;ext=1\r\n \r\nA ; name=\"v\"\r\n0123456789\r\n0\r\n\r\nGET /next";
  for (size_t piece : {1, 2, 3, 7, 100}) {
    for (size_t out : {1, 4, 64}) {
      Decoded d = DecodeInPieces(body, piece, out);
      ASSERT_FALSE(d.error) << d.error->ToString();
      EXPECT_EQ(d.data, "hello 0123456789") << piece << "/" << out;
      EXPECT_TRUE(d.done);
      EXPECT_EQ(d.consumed, body.size() - 9) << piece << "/" << out;  // "GET /next" untouched
    }
  }
}

TEST(ChunkedDecoderTest, TrailersAreSkipped) {
  Decoded d = DecodeInPieces("3\r\nabc\r\n0\r\nx-amz-checksum-crc32: AAAAAA==\r\nX-B: 2\r\n\r\n", 5, 8);
  ASSERT_FALSE(d.error);
  EXPECT_EQ(d.data, "abc");
  EXPECT_TRUE(d.done);
}

TEST(ChunkedDecoderTest, IncompleteBodyIsNotDone) {
  Decoded d = DecodeInPieces("5\r\nhel", 100, 64);
  EXPECT_FALSE(d.error);
  EXPECT_EQ(d.data, "hel");
  EXPECT_FALSE(d.done);
}

TEST(ChunkedDecoderTest, MalformedFramingIsAnError) {
  const std::vector<std::string> bad = {
      "zz-not-hex\r\n\r\n",
      "10\r\n0123456789abcdef\r\nzz-not-hex\r\n\r\n",
      "\r\n",
      "5\nhello\r\n0\r\n\r\n",
      "5\r\nhelloX\r\n0\r\n\r\n",
      "5\r\nhello\r0\r\n\r\n",
      "11111111111111111\r\n",
      "5\r\nhello\r\n0\r\n: bad\r\n\r\n",
      "5\r\nhello\r\n0\r\nx: a\x01\r\n\r\n",
      "5;a\x01\r\nhello\r\n0\r\n\r\n",
      "5 x\r\nhello\r\n",
      "0\r\n\rX",
      "1;" + std::string(5000, 'e') + "\r\n",
  };
  for (const std::string& body : bad) {
    Decoded d = DecodeInPieces(body, 3, 16);
    ASSERT_TRUE(d.error.has_value()) << testing::PrintToString(body);
    EXPECT_EQ(d.error->code(), StatusCode::kInvalidArgument);
    EXPECT_NE(d.error->message().find("malformed chunked request body"), std::string::npos);
  }
}

TEST(ChunkedDecoderTest, DataBeforeAFaultIsDeliveredFirst) {
  ChunkedDecoder decoder;
  std::string body = "3\r\nabc\r\nzz\r\n";
  std::byte out[16];
  auto step = decoder.Decode(std::as_bytes(std::span(body)), out);
  ASSERT_TRUE(step.has_value());
  EXPECT_EQ(step->produced, 3u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(out), 3), "abc");
  auto next = decoder.Decode(std::as_bytes(std::span(body).subspan(step->consumed)), out);
  ASSERT_FALSE(next.has_value());
  EXPECT_NE(next.error().message().find("chunk size is not hexadecimal"), std::string::npos)
      << next.error().ToString();
  EXPECT_FALSE(decoder.Decode(std::as_bytes(std::span(body)), out).has_value());  // stays failed
}

TEST(ChunkedDecoderTest, LargeChunkSizeIsStreamed) {
  ChunkedDecoder decoder;
  std::string head = "ffffffffff\r\n";
  std::byte out[8];
  auto step = decoder.Decode(std::as_bytes(std::span(head)), out);
  ASSERT_TRUE(step.has_value());
  EXPECT_EQ(step->consumed, head.size());
  EXPECT_EQ(step->produced, 0u);
  std::string data(100, 'd');
  step = decoder.Decode(std::as_bytes(std::span(data)), out);
  ASSERT_TRUE(step.has_value());
  EXPECT_EQ(step->consumed, 8u);
  EXPECT_EQ(step->produced, 8u);
  EXPECT_FALSE(decoder.done());
}

}  // namespace
}  // namespace trainload::http
