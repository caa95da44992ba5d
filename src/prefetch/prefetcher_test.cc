// The prefetcher over an in-memory store (fake_store_testing.h): what it asks the store for, how
// it behaves when requests are slow or fail, how it shares memory between readers, and how it
// uses a block cache. The same flows against a real server are in prefetcher_component_test.cc.
#include "prefetch/prefetcher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <future>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "prefetch/fake_store_testing.h"

namespace trainload::prefetch {
namespace {

using std::chrono::milliseconds;
using testing::FakeBlockCache;
using testing::FakeClient;

constexpr uint64_t KiB = 1024;
constexpr uint64_t MiB = 1024 * KiB;
constexpr char kBucket[] = "bucket";

std::string Bytes(size_t size, uint64_t seed) {
  std::string out(size, '\0');
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i < size; i += 8) {
    uint64_t v = rng();
    std::memcpy(out.data() + i, &v, std::min<size_t>(8, size - i));
  }
  return out;
}

PrefetchOptions SmallOptions() {
  PrefetchOptions options;
  options.part_size = 256 * KiB;
  options.first_request_size = 256 * KiB;
  options.max_window = 2 * MiB;
  options.whole_object_threshold = 64 * KiB;
  options.backward_seek_window = 128 * KiB;
  options.forward_seek_distance = MiB;
  options.fetch_threads = 4;
  options.max_memory = 16 * MiB;
  return options;
}

class PrefetcherTest : public ::testing::Test {
 protected:
  ObjectRef Store(const std::string& key, const std::string& data) {
    std::string etag = client_.Store(kBucket, key, data);
    return ObjectRef{kBucket, key, data.size(), etag};
  }

  std::unique_ptr<Prefetcher> Make(const PrefetchOptions& options,
                                   cache::BlockCache* cache = nullptr) {
    auto prefetcher = Prefetcher::Create(client_, cache, options);
    EXPECT_TRUE(prefetcher.has_value()) << prefetcher.error().ToString();
    return prefetcher.has_value() ? std::move(*prefetcher) : nullptr;
  }

  static std::string ReadAt(PrefetchingReader& reader, uint64_t offset, size_t length,
                            Status* error = nullptr) {
    std::string out(length, '\0');
    Result<size_t> n = reader.Read(offset, std::as_writable_bytes(std::span(out.data(), length)));
    if (!n.has_value()) {
      if (error != nullptr) *error = n.error();
      return "<error: " + n.error().ToString() + ">";
    }
    out.resize(*n);
    return out;
  }

  FakeClient client_;
};

TEST_F(PrefetcherTest, ClosingAReaderDoesNotWaitForItsFetches) {
  std::string data = Bytes(8 * MiB, 1);
  ObjectRef object = Store("slow", data);
  client_.set_delay(milliseconds(600));
  auto prefetcher = Make(SmallOptions());
  ASSERT_NE(prefetcher, nullptr);
  {
    auto reader = prefetcher->Open(object);
    ASSERT_EQ(ReadAt(*reader, 0, 64 * KiB), data.substr(0, 64 * KiB));
    // Read-ahead is in flight now, and slow.
    auto start = std::chrono::steady_clock::now();
    reader.reset();
    EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(300));
  }
  // The prefetcher joins the running fetches: their buffers outlived the reader safely.
  prefetcher.reset();
}

TEST_F(PrefetcherTest, ReadingTheFirstBytesOfALargeObjectCostsOneSmallGet) {
  std::string data = Bytes(20 * MiB, 9);
  ObjectRef object = Store("header", data);
  auto prefetcher = Make(SmallOptions());
  ASSERT_NE(prefetcher, nullptr);
  auto reader = prefetcher->Open(object);
  EXPECT_EQ(ReadAt(*reader, 0, 4096), data.substr(0, 4096));
  EXPECT_EQ(ReadAt(*reader, 4096, 4096), data.substr(4096, 4096));
  std::this_thread::sleep_for(milliseconds(50));  // read-ahead would have started by now
  EXPECT_EQ(client_.gets(), 1);
  EXPECT_EQ(prefetcher->stats().bytes_fetched, 256 * KiB);  // first_request_size
}

TEST_F(PrefetcherTest, ReadsArrivingOutOfOrderAreOneStream) {
  // The kernel's readahead through FUSE: batches of four 128 KiB reads handled in any order.
  std::string data = Bytes(8 * MiB, 10);
  ObjectRef object = Store("out-of-order", data);
  PrefetchOptions options = SmallOptions();
  options.first_request_size = MiB;
  options.backward_seek_window = MiB;
  options.forward_seek_distance = 4 * MiB;
  auto prefetcher = Make(options);
  ASSERT_NE(prefetcher, nullptr);
  auto reader = prefetcher->Open(object);
  const uint64_t order[] = {256 * KiB, 0, 384 * KiB, 128 * KiB};
  for (uint64_t base = 0; base < data.size(); base += 512 * KiB) {
    for (uint64_t delta : order) {
      ASSERT_EQ(ReadAt(*reader, base + delta, 128 * KiB), data.substr(base + delta, 128 * KiB))
          << base + delta;
    }
  }
  EXPECT_EQ(prefetcher->stats().window_resets, 0u);
  EXPECT_EQ(prefetcher->stats().bytes_fetched, data.size());
}

TEST_F(PrefetcherTest, PinnedReadLendsThePartsItSpansAndKeepsThemAlive) {
  std::string data = Bytes(4 * MiB, 12);
  ObjectRef object = Store("pinned", data);
  auto prefetcher = Make(SmallOptions());
  ASSERT_NE(prefetcher, nullptr);
  auto reader = prefetcher->Open(object);
  ASSERT_EQ(ReadAt(*reader, 0, 200 * KiB), data.substr(0, 200 * KiB));
  // 200 KiB .. 700 KiB crosses the first part (256 KiB) into the next ones.
  PinnedBytes pinned;
  Result<size_t> n = reader->ReadPinned(200 * KiB, 500 * KiB, pinned);
  ASSERT_TRUE(n.has_value()) << n.error().ToString();
  ASSERT_EQ(*n, 500 * KiB);
  EXPECT_EQ(pinned.size(), 500 * KiB);
  EXPECT_GE(pinned.pieces.size(), 2u);
  EXPECT_EQ(pinned.holds.size(), pinned.pieces.size());
  // Closing the reader does not take the lent bytes away, nor their memory charge.
  reader.reset();
  std::string lent;
  for (std::span<const std::byte> piece : pinned.pieces) {
    lent.append(reinterpret_cast<const char*>(piece.data()), piece.size());
  }
  EXPECT_EQ(lent, data.substr(200 * KiB, 500 * KiB));
  // At the end of the object: fewer bytes; past it: none.
  reader = prefetcher->Open(object);
  n = reader->ReadPinned(4 * MiB - 10, 100, pinned);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 10u);
  EXPECT_EQ(pinned.size(), 10u);
  n = reader->ReadPinned(4 * MiB, 100, pinned);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 0u);
  EXPECT_TRUE(pinned.pieces.empty());
}

TEST_F(PrefetcherTest, AFailedReadIsRetriedByTheNextRead) {
  std::string data = Bytes(4 * MiB, 2);
  ObjectRef object = Store("flaky", data);
  auto prefetcher = Make(SmallOptions());
  ASSERT_NE(prefetcher, nullptr);
  auto reader = prefetcher->Open(object);
  client_.FailNext(1);
  Status error;
  ReadAt(*reader, MiB, 100 * KiB, &error);
  EXPECT_EQ(error.code(), StatusCode::kUnavailable) << error.ToString();
  EXPECT_NE(error.message().find("s3://bucket/flaky"), std::string::npos) << error.message();
  EXPECT_EQ(ReadAt(*reader, MiB, 100 * KiB), data.substr(MiB, 100 * KiB));
  // Reading on from there works too.
  EXPECT_EQ(ReadAt(*reader, MiB + 100 * KiB, MiB), data.substr(MiB + 100 * KiB, MiB));
}

TEST_F(PrefetcherTest, FetchThreadsBoundTheRequestsInFlight) {
  std::string data = Bytes(16 * MiB, 3);
  ObjectRef object = Store("wide", data);
  client_.set_delay(milliseconds(5));
  PrefetchOptions options = SmallOptions();
  options.fetch_threads = 3;
  auto prefetcher = Make(options);
  ASSERT_NE(prefetcher, nullptr);
  auto reader = prefetcher->Open(object);
  for (uint64_t offset = 0; offset < data.size(); offset += 128 * KiB) {
    ASSERT_EQ(ReadAt(*reader, offset, 128 * KiB), data.substr(offset, 128 * KiB));
  }
  EXPECT_LE(client_.in_flight_peak(), 3);
  EXPECT_GE(client_.in_flight_peak(), 2);  // the window did grow to several parts
  // Each byte once: the first request, then parts on the 256 KiB grid.
  EXPECT_EQ(prefetcher->stats().bytes_fetched, data.size());
  EXPECT_EQ(client_.gets(), 64);
}

TEST_F(PrefetcherTest, IdleReadersGiveTheirBuffersToAReaderThatNeedsThem) {
  PrefetchOptions options = SmallOptions();
  options.max_memory = MiB;  // four parts
  auto prefetcher = Make(options);
  ASSERT_NE(prefetcher, nullptr);
  std::vector<std::string> data;
  std::vector<std::unique_ptr<PrefetchingReader>> idle;
  for (int i = 0; i < 8; ++i) {
    data.push_back(Bytes(4 * MiB, 10 + i));
    idle.push_back(prefetcher->Open(Store("idle-" + std::to_string(i), data.back())));
    // Each reads a little and then just stays open, holding what it fetched.
    ASSERT_EQ(ReadAt(*idle.back(), 0, 200 * KiB), data.back().substr(0, 200 * KiB));
  }
  std::string busy_data = Bytes(4 * MiB, 99);
  ObjectRef busy = Store("busy", busy_data);
  auto done = std::async(std::launch::async, [&] {
    auto reader = prefetcher->Open(busy);
    std::string got;
    for (uint64_t offset = 0; offset < busy_data.size(); offset += 128 * KiB) {
      got += ReadAt(*reader, offset, 128 * KiB);
    }
    return got == busy_data;
  });
  ASSERT_EQ(done.wait_for(std::chrono::seconds(30)), std::future_status::ready)
      << "a reader starved behind idle readers' buffers";
  EXPECT_TRUE(done.get());
  EXPECT_LE(prefetcher->stats().memory_peak, MiB);
  // The idle readers lost their buffers, not their place: they read on correctly.
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(ReadAt(*idle[i], 200 * KiB, 300 * KiB), data[i].substr(200 * KiB, 300 * KiB));
  }
}

TEST_F(PrefetcherTest, CachedBlocksAreUsedAndTheRestIsFetchedAndStored) {
  std::string data = Bytes(MiB + 1000, 4);
  ObjectRef object = Store("partly-cached", data);
  FakeBlockCache cache(64 * KiB);
  for (uint64_t index : {0, 1}) {
    cache::BlockId id{kBucket, "partly-cached", object.etag, index};
    ASSERT_TRUE(
        cache.Put(id, std::as_bytes(std::span(data.data() + index * 64 * KiB, 64 * KiB))).ok());
  }
  auto prefetcher = Make(SmallOptions(), &cache);
  ASSERT_NE(prefetcher, nullptr);
  auto reader = prefetcher->Open(object);
  EXPECT_EQ(ReadAt(*reader, 0, 100 * KiB), data.substr(0, 100 * KiB));
  // The first request covers blocks 0-3: two from the cache, one GET from block 2 on (other
  // GETs are read-ahead beyond it).
  std::vector<ByteRange> ranges = client_.ranges();
  ASSERT_FALSE(ranges.empty());
  std::sort(ranges.begin(), ranges.end(),
            [](const ByteRange& a, const ByteRange& b) { return a.first < b.first; });
  EXPECT_EQ(ranges[0].first, 128 * KiB);
  EXPECT_EQ(ranges[0].last, 256 * KiB - 1);
  EXPECT_EQ(prefetcher->stats().bytes_from_cache, 128 * KiB);
  // The fetched blocks are stored after delivery; wait for the fetch thread to get there.
  cache::BlockId block3{kBucket, "partly-cached", object.etag, 3};
  for (int i = 0; i < 500 && !cache.Has(block3); ++i) std::this_thread::sleep_for(milliseconds(2));
  EXPECT_TRUE(cache.Has(cache::BlockId{kBucket, "partly-cached", object.etag, 2}));
  EXPECT_TRUE(cache.Has(block3));
  // The whole object through, including the short last block.
  for (uint64_t offset = 100 * KiB; offset < data.size(); offset += 100 * KiB) {
    ASSERT_EQ(ReadAt(*reader, offset, 100 * KiB), data.substr(offset, 100 * KiB));
  }
  reader.reset();
  prefetcher.reset();  // joins the fetch threads: every block is stored
  EXPECT_TRUE(cache.Has(cache::BlockId{kBucket, "partly-cached", object.etag, 16}));
  EXPECT_EQ(cache.stats().blocks, 17u);
}

TEST_F(PrefetcherTest, WithACacheRandomReadsAreWholeBlocksAndSmallObjectsComeFromIt) {
  std::string data = Bytes(4 * MiB, 5);
  ObjectRef object = Store("random", data);
  FakeBlockCache cache(64 * KiB);
  {
    auto prefetcher = Make(SmallOptions(), &cache);
    ASSERT_NE(prefetcher, nullptr);
    auto reader = prefetcher->Open(object);
    ASSERT_EQ(ReadAt(*reader, 3 * MiB + 5, 1000), data.substr(3 * MiB + 5, 1000));
    ASSERT_EQ(ReadAt(*reader, MiB + 60 * KiB, 10 * KiB), data.substr(MiB + 60 * KiB, 10 * KiB));
  }
  std::vector<ByteRange> ranges = client_.ranges();
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0].first, 3 * MiB);
  EXPECT_EQ(ranges[0].length(), 64 * KiB);
  EXPECT_EQ(ranges[1].first, MiB);
  EXPECT_EQ(ranges[1].length(), 128 * KiB);  // straddles two blocks

  std::string small = Bytes(50 * KiB, 6);
  ObjectRef small_object = Store("small", small);
  {
    auto prefetcher = Make(SmallOptions(), &cache);
    ASSERT_NE(prefetcher, nullptr);
    auto reader = prefetcher->Open(small_object);
    ASSERT_EQ(ReadAt(*reader, 0, 100 * KiB), small);
  }
  int gets = client_.gets();
  auto prefetcher = Make(SmallOptions(), &cache);
  ASSERT_NE(prefetcher, nullptr);
  auto reader = prefetcher->Open(small_object);
  EXPECT_EQ(ReadAt(*reader, 10, 100), small.substr(10, 100));
  EXPECT_EQ(client_.gets(), gets);
  EXPECT_EQ(prefetcher->stats().bytes_from_cache, small.size());
}

TEST_F(PrefetcherTest, ReaderWithoutAnEtagSkipsTheCacheAndIfMatch) {
  std::string data = Bytes(200 * KiB, 7);
  Store("no-etag", data);
  FakeBlockCache cache(64 * KiB);
  auto prefetcher = Make(SmallOptions(), &cache);
  ASSERT_NE(prefetcher, nullptr);
  auto reader = prefetcher->Open(ObjectRef{kBucket, "no-etag", data.size(), ""});
  EXPECT_EQ(ReadAt(*reader, 0, 300 * KiB), data);
  reader.reset();
  prefetcher.reset();
  EXPECT_EQ(cache.puts(), 0);
}

TEST_F(PrefetcherTest, ManyThreadsReadingOneHandleGetTheirOwnBytes) {
  // FUSE may call one handle from several threads; calls are serialized and each gets its range.
  std::string data = Bytes(8 * MiB, 8);
  ObjectRef object = Store("shared-handle", data);
  auto prefetcher = Make(SmallOptions());
  ASSERT_NE(prefetcher, nullptr);
  auto reader = prefetcher->Open(object);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      for (int i = 0; i < 100; ++i) {
        uint64_t offset = (t * 2 * MiB + i * 20 * KiB) % data.size();
        if (i % 3 == 0) offset = rng() % data.size();
        std::string got = ReadAt(*reader, offset, 20 * KiB);
        if (got != data.substr(offset, 20 * KiB)) ++mismatches[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace trainload::prefetch
