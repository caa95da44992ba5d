#include "server/storage/lru_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace trainload::storage {
namespace {

using Cache = LruCache<std::string>;

// A loader that returns "<key>#<n>" where n counts its calls, so a test sees whether a value
// came from the cache (same n) or from a new load.
class CountingLoader {
 public:
  Result<Cache::Value> operator()(std::string_view key) {
    ++loads;
    if (key == "absent") return nullptr;
    if (key == "broken") return Error(Internal("cannot load broken"));
    return std::make_shared<const std::string>(std::string(key) + "#" + std::to_string(loads));
  }
  int loads = 0;
};

TEST(LruCacheTest, HitsAreServedWithoutLoading) {
  Cache cache(4);
  CountingLoader load;
  EXPECT_EQ(**cache.Get("a", std::ref(load)), "a#1");
  EXPECT_EQ(**cache.Get("a", std::ref(load)), "a#1");
  EXPECT_EQ(load.loads, 1);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(LruCacheTest, AbsentValuesAndErrorsAreNeverCached) {
  Cache cache(4);
  CountingLoader load;
  EXPECT_EQ(*cache.Get("absent", std::ref(load)), nullptr);
  EXPECT_EQ(*cache.Get("absent", std::ref(load)), nullptr);
  auto broken = cache.Get("broken", std::ref(load));
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().message(), "cannot load broken");
  (void)cache.Get("broken", std::ref(load));
  EXPECT_EQ(load.loads, 4);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(LruCacheTest, EvictsTheLeastRecentlyUsed) {
  Cache cache(2);
  CountingLoader load;
  (void)cache.Get("a", std::ref(load));
  (void)cache.Get("b", std::ref(load));
  (void)cache.Get("a", std::ref(load));  // a is now the most recent
  (void)cache.Get("c", std::ref(load));  // evicts b
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(**cache.Get("a", std::ref(load)), "a#1");
  EXPECT_EQ(**cache.Get("b", std::ref(load)), "b#4");
}

TEST(LruCacheTest, ForgetMakesTheNextGetLoadAgain) {
  Cache cache(4);
  CountingLoader load;
  auto held = *cache.Get("a", std::ref(load));
  cache.Forget("a");
  cache.Forget("never-cached");
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(*held, "a#1") << "a caller keeps the value it was given";
  EXPECT_EQ(**cache.Get("a", std::ref(load)), "a#2");
}

TEST(LruCacheTest, AValueLoadedWhileAForgetRanIsReturnedButNotCached) {
  // The load read the source before it changed; the Forget that follows the change must not
  // be undone by inserting what the load read.
  Cache cache(4);
  int loads = 0;
  auto stale_load = [&](std::string_view key) -> Result<Cache::Value> {
    ++loads;
    cache.Forget(key);  // the source changes while this load is in flight
    return std::make_shared<const std::string>("old");
  };
  EXPECT_EQ(**cache.Get("k", stale_load), "old");
  EXPECT_EQ(cache.size(), 0u);
  CountingLoader load;
  EXPECT_EQ(**cache.Get("k", std::ref(load)), "k#1");
}

TEST(LruCacheTest, ZeroCapacityCachesNothing) {
  Cache cache(0);
  CountingLoader load;
  (void)cache.Get("a", std::ref(load));
  (void)cache.Get("a", std::ref(load));
  EXPECT_EQ(load.loads, 2);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(LruCacheTest, ConcurrentUseStaysBoundedAndReturnsTheRightValues) {
  Cache cache(8);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        std::string key = std::to_string((i * 7 + t) % 20);
        auto value = cache.Get(key, [](std::string_view k) -> Result<Cache::Value> {
          return std::make_shared<const std::string>("value of " + std::string(k));
        });
        if (!value || **value != "value of " + key) ++wrong;
        if (i % 50 == 0) cache.Forget(key);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong, 0);
  EXPECT_LE(cache.size(), 8u);
}

}  // namespace
}  // namespace trainload::storage
