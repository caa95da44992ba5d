// The prefetcher against an in-process trainload server: sequential, random and concurrent reads
// return exactly the stored bytes with the GETs the design promises (one whole GET for a small
// object, right-sized GETs for random reads), the memory budget holds under many readers, a
// replaced object fails with PreconditionFailed, and a block cache serves a second read.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <thread>
#include <vector>

#include "cache/block_cache.h"
#include "client/test_data_testing.h"
#include "client/test_server_testing.h"
#include "prefetch/prefetcher.h"

namespace trainload::prefetch {
namespace {

using test_support::AsBytes;
using test_support::Pattern;

constexpr uint64_t KiB = 1024;
constexpr uint64_t MiB = 1024 * KiB;

PrefetchOptions TestOptions() {
  PrefetchOptions options;
  options.part_size = 2 * MiB;
  options.max_window = 16 * MiB;
  options.whole_object_threshold = MiB;
  options.fetch_threads = 8;
  options.max_memory = 64 * MiB;
  return options;
}

class PrefetcherComponentTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto server = test_support::TestServer::Start();
    ASSERT_TRUE(server.has_value()) << server.error().ToString();
    server_ = std::move(*server).release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    ClientOptions options = server_->client_options();
    options.max_connections = 16;
    auto client = Client::Create(options);
    ASSERT_TRUE(client.has_value()) << client.error().ToString();
    client_ = std::move(*client);
    bucket_ = "prefetch-" + std::to_string(++bucket_counter_);
    ASSERT_TRUE(client_->CreateBucket(bucket_).ok());
  }

  // Stores `data` under `key` and returns the reference a reader opens.
  ObjectRef Put(const std::string& key, const std::string& data) {
    auto put = client_->Put(bucket_, key, AsBytes(data));
    EXPECT_TRUE(put.has_value()) << put.error().ToString();
    return ObjectRef{bucket_, key, data.size(), put.has_value() ? put->etag : ""};
  }

  std::unique_ptr<Prefetcher> MakePrefetcher(const PrefetchOptions& options,
                                             cache::BlockCache* cache = nullptr) {
    auto prefetcher = Prefetcher::Create(*client_, cache, options);
    EXPECT_TRUE(prefetcher.has_value()) << prefetcher.error().ToString();
    return prefetcher.has_value() ? std::move(*prefetcher) : nullptr;
  }

  // Reads [offset, offset + length) and checks it against `data`; returns false on a mismatch.
  static ::testing::AssertionResult ReadMatches(PrefetchingReader& reader, const std::string& data,
                                                uint64_t offset, uint64_t length) {
    std::vector<std::byte> buffer(length);
    Result<size_t> n = reader.Read(offset, buffer);
    if (!n.has_value()) {
      return ::testing::AssertionFailure() << "read at " << offset << ": " << n.error().ToString();
    }
    uint64_t expected =
        offset >= data.size() ? 0 : std::min<uint64_t>(length, data.size() - offset);
    if (*n != expected) {
      return ::testing::AssertionFailure()
             << "read at " << offset << " returned " << *n << " bytes, expected " << expected;
    }
    if (std::memcmp(buffer.data(), data.data() + offset, *n) != 0) {
      return ::testing::AssertionFailure() << "wrong bytes at " << offset;
    }
    return ::testing::AssertionSuccess();
  }

  static inline test_support::TestServer* server_ = nullptr;
  static inline int bucket_counter_ = 0;
  std::unique_ptr<Client> client_;
  std::string bucket_;
};

TEST_F(PrefetcherComponentTest, SequentialReadReturnsTheObjectFetchingEachByteOnce) {
  std::string data = Pattern(40 * MiB, 1);
  ObjectRef object = Put("seq/large.bin", data);
  auto prefetcher = MakePrefetcher(TestOptions());
  ASSERT_NE(prefetcher, nullptr);
  auto reader = prefetcher->Open(object);
  EXPECT_EQ(reader->object().key, "seq/large.bin");
  std::string got;
  got.reserve(data.size());
  std::vector<std::byte> buffer(128 * KiB);
  for (uint64_t offset = 0; offset < data.size() + 1; offset += buffer.size()) {
    Result<size_t> n = reader->Read(offset, buffer);
    ASSERT_TRUE(n.has_value()) << n.error().ToString();
    if (*n == 0) break;
    got.append(reinterpret_cast<const char*>(buffer.data()), *n);
  }
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data);
  PrefetchStats stats = prefetcher->stats();
  EXPECT_EQ(stats.bytes_fetched, data.size());
  EXPECT_EQ(stats.window_resets, 0u);
  // A first request, the rest of part 0, then one GET per 2 MiB part.
  EXPECT_LE(stats.get_requests, 21u);
  EXPECT_EQ(stats.bytes_from_cache, 0u);
  // The window (16 MiB) plus the part being read and the backward-seek window.
  EXPECT_LE(stats.memory_peak, 20 * MiB);
}

TEST_F(PrefetcherComponentTest, RandomReadsFetchOnlyWhatIsRead) {
  std::string data = Pattern(40 * MiB, 2);
  ObjectRef object = Put("random.bin", data);
  auto prefetcher = MakePrefetcher(TestOptions());
  ASSERT_NE(prefetcher, nullptr);
  auto reader = prefetcher->Open(object);
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) {
    uint64_t offset = rng() % (data.size() - 256 * KiB);
    ASSERT_TRUE(ReadMatches(*reader, data, offset, 256 * KiB)) << "read " << i;
  }
  PrefetchStats stats = prefetcher->stats();
  // One right-sized GET per read (fewer when a read falls inside the previous one), never a
  // part's worth of read-ahead.
  EXPECT_LE(stats.get_requests, 200u);
  EXPECT_GE(stats.get_requests, 190u);
  EXPECT_LE(stats.bytes_fetched, 200 * 256 * KiB);
  EXPECT_GE(stats.window_resets, 190u);
}

TEST_F(PrefetcherComponentTest, ShortSeeksAreServedWithoutNewRequests) {
  std::string data = Pattern(20 * MiB, 3);
  ObjectRef object = Put("seeks.bin", data);
  auto prefetcher = MakePrefetcher(TestOptions());
  ASSERT_NE(prefetcher, nullptr);
  auto reader = prefetcher->Open(object);
  for (uint64_t offset = 0; offset < 3 * MiB; offset += 128 * KiB) {
    ASSERT_TRUE(ReadMatches(*reader, data, offset, 128 * KiB));
  }
  // Back within the backward-seek window, then forward within what is held.
  ASSERT_TRUE(ReadMatches(*reader, data, 3 * MiB - 900 * KiB, 128 * KiB));
  ASSERT_TRUE(ReadMatches(*reader, data, 3 * MiB + 100 * KiB, 28 * KiB));
  EXPECT_EQ(prefetcher->stats().window_resets, 0u);
  // Whatever was fetched meanwhile was read-ahead, not a second fetch of bytes already held.
  EXPECT_LE(prefetcher->stats().bytes_fetched, data.size());
  // Far back: a reset, and the bytes are right.
  ASSERT_TRUE(ReadMatches(*reader, data, 10, 1000));
  EXPECT_EQ(prefetcher->stats().window_resets, 1u);
  // The end of the object: short, then empty.
  ASSERT_TRUE(ReadMatches(*reader, data, data.size() - 100, 4096));
  ASSERT_TRUE(ReadMatches(*reader, data, data.size(), 4096));
  ASSERT_TRUE(ReadMatches(*reader, data, data.size() + 5, 4096));
}

TEST_F(PrefetcherComponentTest, SmallObjectIsFetchedWholeAtOpen) {
  std::string data = Pattern(300 * KiB + 17, 4);
  ObjectRef object = Put("small.bin", data);
  auto prefetcher = MakePrefetcher(TestOptions());
  ASSERT_NE(prefetcher, nullptr);
  auto reader = prefetcher->Open(object);
  // The GET starts at Open(), before any read.
  for (int i = 0; i < 500 && prefetcher->stats().bytes_fetched < data.size(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(prefetcher->stats().bytes_fetched, data.size());
  // Reads anywhere, in any order, are served from that one GET.
  ASSERT_TRUE(ReadMatches(*reader, data, 200 * KiB, 4096));
  ASSERT_TRUE(ReadMatches(*reader, data, 0, 4096));
  for (uint64_t offset = 0; offset < data.size(); offset += 4096) {
    ASSERT_TRUE(ReadMatches(*reader, data, offset, 4096));
  }
  EXPECT_EQ(prefetcher->stats().get_requests, 1u);
  EXPECT_EQ(prefetcher->stats().window_resets, 0u);

  // An empty object needs no request at all.
  ObjectRef empty = Put("empty", "");
  auto empty_reader = prefetcher->Open(empty);
  ASSERT_TRUE(ReadMatches(*empty_reader, "", 0, 10));
  EXPECT_EQ(prefetcher->stats().get_requests, 1u);
}

TEST_F(PrefetcherComponentTest, ObjectReplacedBetweenReadsFailsWithPreconditionFailed) {
  std::string v1 = Pattern(10 * MiB, 5), v2 = Pattern(10 * MiB, 6);
  ObjectRef object = Put("changing.bin", v1);
  auto prefetcher = MakePrefetcher(TestOptions());
  ASSERT_NE(prefetcher, nullptr);
  auto reader = prefetcher->Open(object);
  ASSERT_TRUE(ReadMatches(*reader, v1, 0, 128 * KiB));
  Put("changing.bin", v2);
  Status failure;
  std::vector<std::byte> buffer(128 * KiB);
  uint64_t offset = 128 * KiB;
  for (int i = 0; i < 100 && offset < v1.size(); ++i) {
    Result<size_t> n = reader->Read(offset, buffer);
    if (!n.has_value()) {
      failure = n.error();
      break;
    }
    // Bytes already fetched before the replacement are the old version's, never the new one's.
    ASSERT_EQ(std::memcmp(buffer.data(), v1.data() + offset, *n), 0) << offset;
    offset += *n;
  }
  ASSERT_FALSE(failure.ok()) << "10 MiB cannot all have been fetched after 128 KiB";
  EXPECT_EQ(failure.code(), StatusCode::kAborted) << failure.ToString();
  EXPECT_EQ(failure.reason(), "PreconditionFailed");
  EXPECT_NE(failure.message().find(bucket_ + "/changing.bin"), std::string::npos)
      << failure.message();

  // A reader opened with the old etag fails on its first read, small or large, random or not.
  ObjectRef small = Put("small-changing", Pattern(1000, 7));
  Put("small-changing", Pattern(1000, 8));
  auto stale_small = prefetcher->Open(small);
  std::vector<std::byte> small_buffer(100);
  Result<size_t> n = stale_small->Read(10, small_buffer);
  ASSERT_FALSE(n.has_value());
  EXPECT_EQ(n.error().reason(), "PreconditionFailed");
  auto stale_large = prefetcher->Open(object);
  n = stale_large->Read(5 * MiB, buffer);
  ASSERT_FALSE(n.has_value());
  EXPECT_EQ(n.error().reason(), "PreconditionFailed");
  // The same read fails again rather than returning anything.
  n = stale_large->Read(5 * MiB, buffer);
  ASSERT_FALSE(n.has_value());
  EXPECT_EQ(n.error().reason(), "PreconditionFailed");
}

TEST_F(PrefetcherComponentTest, MissingObjectErrorNamesBucketAndKey) {
  auto prefetcher = MakePrefetcher(TestOptions());
  ASSERT_NE(prefetcher, nullptr);
  auto reader = prefetcher->Open(ObjectRef{bucket_, "no/such-key", 5 * MiB, "abc"});
  std::vector<std::byte> buffer(4096);
  Result<size_t> n = reader->Read(0, buffer);
  ASSERT_FALSE(n.has_value());
  EXPECT_EQ(n.error().reason(), "NoSuchKey") << n.error().ToString();
  EXPECT_NE(n.error().message().find(bucket_ + "/no/such-key"), std::string::npos)
      << n.error().message();
}

TEST_F(PrefetcherComponentTest, ManyConcurrentReadersStayWithinTheMemoryBudget) {
  constexpr int kThreads = 8;
  constexpr int kObjectsPerThread = 8;
  std::vector<std::string> data;
  std::vector<ObjectRef> objects;
  for (int i = 0; i < kThreads * kObjectsPerThread; ++i) {
    data.push_back(Pattern(3 * MiB + 1000 * static_cast<uint64_t>(i), 100 + i));
    objects.push_back(Put("many/" + std::to_string(i), data.back()));
  }
  PrefetchOptions options = TestOptions();
  options.max_memory = 32 * MiB;
  auto prefetcher = MakePrefetcher(options);
  ASSERT_NE(prefetcher, nullptr);
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each thread keeps its 8 objects open at once and reads them round-robin, so idle
      // readers hold buffers that the others need.
      std::vector<std::unique_ptr<PrefetchingReader>> readers;
      for (int i = 0; i < kObjectsPerThread; ++i) {
        readers.push_back(prefetcher->Open(objects[t * kObjectsPerThread + i]));
      }
      std::vector<uint64_t> offsets(kObjectsPerThread, 0);
      std::vector<std::byte> buffer(256 * KiB);
      for (int round = 0; round < 1000; ++round) {
        bool any = false;
        for (int i = 0; i < kObjectsPerThread; ++i) {
          const std::string& expected = data[t * kObjectsPerThread + i];
          if (offsets[i] >= expected.size()) continue;
          any = true;
          Result<size_t> n = readers[i]->Read(offsets[i], buffer);
          if (!n.has_value()) {
            failures[t] = n.error().ToString();
            return;
          }
          if (*n == 0 || std::memcmp(buffer.data(), expected.data() + offsets[i], *n) != 0) {
            failures[t] = "wrong bytes in object " + std::to_string(t * kObjectsPerThread + i) +
                          " at " + std::to_string(offsets[i]);
            return;
          }
          offsets[i] += *n;
        }
        if (!any) return;
      }
      failures[t] = "did not finish in 1000 rounds";
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], "") << "thread " << t;
  PrefetchStats stats = prefetcher->stats();
  EXPECT_LE(stats.memory_peak, 32 * MiB + options.part_size);
  EXPECT_GT(stats.memory_peak, 0u);
}

TEST_F(PrefetcherComponentTest, ClosingReadersWithFetchesInFlightIsSafe) {
  std::string data = Pattern(24 * MiB, 9);
  ObjectRef object = Put("closing.bin", data);
  auto prefetcher = MakePrefetcher(TestOptions());
  ASSERT_NE(prefetcher, nullptr);
  for (int i = 0; i < 20; ++i) {
    auto reader = prefetcher->Open(object);
    // Enough sequential reading to have parts in flight, then close at once.
    for (uint64_t offset = 0; offset < static_cast<uint64_t>(i % 4) * MiB + 256 * KiB;
         offset += 128 * KiB) {
      ASSERT_TRUE(ReadMatches(*reader, data, offset, 128 * KiB));
    }
  }
  // Readers opened after all that still read correctly.
  auto reader = prefetcher->Open(object);
  for (uint64_t offset = 0; offset < data.size(); offset += MiB) {
    ASSERT_TRUE(ReadMatches(*reader, data, offset, MiB));
  }
  reader.reset();
  // The prefetcher itself can go while fetches of closed readers are still queued.
  auto short_lived = MakePrefetcher(TestOptions());
  ASSERT_NE(short_lived, nullptr);
  {
    auto r = short_lived->Open(object);
    ASSERT_TRUE(ReadMatches(*r, data, 0, 128 * KiB));
  }
  short_lived.reset();
}

TEST_F(PrefetcherComponentTest, InvalidOptionsAreRejectedWithTheirName) {
  PrefetchOptions options = TestOptions();
  options.max_memory = MiB;  // smaller than a 2 MiB part
  auto prefetcher = Prefetcher::Create(*client_, nullptr, options);
  ASSERT_FALSE(prefetcher.has_value());
  EXPECT_EQ(prefetcher.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(prefetcher.error().message().find("max_memory"), std::string::npos);
  options = TestOptions();
  options.part_size = 0;
  prefetcher = Prefetcher::Create(*client_, nullptr, options);
  ASSERT_FALSE(prefetcher.has_value());
  EXPECT_NE(prefetcher.error().message().find("part_size"), std::string::npos);
}

class CachedPrefetcherComponentTest : public PrefetcherComponentTest {
 protected:
  void SetUp() override {
    PrefetcherComponentTest::SetUp();
    cache_dir_ = server_->dir() / ("cache-" + std::to_string(bucket_counter_));
    cache::CacheOptions options;
    options.directory = cache_dir_.string();
    options.max_size_bytes = 256 * MiB;
    options.block_size = MiB;
    auto cache = cache::BlockCache::Open(options);
    ASSERT_TRUE(cache.has_value()) << cache.error().ToString();
    cache_ = std::move(*cache);
  }
  void TearDown() override {
    cache_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(cache_dir_, ignored);
  }

  // Reads the whole object through a fresh prefetcher in `read_size` reads.
  std::string ReadAll(Prefetcher& prefetcher, const ObjectRef& object, uint64_t read_size) {
    auto reader = prefetcher.Open(object);
    std::string got;
    std::vector<std::byte> buffer(read_size);
    for (int i = 0; i < 100000; ++i) {
      Result<size_t> n = reader->Read(got.size(), buffer);
      EXPECT_TRUE(n.has_value()) << n.error().ToString();
      if (!n.has_value() || *n == 0) break;
      got.append(reinterpret_cast<const char*>(buffer.data()), *n);
    }
    return got;
  }

  std::filesystem::path cache_dir_;
  std::unique_ptr<cache::BlockCache> cache_;
};

TEST_F(CachedPrefetcherComponentTest, SecondReadIsServedFromTheCache) {
  std::string data = Pattern(12 * MiB + 12345, 10);  // a short last block
  ObjectRef object = Put("cached.bin", data);
  {
    auto first = MakePrefetcher(TestOptions(), cache_.get());
    ASSERT_NE(first, nullptr);
    EXPECT_TRUE(ReadAll(*first, object, 128 * KiB) == data);
    EXPECT_EQ(first->stats().bytes_fetched, data.size());
    EXPECT_EQ(first->stats().bytes_from_cache, 0u);
  }  // joins the fetch threads, so every block has been stored
  EXPECT_EQ(cache_->stats().blocks, 13u);
  auto second = MakePrefetcher(TestOptions(), cache_.get());
  ASSERT_NE(second, nullptr);
  EXPECT_TRUE(ReadAll(*second, object, 100 * KiB) == data);
  PrefetchStats stats = second->stats();
  EXPECT_EQ(stats.bytes_from_cache, data.size());
  EXPECT_EQ(stats.get_requests, 0u);
  EXPECT_EQ(stats.bytes_fetched, 0u);
}

TEST_F(CachedPrefetcherComponentTest, RandomReadsAreCachedInWholeBlocks) {
  std::string data = Pattern(16 * MiB, 11);
  ObjectRef object = Put("cached-random.bin", data);
  std::vector<uint64_t> offsets;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 30; ++i) offsets.push_back(rng() % (data.size() - 256 * KiB));
  {
    auto first = MakePrefetcher(TestOptions(), cache_.get());
    ASSERT_NE(first, nullptr);
    auto reader = first->Open(object);
    for (uint64_t offset : offsets) ASSERT_TRUE(ReadMatches(*reader, data, offset, 256 * KiB));
    // Aligned to 1 MiB blocks: at most 2 blocks per read.
    EXPECT_LE(first->stats().bytes_fetched, 30 * 2 * MiB);
  }
  auto second = MakePrefetcher(TestOptions(), cache_.get());
  ASSERT_NE(second, nullptr);
  auto reader = second->Open(object);
  for (uint64_t offset : offsets) ASSERT_TRUE(ReadMatches(*reader, data, offset, 256 * KiB));
  EXPECT_EQ(second->stats().get_requests, 0u);
  EXPECT_GT(second->stats().bytes_from_cache, 0u);
}

TEST_F(CachedPrefetcherComponentTest, AReplacedObjectIsNeverServedFromItsOldBlocks) {
  std::string v1 = Pattern(3 * MiB, 12), v2 = Pattern(3 * MiB, 13);
  ObjectRef old_ref = Put("replaced.bin", v1);
  {
    auto first = MakePrefetcher(TestOptions(), cache_.get());
    ASSERT_NE(first, nullptr);
    EXPECT_TRUE(ReadAll(*first, old_ref, MiB) == v1);
  }
  ObjectRef new_ref = Put("replaced.bin", v2);
  auto second = MakePrefetcher(TestOptions(), cache_.get());
  ASSERT_NE(second, nullptr);
  EXPECT_TRUE(ReadAll(*second, new_ref, MiB) == v2);
  EXPECT_EQ(second->stats().bytes_from_cache, 0u);
  EXPECT_EQ(second->stats().bytes_fetched, v2.size());
}

}  // namespace
}  // namespace trainload::prefetch
