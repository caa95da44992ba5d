#include "cache/block_cache.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cache/block_file.h"

namespace trainload::cache {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kBlockSize = 4096;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "trainload-cache-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) ? fs::path(pattern) : fs::path();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::vector<std::byte> RandomBytes(size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::byte> bytes(size);
  for (std::byte& b : bytes) b = static_cast<std::byte>(rng());
  return bytes;
}

BlockId Id(std::string key, uint64_t index, std::string etag = "etag-1",
           std::string bucket = "bucket") {
  return BlockId{std::move(bucket), std::move(key), std::move(etag), index};
}

std::string FileContent(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

size_t CountRegularFiles(const fs::path& dir) {
  size_t count = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) ++count;
  }
  return count;
}

class BlockCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    OpenCache(64 * kBlockSize);
  }

  void OpenCache(uint64_t max_size_bytes) {
    cache_.reset();  // releases the directory lock first, as an unmount would
    options_ = CacheOptions{(dir_.path() / "cache").string(), max_size_bytes, kBlockSize};
    auto cache = BlockCache::Open(options_);
    ASSERT_TRUE(cache) << cache.error().ToString();
    cache_ = std::move(*cache);
  }

  fs::path BlockFile(const BlockId& id) const {
    return dir_.path() / "cache" / "v1" /
           std::string(BlockPath(HashObject(id.bucket, id.key, id.etag), id.index).view());
  }

  // The block's bytes, or nullopt on a miss.
  std::optional<std::vector<std::byte>> Read(const BlockId& id) {
    std::vector<std::byte> out(kBlockSize);
    std::optional<size_t> n = cache_->Get(id, out);
    if (!n) return std::nullopt;
    out.resize(*n);
    return out;
  }

  void PutOk(const BlockId& id, const std::vector<std::byte>& data) {
    Status status = cache_->Put(id, data);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  uint64_t FileSize(const BlockId& id, size_t data_size) const {
    return BlockHeaderSize(id) + data_size;
  }

  TempDir dir_;
  CacheOptions options_;
  std::unique_ptr<BlockCache> cache_;
};

TEST_F(BlockCacheTest, FullAndShortLastBlocksRoundTrip) {
  const auto full = RandomBytes(kBlockSize, 1);
  const auto last = RandomBytes(1000, 2);
  PutOk(Id("data/train-0001.tar", 0), full);
  PutOk(Id("data/train-0001.tar", 1), last);
  EXPECT_EQ(Read(Id("data/train-0001.tar", 0)), full);
  EXPECT_EQ(Read(Id("data/train-0001.tar", 1)), last);

  // A larger output buffer is fine; the length returned is the block's.
  std::vector<std::byte> big(3 * kBlockSize);
  EXPECT_EQ(cache_->Get(Id("data/train-0001.tar", 1), big), 1000u);
  EXPECT_TRUE(std::equal(last.begin(), last.end(), big.begin()));

  CacheStats stats = cache_->stats();
  EXPECT_EQ(stats.hits, 3u);
  EXPECT_EQ(stats.misses, 0u);
  EXPECT_EQ(stats.blocks, 2u);
  EXPECT_EQ(stats.bytes_used, FileSize(Id("data/train-0001.tar", 0), kBlockSize) +
                                  FileSize(Id("data/train-0001.tar", 1), 1000));
  EXPECT_EQ(fs::file_size(BlockFile(Id("data/train-0001.tar", 1))),
            FileSize(Id("data/train-0001.tar", 1), 1000));
}

TEST_F(BlockCacheTest, OnlyTheExactIdHits) {
  PutOk(Id("k", 3), RandomBytes(100, 3));
  EXPECT_FALSE(Read(Id("k", 3, "etag-2")));
  EXPECT_FALSE(Read(Id("k2", 3)));
  EXPECT_FALSE(Read(Id("k", 3, "etag-1", "other-bucket")));
  EXPECT_FALSE(Read(Id("k", 2)));
  EXPECT_FALSE(Read(Id("k", 4)));
  EXPECT_TRUE(Read(Id("k", 3)));
  CacheStats stats = cache_->stats();
  EXPECT_EQ(stats.misses, 5u);
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.corrupt_blocks, 0u);
}

TEST_F(BlockCacheTest, PutReplacesThePreviousCopy) {
  PutOk(Id("k", 0), RandomBytes(kBlockSize, 4));
  const auto second = RandomBytes(500, 5);
  PutOk(Id("k", 0), second);
  EXPECT_EQ(Read(Id("k", 0)), second);
  EXPECT_EQ(cache_->stats().blocks, 1u);
  EXPECT_EQ(cache_->stats().bytes_used, FileSize(Id("k", 0), 500));
  EXPECT_EQ(cache_->stats().evictions, 0u);
}

TEST_F(BlockCacheTest, PutRejectsDataOutsideOneToBlockSize) {
  Status too_long = cache_->Put(Id("some/key", 7), RandomBytes(kBlockSize + 1, 6));
  EXPECT_EQ(too_long.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(too_long.message().find("bucket/some/key"), std::string::npos) << too_long.message();
  EXPECT_NE(too_long.message().find("4097"), std::string::npos) << too_long.message();
  EXPECT_EQ(cache_->Put(Id("some/key", 7), {}).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(Read(Id("some/key", 7)));
  EXPECT_EQ(cache_->stats().blocks, 0u);
}

TEST_F(BlockCacheTest, OpenRejectsALimitBelowTheBlockSize) {
  auto cache = BlockCache::Open(CacheOptions{(dir_.path() / "other").string(), 4095, 4096});
  ASSERT_FALSE(cache);
  EXPECT_EQ(cache.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(cache.error().message().find("max_size_bytes 4095"), std::string::npos)
      << cache.error().message();
  EXPECT_NE(cache.error().message().find("block_size 4096"), std::string::npos);
  EXPECT_FALSE(BlockCache::Open(CacheOptions{(dir_.path() / "other").string(), 4096, 0}));
}

TEST_F(BlockCacheTest, ASecondOpenOfTheSameDirectoryFails) {
  auto second = BlockCache::Open(options_);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(second.error().message().find("in use"), std::string::npos);
}

TEST_F(BlockCacheTest, FilesAreNamedByHashNeverByKey) {
  const BlockId id = Id("../../escape/a b%2F", 0);
  PutOk(id, RandomBytes(10, 7));
  EXPECT_TRUE(Read(id));
  const fs::path file = BlockFile(id);
  EXPECT_TRUE(fs::is_regular_file(file));
  EXPECT_EQ(file.filename(), "0000000000");
  EXPECT_EQ(file.parent_path().filename().string().size(), 62u);
  EXPECT_EQ(file.parent_path().parent_path().parent_path(), dir_.path() / "cache" / "v1");
  EXPECT_EQ(CountRegularFiles(dir_.path()), 2u);  // the block and the lock file
}

TEST_F(BlockCacheTest, EvictsTheLeastRecentlyUsedAtTheLimit) {
  // Keys of one length, so every block file has the same size.
  const uint64_t file_size = FileSize(Id("k0", 0), kBlockSize);
  OpenCache(3 * file_size);
  for (int i = 0; i < 3; ++i) PutOk(Id("k" + std::to_string(i), 0), RandomBytes(kBlockSize, i));
  ASSERT_TRUE(Read(Id("k0", 0)));  // k1 is now the least recently used
  PutOk(Id("k3", 0), RandomBytes(kBlockSize, 3));
  EXPECT_FALSE(fs::exists(BlockFile(Id("k1", 0))));
  EXPECT_FALSE(Read(Id("k1", 0)));
  EXPECT_EQ(Read(Id("k0", 0)), RandomBytes(kBlockSize, 0));
  EXPECT_EQ(Read(Id("k2", 0)), RandomBytes(kBlockSize, 2));
  EXPECT_EQ(Read(Id("k3", 0)), RandomBytes(kBlockSize, 3));
  // Order is now k0 k2 k3 (k3 newest); two more blocks push out k0 and k2.
  PutOk(Id("k4", 0), RandomBytes(kBlockSize, 4));
  PutOk(Id("k5", 0), RandomBytes(kBlockSize, 5));
  EXPECT_FALSE(Read(Id("k0", 0)));
  EXPECT_FALSE(Read(Id("k2", 0)));
  EXPECT_TRUE(Read(Id("k3", 0)));
  CacheStats stats = cache_->stats();
  EXPECT_EQ(stats.evictions, 3u);
  EXPECT_EQ(stats.blocks, 3u);
  EXPECT_EQ(stats.bytes_used, 3 * file_size);
  EXPECT_EQ(CountRegularFiles(dir_.path() / "cache" / "v1") - 1, 3u);  // minus the lock file
}

TEST_F(BlockCacheTest, ABlockTooBigForTheWholeLimitIsRefused) {
  OpenCache(kBlockSize);  // a full block's file is its header larger than the limit
  Status status = cache_->Put(Id("k", 0), RandomBytes(kBlockSize, 8));
  EXPECT_EQ(status.code(), StatusCode::kResourceExhausted);
  PutOk(Id("k", 1), RandomBytes(kBlockSize - 100, 9));
  EXPECT_TRUE(Read(Id("k", 1)));
}

TEST_F(BlockCacheTest, ACorruptDataByteIsAMissAndTheFileIsDeleted) {
  const BlockId id = Id("k", 0);
  PutOk(id, RandomBytes(kBlockSize, 10));
  std::string content = FileContent(BlockFile(id));
  content[content.size() - 100] ^= 0x04;
  WriteFile(BlockFile(id), content);

  EXPECT_FALSE(Read(id));
  EXPECT_FALSE(fs::exists(BlockFile(id)));
  CacheStats stats = cache_->stats();
  EXPECT_EQ(stats.corrupt_blocks, 1u);
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.blocks, 0u);
  EXPECT_EQ(stats.bytes_used, 0u);
  EXPECT_FALSE(Read(id));  // an ordinary miss now
  EXPECT_EQ(cache_->stats().corrupt_blocks, 1u);
  PutOk(id, RandomBytes(kBlockSize, 10));  // and the block can be cached again
  EXPECT_EQ(Read(id), RandomBytes(kBlockSize, 10));
}

TEST_F(BlockCacheTest, ATruncatedFileIsAMiss) {
  const BlockId id = Id("k", 0);
  PutOk(id, RandomBytes(kBlockSize, 11));
  fs::resize_file(BlockFile(id), BlockHeaderSize(id) + 10);
  EXPECT_FALSE(Read(id));
  EXPECT_FALSE(fs::exists(BlockFile(id)));
  EXPECT_EQ(cache_->stats().corrupt_blocks, 1u);

  PutOk(id, RandomBytes(kBlockSize, 11));
  fs::resize_file(BlockFile(id), 5);  // inside the header
  EXPECT_FALSE(Read(id));
  EXPECT_EQ(cache_->stats().corrupt_blocks, 2u);
}

TEST_F(BlockCacheTest, AFileOfAnotherBlockAtThisPathIsAMiss) {
  // Same sizes, so only the header's fields tell the two apart.
  const BlockId mine = Id("k1", 0);
  const BlockId other = Id("k2", 0);
  PutOk(mine, RandomBytes(kBlockSize, 12));
  PutOk(other, RandomBytes(kBlockSize, 13));
  fs::copy_file(BlockFile(other), BlockFile(mine), fs::copy_options::overwrite_existing);
  EXPECT_FALSE(Read(mine));
  EXPECT_FALSE(fs::exists(BlockFile(mine)));
  EXPECT_EQ(cache_->stats().corrupt_blocks, 1u);
  EXPECT_EQ(Read(other), RandomBytes(kBlockSize, 13));

  // Block 1 of the same object copied over block 0: the index in the header differs.
  PutOk(Id("k2", 1), RandomBytes(kBlockSize, 14));
  fs::copy_file(BlockFile(Id("k2", 1)), BlockFile(other), fs::copy_options::overwrite_existing);
  EXPECT_FALSE(Read(other));
  EXPECT_EQ(cache_->stats().corrupt_blocks, 2u);
}

TEST_F(BlockCacheTest, AFileRemovedBehindTheCacheIsForgotten) {
  PutOk(Id("k", 0), RandomBytes(100, 15));
  fs::remove(BlockFile(Id("k", 0)));
  EXPECT_FALSE(Read(Id("k", 0)));
  EXPECT_EQ(cache_->stats().blocks, 0u);
  EXPECT_EQ(cache_->stats().bytes_used, 0u);
  EXPECT_EQ(cache_->stats().corrupt_blocks, 0u);
}

TEST_F(BlockCacheTest, TempFilesAreSweptAtOpen) {
  const fs::path tmp = dir_.path() / "cache" / "v1" / "tmp";
  ASSERT_TRUE(fs::is_directory(tmp));
  PutOk(Id("k", 0), RandomBytes(100, 16));
  cache_.reset();
  WriteFile(tmp / "0000000000000007", "half a block");
  WriteFile(tmp / "leftover", "x");
  OpenCache(64 * kBlockSize);
  EXPECT_TRUE(fs::is_empty(tmp));
  EXPECT_EQ(Read(Id("k", 0)), RandomBytes(100, 16));
  EXPECT_EQ(cache_->stats().blocks, 1u);
}

TEST_F(BlockCacheTest, AReopenedCacheKeepsItsBlocks) {
  for (int i = 0; i < 5; ++i) PutOk(Id("obj", i), RandomBytes(kBlockSize - i, 20 + i));
  const CacheStats before = cache_->stats();
  OpenCache(64 * kBlockSize);  // simulated remount
  const CacheStats after = cache_->stats();
  EXPECT_EQ(after.blocks, 5u);
  EXPECT_EQ(after.bytes_used, before.bytes_used);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Read(Id("obj", i)), RandomBytes(kBlockSize - i, 20 + i));
  EXPECT_EQ(cache_->stats().hits, 5u);
  // A damaged file found after the remount is still caught on its first read.
  std::string content = FileContent(BlockFile(Id("obj", 0)));
  content[BlockHeaderSize(Id("obj", 0)) + 1] ^= 0x01;
  WriteFile(BlockFile(Id("obj", 0)), content);
  OpenCache(64 * kBlockSize);
  EXPECT_FALSE(Read(Id("obj", 0)));
  EXPECT_EQ(cache_->stats().corrupt_blocks, 1u);
}

TEST_F(BlockCacheTest, AReopenWithALowerLimitEvictsTheLeastRecentlyUsedFiles) {
  const uint64_t file_size = FileSize(Id("k0", 0), kBlockSize);
  for (int i = 0; i < 4; ++i) PutOk(Id("k" + std::to_string(i), 0), RandomBytes(kBlockSize, i));
  // Last use as the file times record it: k2 oldest, then k0, k3, k1.
  const int order[] = {2, 0, 3, 1};
  for (int rank = 0; rank < 4; ++rank) {
    timespec times[2] = {{1'700'000'000 + rank, 0}, {1'700'000'000 + rank, 0}};
    const std::string path = BlockFile(Id("k" + std::to_string(order[rank]), 0)).string();
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  }
  OpenCache(2 * file_size);
  CacheStats stats = cache_->stats();
  EXPECT_EQ(stats.blocks, 2u);
  EXPECT_EQ(stats.evictions, 2u);
  EXPECT_FALSE(fs::exists(BlockFile(Id("k2", 0))));
  EXPECT_FALSE(fs::exists(BlockFile(Id("k0", 0))));
  EXPECT_EQ(Read(Id("k3", 0)), RandomBytes(kBlockSize, 3));
  EXPECT_EQ(Read(Id("k1", 0)), RandomBytes(kBlockSize, 1));
}

TEST_F(BlockCacheTest, ConcurrentGetsAndPutsNeverReturnWrongBytes) {
  // 4 objects x 8 blocks of content fixed by the id; room for 10 block files, so the 8 threads
  // keep evicting each other's blocks while reading and replacing them.
  const uint64_t file_size = FileSize(Id("obj-0", 0), kBlockSize);
  OpenCache(10 * file_size);
  auto content = [](int object, int block) {
    const size_t size = block == 7 ? 1234 : kBlockSize;  // a short last block
    return RandomBytes(size, 1000 + object * 8 + block);
  };
  std::vector<std::vector<std::byte>> expected;
  for (int object = 0; object < 4; ++object) {
    for (int block = 0; block < 8; ++block) expected.push_back(content(object, block));
  }
  std::atomic<int> wrong{0};
  std::atomic<int> put_errors{0};
  std::atomic<int> hits{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      std::vector<std::byte> out(kBlockSize);
      for (int i = 0; i < 1500; ++i) {
        const int n = static_cast<int>(rng() % 32);
        const BlockId id = Id("obj-" + std::to_string(n / 8), n % 8);
        if (rng() % 3 == 0) {
          Status status = cache_->Put(id, expected[n]);
          if (!status.ok()) {
            ++put_errors;
            ADD_FAILURE() << status.ToString();
          }
        } else if (std::optional<size_t> got = cache_->Get(id, out)) {
          ++hits;
          if (*got != expected[n].size() ||
              !std::equal(expected[n].begin(), expected[n].end(), out.begin())) {
            ++wrong;
          }
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(put_errors.load(), 0);
  EXPECT_GT(hits.load(), 0);

  const CacheStats stats = cache_->stats();
  EXPECT_LE(stats.bytes_used, 10 * file_size);
  EXPECT_GT(stats.evictions, 0u);
  EXPECT_EQ(stats.corrupt_blocks, 0u);
  // The books match the disk: every indexed block has its file, no file is unaccounted for.
  uint64_t bytes_on_disk = 0;
  size_t files_on_disk = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir_.path() / "cache" / "v1")) {
    if (!entry.is_regular_file() || entry.path().filename() == "lock") continue;
    EXPECT_NE(entry.path().parent_path().filename(), "tmp") << entry.path();
    bytes_on_disk += entry.file_size();
    ++files_on_disk;
  }
  EXPECT_EQ(files_on_disk, stats.blocks);
  EXPECT_EQ(bytes_on_disk, stats.bytes_used);
  for (int n = 0; n < 32; ++n) {
    std::optional<std::vector<std::byte>> got = Read(Id("obj-" + std::to_string(n / 8), n % 8));
    if (got) {
      EXPECT_EQ(*got, expected[n]) << n;
    }
  }
}

}  // namespace
}  // namespace trainload::cache
