// libFuzzer entry point for AwsChunkedDecoder (built only by a fuzzing build; the library glob
// skips *_fuzz.cc).
//
// Input: byte 0 picks the mode and whether a trailer is declared, byte 1 the way the body is cut
// into Feed() calls, byte 2 an x-amz-decoded-content-length (or none); the rest is the wire body.
// The signer returns fixed signatures ("s" per chunk, "t" for the trailer) so the fuzzer can get
// past signature checks into the framing behind them.
//
// Besides memory errors it checks one property: feeding the body whole and feeding it cut into
// small pieces give the same payload, the same trailers and the same error code.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "s3/aws_chunked.h"

namespace {

using trainload::Status;
using trainload::s3::AwsChunkedDecoder;
using trainload::s3::ChunkedMode;
using trainload::s3::ChunkSigner;

struct Outcome {
  std::string payload;
  Status status;
  std::vector<std::pair<std::string, std::string>> trailers;
};

Outcome Decode(ChunkedMode mode, bool declare_trailer, std::optional<uint64_t> length,
               std::string_view wire, size_t cut_seed) {
  std::optional<ChunkSigner> signer;
  if (mode != ChunkedMode::kUnsignedWithTrailer) {
    signer = ChunkSigner{"seed", [](std::string_view, std::string_view) { return "s"; },
                         [](std::string_view, std::string_view) { return "t"; }};
  }
  std::vector<std::string> declared;
  if (declare_trailer) declared.push_back("x-amz-checksum-crc32");
  AwsChunkedDecoder decoder(mode, std::move(signer), std::move(declared), length);

  Outcome outcome;
  const auto sink = [&](std::span<const std::byte> piece) {
    const auto* begin = reinterpret_cast<const char*>(piece.data());
    if (!piece.empty() &&
        (begin < wire.data() || begin + piece.size() > wire.data() + wire.size())) {
      std::abort();  // payload must point into the wire buffer
    }
    outcome.payload.append(begin, piece.size());
    return Status::Ok();
  };
  size_t at = 0;
  for (size_t i = 0; at < wire.size() && outcome.status.ok(); ++i) {
    const size_t n = cut_seed == 0 ? wire.size() : 1 + (cut_seed * 31 + i * 7) % 13;
    const std::string_view piece = wire.substr(at, n);
    outcome.status = decoder.Feed(piece, sink);
    at += piece.size();
  }
  if (outcome.status.ok()) outcome.status = decoder.Finish();
  if (outcome.status.ok() && decoder.decoded_bytes() != outcome.payload.size()) std::abort();
  outcome.trailers = decoder.trailers();
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const auto mode = static_cast<ChunkedMode>(data[0] % 3);
  const bool declare_trailer = (data[0] & 0x4) != 0 && mode != ChunkedMode::kSigned;
  const size_t cut_seed = data[1] == 0 ? 1 : data[1];
  const std::optional<uint64_t> length =
      data[2] == 0xff ? std::nullopt : std::optional<uint64_t>(data[2]);
  const std::string_view wire(reinterpret_cast<const char*>(data) + 3, size - 3);

  const Outcome whole = Decode(mode, declare_trailer, length, wire, 0);
  const Outcome pieces = Decode(mode, declare_trailer, length, wire, cut_seed);
  // Messages may quote different spans of the current piece; codes and data must agree.
  if (whole.payload != pieces.payload || whole.trailers != pieces.trailers ||
      whole.status.ok() != pieces.status.ok() || whole.status.reason() != pieces.status.reason()) {
    std::abort();
  }
  return 0;
}
