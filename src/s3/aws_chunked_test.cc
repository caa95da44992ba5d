#include "s3/aws_chunked.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "common/digest.h"
#include "common/encoding.h"

namespace trainload::s3 {
namespace {

// The example of AWS's sigv4-streaming and sigv4-streaming-trailers pages: secret, date, scope.
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kAmzDate = "20130524T000000Z";
constexpr std::string_view kScope = "20130524/us-east-1/s3/aws4_request";

// sigv4-streaming: PUT of 66560 'a' as 64 KiB + 1 KiB + final chunk.
constexpr std::string_view kSeed =
    "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
constexpr std::string_view kSig1 =
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648";
constexpr std::string_view kSig2 =
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497";
constexpr std::string_view kSig3 =
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9";

// sigv4-streaming-trailers: the same data with an x-amz-checksum-crc32c trailer.
constexpr std::string_view kTrailerSeed =
    "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
constexpr std::string_view kTrailerSig1 =
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2";
constexpr std::string_view kTrailerSig2 =
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7";
constexpr std::string_view kTrailerSig3 =
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992";
constexpr std::string_view kTrailerSignature =
    "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435";

std::string ToHexString(const Sha256Bytes& bytes) {
  return HexEncode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

Sha256Bytes DocSigningKey() {
  Sha256Bytes key = HmacSha256("AWS4" + std::string(kSecret), "20130524");
  key = HmacSha256(key, "us-east-1");
  key = HmacSha256(key, "s3");
  return HmacSha256(key, "aws4_request");
}

// Chunk and trailer signatures exactly as the AWS pages define their strings to sign.
ChunkSigner DocSigner(std::string_view seed) {
  const Sha256Bytes key = DocSigningKey();
  ChunkSigner signer;
  signer.seed_signature = std::string(seed);
  signer.chunk_signature = [key](std::string_view previous, std::string_view chunk_hash) {
    const std::string to_sign = "AWS4-HMAC-SHA256-PAYLOAD\n" + std::string(kAmzDate) + "\n" +
                                std::string(kScope) + "\n" + std::string(previous) + "\n" +
                                Sha256Hex("") + "\n" + std::string(chunk_hash);
    return ToHexString(HmacSha256(key, to_sign));
  };
  signer.trailer_signature = [key](std::string_view previous, std::string_view trailers) {
    const std::string to_sign = "AWS4-HMAC-SHA256-TRAILER\n" + std::string(kAmzDate) + "\n" +
                                std::string(kScope) + "\n" + std::string(previous) + "\n" +
                                Sha256Hex(trailers);
    return ToHexString(HmacSha256(key, to_sign));
  };
  return signer;
}

std::string Hex(uint64_t n) {
  constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[n & 0xf]);
    n >>= 4;
  } while (n != 0);
  return out;
}

std::string SignedChunk(std::string_view data, std::string_view signature) {
  return Hex(data.size()) + ";chunk-signature=" + std::string(signature) + "\r\n" +
         std::string(data) + "\r\n";
}

std::string UnsignedChunk(std::string_view data) {
  return Hex(data.size()) + "\r\n" + std::string(data) + "\r\n";
}

const std::string& DocData() {
  static const std::string data(66560, 'a');
  return data;
}

// The signed example body, byte for byte as the AWS page lays it out (Content-Length 66824).
std::string DocSignedBody() {
  return SignedChunk(DocData().substr(0, 65536), kSig1) +
         SignedChunk(DocData().substr(65536), kSig2) + SignedChunk("", kSig3);
}

std::string DocSignedTrailerBody() {
  return SignedChunk(DocData().substr(0, 65536), kTrailerSig1) +
         SignedChunk(DocData().substr(65536), kTrailerSig2) +
         "0;chunk-signature=" + std::string(kTrailerSig3) +
         "\r\nx-amz-checksum-crc32c:sOO8/Q==\r\n" +
         "x-amz-trailer-signature:" + std::string(kTrailerSignature) + "\r\n\r\n";
}

std::string Crc32Base64(std::string_view data) {
  const uint32_t crc =
      crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()));
  const char raw[4] = {static_cast<char>(crc >> 24), static_cast<char>(crc >> 16),
                       static_cast<char>(crc >> 8), static_cast<char>(crc)};
  return Base64Encode(std::string_view(raw, 4));
}

// Payload of varied bytes, so a misplaced byte shows.
std::string Pattern(size_t n, uint32_t seed) {
  std::string out(n, '\0');
  std::mt19937 rng(seed);
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

// 8192 + 8192 + 100 bytes as botocore's AwsChunkedWrapper frames them, CRC32 trailer.
struct BotocoreBody {
  std::string data = Pattern(16484, 7);
  std::string wire = UnsignedChunk(std::string_view(data).substr(0, 8192)) +
                     UnsignedChunk(std::string_view(data).substr(8192, 8192)) +
                     UnsignedChunk(std::string_view(data).substr(16384)) +
                     "0\r\nx-amz-checksum-crc32:" + Crc32Base64(data) + "\r\n\r\n";
};

struct Config {
  ChunkedMode mode = ChunkedMode::kUnsignedWithTrailer;
  std::optional<ChunkSigner> signer;
  std::vector<std::string> declared;
  std::optional<uint64_t> length;
};

Config SignedConfig() { return {ChunkedMode::kSigned, DocSigner(kSeed), {}, 66560}; }
Config SignedTrailerConfig() {
  return {
      ChunkedMode::kSignedWithTrailer, DocSigner(kTrailerSeed), {"x-amz-checksum-crc32c"}, 66560};
}
Config UnsignedConfig(std::optional<uint64_t> length) {
  return {ChunkedMode::kUnsignedWithTrailer, std::nullopt, {"x-amz-checksum-crc32"}, length};
}

struct Outcome {
  std::string payload;
  Status status;  // the first error of Feed or Finish
  std::vector<std::pair<std::string, std::string>> trailers;
  bool pieces_point_into_wire = true;
};

// Feeds `wire` cut at `cuts` (ascending offsets), then finishes.
Outcome Decode(const Config& config, std::string_view wire, const std::vector<size_t>& cuts) {
  AwsChunkedDecoder decoder(config.mode, config.signer, config.declared, config.length);
  Outcome outcome;
  const auto sink = [&](std::span<const std::byte> piece) {
    const auto* begin = reinterpret_cast<const char*>(piece.data());
    if (!piece.empty() &&
        (begin < wire.data() || begin + piece.size() > wire.data() + wire.size())) {
      outcome.pieces_point_into_wire = false;
    }
    outcome.payload.append(begin, piece.size());
    return Status::Ok();
  };
  size_t start = 0;
  for (size_t i = 0; i <= cuts.size() && outcome.status.ok(); ++i) {
    const size_t end = i < cuts.size() ? cuts[i] : wire.size();
    outcome.status = decoder.Feed(wire.substr(start, end - start), sink);
    start = end;
  }
  if (outcome.status.ok()) outcome.status = decoder.Finish();
  outcome.trailers = decoder.trailers();
  if (outcome.status.ok()) {
    EXPECT_EQ(decoder.decoded_bytes(), outcome.payload.size());
  }
  return outcome;
}

Outcome DecodeWhole(const Config& config, std::string_view wire) {
  return Decode(config, wire, {});
}

Outcome DecodeByteByByte(const Config& config, std::string_view wire) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < wire.size(); ++i) cuts.push_back(i);
  return Decode(config, wire, cuts);
}

std::vector<size_t> RandomCuts(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<size_t> cuts;
  for (size_t at = 0;;) {
    at += 1 + rng() % 5000;
    if (at >= size) return cuts;
    cuts.push_back(at);
  }
}

std::string Flip(std::string text, size_t at) {
  text[at] = static_cast<char>(text[at] ^ 0x01);
  return text;
}

TEST(ChunkedModeTest, FromPayloadHash) {
  EXPECT_EQ(ChunkedModeFromPayloadHash("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), ChunkedMode::kSigned);
  EXPECT_EQ(ChunkedModeFromPayloadHash("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"),
            ChunkedMode::kSignedWithTrailer);
  EXPECT_EQ(ChunkedModeFromPayloadHash("STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
            ChunkedMode::kUnsignedWithTrailer);
  EXPECT_EQ(ChunkedModeFromPayloadHash("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"), std::nullopt);
  EXPECT_EQ(ChunkedModeFromPayloadHash("UNSIGNED-PAYLOAD"), std::nullopt);
  EXPECT_EQ(ChunkedModeFromPayloadHash("streaming-unsigned-payload-trailer"), std::nullopt);
  EXPECT_EQ(PayloadHashOf(ChunkedMode::kSignedWithTrailer),
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER");
}

// The test's signer reproduces every signature the AWS pages publish, so the decoder below is
// checked against AWS's numbers, not against itself.
TEST(AwsChunkedTest, TestSignerReproducesPublishedSignatures) {
  const ChunkSigner signer = DocSigner(kSeed);
  const std::string sig1 = signer.chunk_signature(kSeed, Sha256Hex(DocData().substr(0, 65536)));
  EXPECT_EQ(sig1, kSig1);
  const std::string sig2 = signer.chunk_signature(sig1, Sha256Hex(DocData().substr(65536)));
  EXPECT_EQ(sig2, kSig2);
  EXPECT_EQ(signer.chunk_signature(sig2, Sha256Hex("")), kSig3);

  EXPECT_EQ(signer.chunk_signature(kTrailerSeed, Sha256Hex(DocData().substr(0, 65536))),
            kTrailerSig1);
  EXPECT_EQ(signer.chunk_signature(kTrailerSig1, Sha256Hex(DocData().substr(65536))), kTrailerSig2);
  EXPECT_EQ(signer.chunk_signature(kTrailerSig2, Sha256Hex("")), kTrailerSig3);
  EXPECT_EQ(signer.trailer_signature(kTrailerSig3, "x-amz-checksum-crc32c:sOO8/Q==\n"),
            kTrailerSignature);
}

TEST(AwsChunkedTest, DecodesAwsSignedExample) {
  const std::string wire = DocSignedBody();
  ASSERT_EQ(wire.size(), 66824u);  // the example's Content-Length
  const Outcome outcome = DecodeWhole(SignedConfig(), wire);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.ToString();
  EXPECT_EQ(outcome.payload, DocData());
  EXPECT_TRUE(outcome.trailers.empty());
  EXPECT_TRUE(outcome.pieces_point_into_wire);
}

TEST(AwsChunkedTest, AwsSignedExampleSplitAnywhereGivesSameResult) {
  const std::string wire = DocSignedBody();
  const Outcome bytewise = DecodeByteByByte(SignedConfig(), wire);
  ASSERT_TRUE(bytewise.status.ok()) << bytewise.status.ToString();
  EXPECT_EQ(bytewise.payload, DocData());
  EXPECT_TRUE(bytewise.pieces_point_into_wire);

  // Every split point around the framing (hashing 66 KB per run makes all 66824 too slow).
  std::vector<size_t> points;
  const size_t chunk2 = wire.find("\r\n400;") + 2;
  const size_t final_chunk = wire.find("\r\n0;") + 2;
  for (size_t i = 1; i < 200; ++i) points.push_back(i);
  for (size_t i = chunk2 - 100; i < chunk2 + 200; ++i) points.push_back(i);
  for (size_t i = final_chunk - 100; i < wire.size(); ++i) points.push_back(i);
  for (size_t cut : points) {
    const Outcome outcome = Decode(SignedConfig(), wire, {cut});
    ASSERT_TRUE(outcome.status.ok()) << "cut at " << cut << ": " << outcome.status.ToString();
    ASSERT_EQ(outcome.payload, DocData()) << "cut at " << cut;
  }
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    const Outcome outcome = Decode(SignedConfig(), wire, RandomCuts(wire.size(), seed));
    ASSERT_TRUE(outcome.status.ok()) << "seed " << seed << ": " << outcome.status.ToString();
    ASSERT_EQ(outcome.payload, DocData());
  }
}

TEST(AwsChunkedTest, DecodesAwsSignedTrailerExample) {
  const std::string wire = DocSignedTrailerBody();
  for (const Outcome& outcome :
       {DecodeWhole(SignedTrailerConfig(), wire), DecodeByteByByte(SignedTrailerConfig(), wire)}) {
    ASSERT_TRUE(outcome.status.ok()) << outcome.status.ToString();
    EXPECT_EQ(outcome.payload, DocData());
    ASSERT_EQ(outcome.trailers.size(), 1u);
    EXPECT_EQ(outcome.trailers[0].first, "x-amz-checksum-crc32c");
    EXPECT_EQ(outcome.trailers[0].second, "sOO8/Q==");
  }
}

TEST(AwsChunkedTest, SignedTrailerToleratesBlankLineBeforeTrailersAndMissingLastCrlf) {
  std::string wire = DocSignedTrailerBody();
  const size_t trailer = wire.find("x-amz-checksum-crc32c:");
  std::string blank_first = wire;
  blank_first.insert(trailer, "\r\n");
  EXPECT_TRUE(DecodeWhole(SignedTrailerConfig(), blank_first).status.ok());
  EXPECT_TRUE(DecodeByteByByte(SignedTrailerConfig(), blank_first).status.ok());

  wire.resize(wire.size() - 2);
  const Outcome outcome = DecodeWhole(SignedTrailerConfig(), wire);
  EXPECT_TRUE(outcome.status.ok()) << outcome.status.ToString();
  EXPECT_EQ(outcome.trailers.size(), 1u);
}

TEST(AwsChunkedTest, DecodesBotocoreUnsignedTrailerAtEverySplitPoint) {
  const BotocoreBody body;
  const Config config = UnsignedConfig(body.data.size());
  const Outcome whole = DecodeWhole(config, body.wire);
  ASSERT_TRUE(whole.status.ok()) << whole.status.ToString();
  EXPECT_EQ(whole.payload, body.data);
  ASSERT_EQ(whole.trailers.size(), 1u);
  EXPECT_EQ(whole.trailers[0].first, "x-amz-checksum-crc32");
  EXPECT_EQ(whole.trailers[0].second, Crc32Base64(body.data));

  for (size_t cut = 1; cut < body.wire.size(); ++cut) {
    const Outcome outcome = Decode(config, body.wire, {cut});
    ASSERT_TRUE(outcome.status.ok()) << "cut at " << cut << ": " << outcome.status.ToString();
    ASSERT_EQ(outcome.payload, body.data) << "cut at " << cut;
    ASSERT_EQ(outcome.trailers, whole.trailers) << "cut at " << cut;
    ASSERT_TRUE(outcome.pieces_point_into_wire);
  }
  const Outcome bytewise = DecodeByteByByte(config, body.wire);
  EXPECT_TRUE(bytewise.status.ok());
  EXPECT_EQ(bytewise.payload, body.data);
  EXPECT_EQ(bytewise.trailers, whole.trailers);
}

TEST(AwsChunkedTest, DecodesBotocoreSmallAndEmptyBodies) {
  const Outcome small =
      DecodeWhole(UnsignedConfig(26),
                  "1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nx-amz-checksum-crc32:TNzpCw==\r\n\r\n");
  ASSERT_TRUE(small.status.ok()) << small.status.ToString();
  EXPECT_EQ(small.payload, "abcdefghijklmnopqrstuvwxyz");
  EXPECT_EQ(small.trailers.at(0).second, "TNzpCw==");

  const Outcome empty =
      DecodeWhole(UnsignedConfig(0), "0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n");
  ASSERT_TRUE(empty.status.ok()) << empty.status.ToString();
  EXPECT_EQ(empty.payload, "");
  EXPECT_EQ(empty.trailers.at(0).second, "AAAAAA==");

  // No trailer declared and none sent: "0\r\n\r\n" ends the body.
  const Outcome bare = DecodeWhole({ChunkedMode::kUnsignedWithTrailer, std::nullopt, {}, 5},
                                   "5\r\nhello\r\n0\r\n\r\n");
  ASSERT_TRUE(bare.status.ok()) << bare.status.ToString();
  EXPECT_EQ(bare.payload, "hello");
}

TEST(AwsChunkedTest, UnsignedToleratesExtensionsWhitespaceCaseAndMissingLastCrlf) {
  const Config config = {
      ChunkedMode::kUnsignedWithTrailer, std::nullopt, {"X-Amz-Checksum-CRC32"}, 5};
  const Outcome outcome = DecodeWhole(config,
                                      "5;name=value;chunk-signature=ignored\r\nhello\r\n0 \r\n"
                                      "X-Amz-Checksum-Crc32: \tNhCmhg== \r\n");
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.ToString();
  EXPECT_EQ(outcome.payload, "hello");
  ASSERT_EQ(outcome.trailers.size(), 1u);
  EXPECT_EQ(outcome.trailers[0].first, "x-amz-checksum-crc32");
  EXPECT_EQ(outcome.trailers[0].second, "NhCmhg==");

  const std::string big(0x2A0F, 'x');
  const Outcome upper =
      DecodeWhole({ChunkedMode::kUnsignedWithTrailer, std::nullopt, {}, big.size()},
                  "2A0F\r\n" + big + "\r\n0\r\n\r\n");
  ASSERT_TRUE(upper.status.ok()) << upper.status.ToString();
  EXPECT_EQ(upper.payload, big);
}

TEST(AwsChunkedTest, SignedBodyMayOmitFinalBlankLine) {
  std::string wire = DocSignedBody();
  wire.resize(wire.size() - 2);
  EXPECT_TRUE(DecodeWhole(SignedConfig(), wire).status.ok());
}

TEST(AwsChunkedTest, FlippedDataByteFailsThatChunksSignature) {
  const std::string wire = DocSignedBody();
  const size_t in_chunk2 = wire.find("\r\n400;") + 2 + 90 + 500;
  const Outcome outcome = DecodeWhole(SignedConfig(), Flip(wire, in_chunk2));
  EXPECT_EQ(outcome.status.reason(), "SignatureDoesNotMatch");
  EXPECT_EQ(outcome.status.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(outcome.status.message().find("chunk 2 (1024 bytes)"), std::string::npos)
      << outcome.status.message();
  // The bytes of chunk 2 went to the sink before its signature could be checked.
  EXPECT_EQ(outcome.payload.size(), 66560u);
}

TEST(AwsChunkedTest, FlippedSignatureCharacterFails) {
  const std::string wire = DocSignedBody();
  for (const auto& [signature, chunk] :
       {std::pair{kSig1, "chunk 1 "}, std::pair{kSig2, "chunk 2 "}, std::pair{kSig3, "chunk 3 "}}) {
    const Outcome outcome = DecodeWhole(SignedConfig(), Flip(wire, wire.find(signature) + 10));
    EXPECT_EQ(outcome.status.reason(), "SignatureDoesNotMatch") << chunk;
    EXPECT_NE(outcome.status.message().find(chunk), std::string::npos) << outcome.status.message();
  }
}

TEST(AwsChunkedTest, WrongChunkLengthFails) {
  const std::string wire = DocSignedBody();
  // One byte too long swallows the CR: the data hash no longer matches.
  std::string longer = wire;
  longer.replace(0, 5, "10001");
  EXPECT_EQ(DecodeWhole(SignedConfig(), longer).status.reason(), "SignatureDoesNotMatch");

  // Unsigned framing has no signature to catch it; the missing CRLF does.
  const Outcome unsigned_longer = DecodeWhole(UnsignedConfig(6), "6\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(unsigned_longer.status.reason(), "IncompleteBody");
  EXPECT_NE(unsigned_longer.status.message().find(
                "chunk 1 declares 6 bytes but they are followed by \"\\x0a\" at byte 9"),
            std::string::npos)
      << unsigned_longer.status.message();
  const Outcome unsigned_shorter = DecodeWhole(UnsignedConfig(4), "4\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(unsigned_shorter.status.reason(), "IncompleteBody");
  EXPECT_NE(unsigned_shorter.status.message().find("\"o\""), std::string::npos)
      << unsigned_shorter.status.message();
}

TEST(AwsChunkedTest, TruncatedBodyIsIncomplete) {
  const std::string wire = DocSignedBody();
  for (size_t keep : {size_t{0}, size_t{3}, size_t{90}, size_t{40000}, size_t{65626}, size_t{65627},
                      wire.size() - 100, wire.size() - 3}) {
    const Outcome outcome = DecodeWhole(SignedConfig(), std::string_view(wire).substr(0, keep));
    EXPECT_EQ(outcome.status.reason(), "IncompleteBody") << "kept " << keep;
  }

  // Every truncation of an unsigned body fails, except before the optional final CRLF.
  const BotocoreBody body;
  const Config config = UnsignedConfig(body.data.size());
  for (size_t keep = 0; keep < body.wire.size(); ++keep) {
    const Outcome outcome = DecodeWhole(config, std::string_view(body.wire).substr(0, keep));
    if (keep == body.wire.size() - 2) {
      EXPECT_TRUE(outcome.status.ok()) << outcome.status.ToString();
    } else {
      ASSERT_FALSE(outcome.status.ok()) << "kept " << keep;
      const std::string& reason = outcome.status.reason();
      // Cut right after "0\r\n" the framing is complete but the declared trailer is missing.
      ASSERT_TRUE(reason == "IncompleteBody" || reason == "MalformedTrailerError")
          << "kept " << keep << ": " << outcome.status.ToString();
    }
  }
}

TEST(AwsChunkedTest, MalformedFramingNamesTheProblem) {
  struct Case {
    std::string wire;
    std::string_view expect_in_message;
  };
  const std::vector<Case> cases = {
      {"zz\r\nhello\r\n0\r\n\r\n", "chunk size \"zz\" is not a hexadecimal"},
      {"\r\nhello\r\n0\r\n\r\n", "chunk size \"\" is not a hexadecimal"},
      {"5\nhello\r\n0\r\n\r\n", "ends in a bare LF"},
      {"5\r\nhelloXX0\r\n\r\n", "followed by \"X\" at byte 8"},
      {"5\r\nhello\r\n0\r\n\r\nextra", "unexpected bytes \"extra\" at byte 15"},
      {"11111111111111111\r\n", "1 to 16 digits"},
      {"5\r\nhello\r\n0\r\n\r\n\r\n", "unexpected bytes \"\\x0d\\x0a\""},
  };
  for (const Case& c : cases) {
    const Outcome outcome =
        DecodeWhole({ChunkedMode::kUnsignedWithTrailer, std::nullopt, {}, 5}, c.wire);
    EXPECT_EQ(outcome.status.reason(), "IncompleteBody") << c.wire;
    EXPECT_NE(outcome.status.message().find(c.expect_in_message), std::string::npos)
        << outcome.status.message();
  }
}

TEST(AwsChunkedTest, OversizeHeaderLineIsRejectedWithoutBufferingIt) {
  const std::string wire = "5;" + std::string(10000, 'x') + "\r\nhello\r\n0\r\n\r\n";
  AwsChunkedDecoder decoder(ChunkedMode::kUnsignedWithTrailer, std::nullopt, {}, std::nullopt);
  Status status;
  size_t fed = 0;
  for (; fed < wire.size() && status.ok(); ++fed) {
    status = decoder.Feed(std::string_view(wire).substr(fed, 1),
                          [](std::span<const std::byte>) { return Status::Ok(); });
  }
  EXPECT_EQ(status.reason(), "IncompleteBody");
  EXPECT_NE(status.message().find("longer than 4096 bytes"), std::string::npos) << status.message();
  EXPECT_EQ(fed, AwsChunkedDecoder::kMaxLineBytes + 2);
  // The error sticks.
  EXPECT_EQ(decoder.Finish(), status);
}

TEST(AwsChunkedTest, SignedChunkWithoutSignatureIsRejected) {
  const Outcome outcome = DecodeWhole(SignedConfig(), "10000\r\n" + std::string(65536, 'a'));
  EXPECT_EQ(outcome.status.reason(), "IncompleteBody");
  EXPECT_NE(outcome.status.message().find("no chunk-signature"), std::string::npos);
}

TEST(AwsChunkedTest, DecodedLengthMustMatch) {
  Config longer = SignedConfig();
  longer.length = 66561;
  const Outcome short_body = DecodeWhole(longer, DocSignedBody());
  EXPECT_EQ(short_body.status.reason(), "IncompleteBody");
  EXPECT_NE(short_body.status.message().find(
                "the payload is 66560 bytes but x-amz-decoded-content-length is 66561"),
            std::string::npos)
      << short_body.status.message();

  Config shorter = SignedConfig();
  shorter.length = 66559;
  const Outcome long_body = DecodeWhole(shorter, DocSignedBody());
  EXPECT_EQ(long_body.status.reason(), "IncompleteBody");
  EXPECT_NE(long_body.status.message().find("chunk 2 header"), std::string::npos)
      << long_body.status.message();
  EXPECT_EQ(long_body.payload.size(), 65536u);  // stopped before chunk 2's data
}

TEST(AwsChunkedTest, ShortChunkBeforeAnotherIsInvalidChunkSize) {
  const std::string wire = UnsignedChunk(std::string(8191, 'a')) + UnsignedChunk("b") + "0\r\n\r\n";
  const Outcome outcome =
      DecodeWhole({ChunkedMode::kUnsignedWithTrailer, std::nullopt, {}, 8192}, wire);
  EXPECT_EQ(outcome.status.reason(), "InvalidChunkSizeError");
  EXPECT_EQ(outcome.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(outcome.status.message().find("chunk 1 has 8191 bytes"), std::string::npos)
      << outcome.status.message();
}

TEST(AwsChunkedTest, TrailerErrors) {
  const Config config = UnsignedConfig(5);
  struct Case {
    std::string trailers;
    std::string_view reason;
    std::string_view expect_in_message;
  };
  const std::vector<Case> cases = {
      {"\r\n", "MalformedTrailerError", "x-amz-checksum-crc32, declared in x-amz-trailer, did not"},
      {"", "MalformedTrailerError", "did not arrive"},
      {"x-amz-checksum-sha256:abc=\r\n\r\n", "MalformedTrailerError",
       "x-amz-checksum-sha256 is not declared in x-amz-trailer (declared: x-amz-checksum-crc32)"},
      {"x-amz-checksum-crc32:AAAAAA==\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n",
       "MalformedTrailerError", "appears twice"},
      {"x-amz-checksum-crc32 AAAAAA==\r\n\r\n", "MalformedTrailerError", "no ':'"},
      {"x amz:1\r\n\r\n", "MalformedTrailerError", "is not a header name"},
      {"x-amz-checksum-crc32:AA\x01\r\n\r\n", "MalformedTrailerError", "control character"},
      {"x-amz-checksum-crc32:AAAAAA==\r\nx-amz-trailer-signature:00\r\n\r\n",
       "MalformedTrailerError", "a trailer signature in a STREAMING-UNSIGNED-PAYLOAD-TRAILER body"},
      {"x-amz-checksum-crc32:AAAA", "IncompleteBody", "ended inside trailer line"},
  };
  for (const Case& c : cases) {
    const Outcome outcome = DecodeWhole(config, "5\r\nhello\r\n0\r\n" + c.trailers);
    EXPECT_EQ(outcome.status.reason(), c.reason) << c.trailers;
    EXPECT_NE(outcome.status.message().find(c.expect_in_message), std::string::npos)
        << outcome.status.message();
  }
}

TEST(AwsChunkedTest, SignedTrailerTamperingFails) {
  const std::string wire = DocSignedTrailerBody();
  const Outcome changed_value =
      DecodeWhole(SignedTrailerConfig(), Flip(wire, wire.find("sOO8/Q==") + 2));
  EXPECT_EQ(changed_value.status.reason(), "SignatureDoesNotMatch");
  EXPECT_NE(changed_value.status.message().find("trailer signature does not match"),
            std::string::npos);

  const Outcome changed_signature =
      DecodeWhole(SignedTrailerConfig(), Flip(wire, wire.find(kTrailerSignature) + 63));
  EXPECT_EQ(changed_signature.status.reason(), "SignatureDoesNotMatch");

  std::string no_signature = wire.substr(0, wire.find("x-amz-trailer-signature")) + "\r\n";
  const Outcome unsigned_trailer = DecodeWhole(SignedTrailerConfig(), no_signature);
  EXPECT_EQ(unsigned_trailer.status.reason(), "SignatureDoesNotMatch");
  EXPECT_NE(unsigned_trailer.status.message().find("without x-amz-trailer-signature"),
            std::string::npos);

  std::string after_signature = wire;
  after_signature.insert(after_signature.size() - 2, "x-amz-meta-late:1\r\n");
  const Outcome late = DecodeWhole(SignedTrailerConfig(), after_signature);
  EXPECT_EQ(late.status.reason(), "MalformedTrailerError");
  EXPECT_NE(late.status.message().find("nothing may follow"), std::string::npos);
}

TEST(AwsChunkedTest, SignedModeRejectsTrailerLines) {
  std::string wire = DocSignedBody();
  wire.insert(wire.size() - 2, "x-amz-checksum-crc32:AAAAAA==\r\n");
  const Outcome outcome = DecodeWhole(SignedConfig(), wire);
  EXPECT_EQ(outcome.status.reason(), "IncompleteBody");
}

TEST(AwsChunkedTest, SinkErrorStopsDecodingAndSticks) {
  AwsChunkedDecoder decoder(ChunkedMode::kUnsignedWithTrailer, std::nullopt, {}, std::nullopt);
  const Status disk_full = Status(StatusCode::kResourceExhausted, "disk full");
  int calls = 0;
  const auto sink = [&](std::span<const std::byte>) {
    ++calls;
    return disk_full;
  };
  EXPECT_EQ(decoder.Feed("5\r\nhello\r\n0\r\n\r\n", sink), disk_full);
  EXPECT_EQ(decoder.Feed("more", sink), disk_full);
  EXPECT_EQ(decoder.Finish(), disk_full);
  EXPECT_EQ(calls, 1);
}

TEST(AwsChunkedTest, ConfigurationErrors) {
  AwsChunkedDecoder no_signer(ChunkedMode::kSigned, std::nullopt, {}, std::nullopt);
  EXPECT_EQ(no_signer.Finish().reason(), "InternalError");

  AwsChunkedDecoder trailers_in_signed(ChunkedMode::kSigned, DocSigner(kSeed),
                                       {"x-amz-checksum-crc32"}, std::nullopt);
  EXPECT_EQ(trailers_in_signed.Finish().reason(), "MalformedTrailerError");
}

}  // namespace
}  // namespace trainload::s3
