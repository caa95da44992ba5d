#include "server/storage/open_file_cache.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>
#include <vector>

namespace trainload::storage {
namespace {

class OpenFileCacheTest : public testing::Test {
 protected:
  OpenFileCache::Opener CountingOpener() {
    return [this](std::string_view id) -> Result<UniqueFd> {
      ++opens_;
      if (id == "missing") return Error(NotFound("no such file"));
      return UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    };
  }
  std::atomic<int> opens_{0};
};

TEST_F(OpenFileCacheTest, HitsDoNotReopen) {
  OpenFileCache cache(4, CountingOpener());
  auto a = cache.Get("a");
  auto again = cache.Get("a");
  ASSERT_TRUE(a.has_value() && again.has_value());
  EXPECT_EQ(a->get(), again->get());
  EXPECT_EQ(opens_, 1);
  EXPECT_FALSE(cache.Get("missing").has_value());
  EXPECT_EQ(cache.size(), 1u);
}

TEST_F(OpenFileCacheTest, EvictsLeastRecentlyUsed) {
  OpenFileCache cache(2, CountingOpener());
  (void)cache.Get("a");
  (void)cache.Get("b");
  (void)cache.Get("a");  // a is now the most recent
  (void)cache.Get("c");  // evicts b
  EXPECT_EQ(cache.size(), 2u);
  opens_ = 0;
  (void)cache.Get("a");
  EXPECT_EQ(opens_, 0);
  (void)cache.Get("b");
  EXPECT_EQ(opens_, 1);
}

TEST_F(OpenFileCacheTest, ForgottenFilesAreReopenedAndHeldOnlyByReaders) {
  OpenFileCache cache(4, CountingOpener());
  auto held = cache.Get("a");
  ASSERT_TRUE(held.has_value());
  cache.Forget("a");
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_GE((*held)->get(), 0);  // a reader keeps its descriptor
  (void)cache.Get("a");
  EXPECT_EQ(opens_, 2);
}

TEST_F(OpenFileCacheTest, ConcurrentUseStaysBounded) {
  OpenFileCache cache(8, CountingOpener());
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        std::string id = std::to_string((i * 7 + t) % 20);
        auto file = cache.Get(id);
        EXPECT_TRUE(file.has_value());
        if (i % 50 == 0) cache.Forget(id);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(cache.size(), 8u);
}

}  // namespace
}  // namespace trainload::storage
