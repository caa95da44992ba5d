#include "common/md5.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "common/digest.h"
#include "common/encoding.h"

namespace trainload {
namespace {

std::span<const std::byte> Bytes(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

std::string RandomBytes(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

std::string StreamMd5(std::string_view data, Md5Lanes* lanes, size_t piece) {
  Md5Stream md5(lanes);
  for (size_t i = 0; i < data.size(); i += piece) md5.Update(Bytes(data.substr(i, piece)));
  return md5.Finish();
}

// RFC 1321, appendix A.5.
TEST(Md5Test, PublishedVectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"a", "0cc175b9c0f1b6a831c399e269772661"},
      {"abc", "900150983cd24fb0d6963f7d28e17f72"},
      {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
      {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
       "d174ab98d277d9f5a5611c2c9f419d9f"},
      {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
       "57edf4a22be3c955ac49da2e2107b67a"},
  };
  Md5Lanes lanes;
  for (const auto& [input, hex] : vectors) {
    EXPECT_EQ(HexEncode(StreamMd5(input, nullptr, 1000)), hex) << input;
    EXPECT_EQ(HexEncode(StreamMd5(input, &lanes, 1)), hex) << input;
  }
}

// Every length up to 300 bytes: the padding's one- and two-block cases (55, 56, 63, 64 ...),
// and pieces that straddle block edges.
TEST(Md5Test, AgreesWithOpenSslOnEveryLengthAroundBlockEdges) {
  std::string data = RandomBytes(300, 1);
  Md5Lanes lanes;
  for (size_t size = 0; size <= data.size(); ++size) {
    std::string_view input(data.data(), size);
    EXPECT_EQ(StreamMd5(input, nullptr, 7), Md5(input)) << size;
    EXPECT_EQ(StreamMd5(input, &lanes, 64), Md5(input)) << size;
  }
}

TEST(Md5Test, FinishResetsTheStream) {
  Md5Stream md5;
  md5.Update(Bytes("something else first"));
  md5.Finish();
  md5.Update(Bytes("abc"));
  EXPECT_EQ(HexEncode(md5.Finish()), "900150983cd24fb0d6963f7d28e17f72");
}

TEST(Md5Test, LaneKernelsMatchEachStreamAlone) {
  if (!Md5x8Supported()) GTEST_SKIP() << "this CPU has no AVX2; the kernel is never used here";
  constexpr size_t kBlocks = 40;
  std::array<std::string, kMd5Lanes> inputs;
  std::array<Md5Words, kMd5Lanes> states;
  std::array<Md5Words*, kMd5Lanes> state_ptrs;
  std::array<const std::byte*, kMd5Lanes> data;
  for (size_t lane = 0; lane < kMd5Lanes; ++lane) {
    inputs[lane] = RandomBytes(kBlocks * kMd5BlockBytes, 100 + static_cast<uint32_t>(lane));
    // Different starting states too, as lanes join mid-stream.
    states[lane] = {0x67452301u + static_cast<uint32_t>(lane), 0xefcdab89, 0x98badcfe,
                    0x10325476u ^ static_cast<uint32_t>(lane << 20)};
    state_ptrs[lane] = &states[lane];
    data[lane] = reinterpret_cast<const std::byte*>(inputs[lane].data());
  }
  std::array<Md5Words, kMd5Lanes> expected = states;
  for (size_t lane = 0; lane < kMd5Lanes; ++lane) {
    Md5ScalarBlocks(expected[lane], data[lane], kBlocks);
  }
  std::array<Md5Words, kMd5Lanes> four_lane_states = states;
  Md5x8Blocks(state_ptrs, data, kBlocks);
  for (size_t lane = 0; lane < kMd5Lanes; ++lane) EXPECT_EQ(states[lane], expected[lane]) << lane;

  for (size_t lane = 0; lane < kMd5Lanes; ++lane) state_ptrs[lane] = &four_lane_states[lane];
  Md5x4Blocks(state_ptrs, data, kBlocks);
  for (size_t lane = 0; lane < 4; ++lane) {
    EXPECT_EQ(four_lane_states[lane], expected[lane]) << "4-lane kernel, lane " << lane;
  }
  for (size_t lane = 4; lane < kMd5Lanes; ++lane) {
    EXPECT_NE(four_lane_states[lane], expected[lane]) << "4-lane kernel touched lane " << lane;
  }
}

// Many threads hash bodies of different sizes through one Md5Lanes at once, so that lanes
// join, leave and change leader mid-stream: every digest must be that stream's alone.
TEST(Md5Test, ConcurrentStreamsThroughSharedLanesEachGetTheirOwnDigest) {
  Md5Lanes lanes(/*vectorized=*/true, /*groups=*/1);
  constexpr int kThreads = 12;
  constexpr int kBodiesPerThread = 6;
  std::vector<std::thread> threads;
  std::vector<std::string> failures(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kBodiesPerThread; ++i) {
        uint32_t seed = static_cast<uint32_t>(t * 100 + i);
        std::string body = RandomBytes((seed * 7919) % (3 << 20) + 1, seed);
        size_t piece = (seed % 3 == 0) ? body.size() : (seed * 131) % (300 << 10) + 1;
        if (StreamMd5(body, &lanes, piece) != Md5(body)) {
          failures[t] += "body " + std::to_string(i) + " of " + std::to_string(body.size()) +
                         " bytes in pieces of " + std::to_string(piece) + "; ";
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], "") << "thread " << t;
}

TEST(Md5Test, ConcurrentStreamsSpreadOverSeveralGroupsEachGetTheirOwnDigest) {
  Md5Lanes lanes(/*vectorized=*/true, /*groups=*/3);
  std::vector<std::thread> threads;
  std::vector<std::string> failures(9);
  for (int t = 0; t < 9; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 4; ++i) {
        uint32_t seed = static_cast<uint32_t>(1000 + t * 10 + i);
        std::string body = RandomBytes((seed * 104729) % (2 << 20) + 4096, seed);
        if (StreamMd5(body, &lanes, 256 << 10) != Md5(body)) failures[t] += std::to_string(i) + " ";
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 9; ++t) EXPECT_EQ(failures[t], "") << "thread " << t;
}

TEST(Md5Test, LanesOffHashOnTheCallersThread) {
  Md5Lanes lanes(/*vectorized=*/false);
  EXPECT_FALSE(lanes.vectorized());
  std::string body = RandomBytes(1 << 20, 7);
  EXPECT_EQ(StreamMd5(body, &lanes, body.size()), Md5(body));
}

}  // namespace
}  // namespace trainload
