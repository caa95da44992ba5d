// Many threads against one ObjectStore: readers always see one complete version, conditional
// creates have exactly one winner, and no object is ever committed into a deleted bucket.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <shared_mutex>
#include <thread>
#include <vector>

#include "server/storage/fair_shared_mutex.h"
#include "server/storage/object_store.h"
#include "server/storage/storage_test_support.h"
#include "server/storage/store_core.h"

namespace trainload::storage {
namespace {

using testing::Put;
using testing::ReadAll;
using testing::Record;
using testing::Stage;

// Version v of a key: "<v>:" then a pattern that depends on v, with a length that depends on v,
// split over 1-3 segments. Any mix of two versions or a torn file breaks the check.
std::string VersionContent(uint64_t version) {
  size_t length = 1 + (version * 2654435761u) % 40000;
  std::string content = std::to_string(version) + ":";
  for (size_t i = 0; i < length; ++i)
    content.push_back(static_cast<char>('a' + (version + i) % 26));
  return content;
}

// Returns the version if `content` is exactly one complete version, else nullopt.
std::optional<uint64_t> ParseVersion(const std::string& content) {
  size_t colon = content.find(':');
  if (colon == std::string::npos) return std::nullopt;
  uint64_t version = std::stoull(content.substr(0, colon));
  if (content != VersionContent(version)) return std::nullopt;
  return version;
}

class ConcurrencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*ObjectStore::Open({dir_.path(), /*fsync=*/false}, clock_));
    ASSERT_TRUE(store_->CreateBucket("bkt", "r", BucketKind::kGeneralPurpose));
  }

  Status WriteVersion(const std::string& key, uint64_t version) {
    std::string content = VersionContent(version);
    std::vector<StagedData> pieces;
    size_t cuts = version % 3;  // 1 to 3 segments
    size_t step = content.size() / (cuts + 1) + 1;
    for (size_t pos = 0; pos < content.size(); pos += step) {
      TL_ASSIGN_OR_RETURN(StagedData piece, Stage(*store_, content.substr(pos, step)));
      pieces.push_back(std::move(piece));
    }
    return StatusOf(store_->CommitSegments("bkt", Record(key, std::to_string(version)),
                                           std::move(pieces), CommitMode::kReplace));
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_F(ConcurrencyTest, ReadersAlwaysSeeACompleteVersionWhileWritersOverwrite) {
  const std::vector<std::string> keys = {"shared", "k1", "k2", "k3"};
  constexpr int kWriters = 8;
  constexpr int kReaders = 8;
  constexpr int kWritesPerWriter = 60;
  std::atomic<int> writers_left{kWriters};
  std::atomic<int> bad_reads{0};
  std::atomic<int> good_reads{0};
  std::atomic<int> write_errors{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kWritesPerWriter; ++i) {
        // Half the writes go to the shared key, the rest spread over the others.
        const std::string& key = i % 2 == 0 ? keys[0] : keys[1 + (w + i) % 3];
        if (!WriteVersion(key, static_cast<uint64_t>(w) * 1000 + i + 1).ok()) ++write_errors;
      }
      --writers_left;
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      int i = 0;
      while (writers_left > 0) {
        const std::string& key = keys[(r + i++) % keys.size()];
        auto reader = store_->OpenObject("bkt", key);
        if (!reader) {
          if (reader.error().code() != StatusCode::kNotFound) ++bad_reads;
          continue;
        }
        auto content = ReadAll(**reader);
        std::optional<uint64_t> version = content ? ParseVersion(*content) : std::nullopt;
        // The bytes are one complete version, and it is the version the record names.
        if (!version || std::to_string(*version) != (*reader)->record().etag) {
          ++bad_reads;
        } else {
          ++good_reads;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(write_errors, 0);
  EXPECT_EQ(bad_reads, 0);
  EXPECT_GT(good_reads, 0);
  // Every replaced file was removed: one to three files per key remain.
  size_t files = *store_->CountObjectFiles();
  size_t expected = 0;
  for (const std::string& key : keys) expected += store_->Head("bkt", key)->segments.size();
  EXPECT_EQ(files, expected);
  EXPECT_EQ(*store_->CountTmpFiles(), 0u);
}

TEST_F(ConcurrencyTest, AReadAfterACommitReturnsNeverSeesAnOlderVersion) {
  // Readers keep loading the key into the record cache while the writer commits; each version
  // the writer commits must be what its own next read sees, never one a reader cached before.
  constexpr int kVersions = 300;
  constexpr int kReaders = 4;
  std::atomic<bool> done{false};
  std::atomic<int> stale{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&] {
      while (!done) {
        auto reader = store_->OpenObject("bkt", "hot");
        if (!reader) continue;  // between a delete and the next write
        auto content = ReadAll(**reader);
        std::optional<uint64_t> version = content ? ParseVersion(*content) : std::nullopt;
        if (!version || std::to_string(*version) != (*reader)->record().etag) ++stale;
      }
    });
  }
  for (uint64_t version = 1; version <= kVersions; ++version) {
    ASSERT_TRUE(WriteVersion("hot", version).ok());
    auto head = store_->Head("bkt", "hot");
    ASSERT_TRUE(head) << head.error().ToString();
    EXPECT_EQ(head->etag, std::to_string(version));
    auto reader = store_->OpenObject("bkt", "hot");
    ASSERT_TRUE(reader);
    EXPECT_EQ(ParseVersion(*ReadAll(**reader)), version);
    if (version % 50 == 0) {
      ASSERT_TRUE(*store_->Delete("bkt", "hot"));
      EXPECT_EQ(store_->Head("bkt", "hot").error().code(), StatusCode::kNotFound);
    }
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(stale, 0);
}

TEST_F(ConcurrencyTest, IfNoneMatchCreatorsHaveExactlyOneWinner) {
  constexpr int kThreads = 16;
  constexpr int kRounds = 40;
  auto if_none_match = [](const ObjectRecord* current) {
    return current ? FailedPrecondition("exists") : Status::Ok();
  };
  for (int round = 0; round < kRounds; ++round) {
    std::string key = "race/" + std::to_string(round);
    std::atomic<int> winners{0};
    std::atomic<int> losers{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        auto data = Stage(*store_, "writer " + std::to_string(t));
        while (!go) std::this_thread::yield();
        auto result =
            store_->Commit("bkt", Record(key, std::to_string(t)), std::move(*data), if_none_match);
        if (result) {
          ++winners;
        } else if (result.error().code() == StatusCode::kFailedPrecondition) {
          ++losers;
        }
      });
    }
    go = true;
    for (auto& t : threads) t.join();
    ASSERT_EQ(winners, 1) << key;
    ASSERT_EQ(losers, kThreads - 1) << key;
    // The stored bytes are the winner's.
    auto head = store_->Head("bkt", key);
    EXPECT_EQ(*testing::Get(*store_, "bkt", key), "writer " + head->etag);
  }
  EXPECT_EQ(*store_->CountObjectFiles(), static_cast<size_t>(kRounds))
      << "losers' staged files were removed";
}

TEST_F(ConcurrencyTest, NoObjectIsEverCommittedIntoADeletedBucket) {
  // With fsync on, a commit waiting for a key lock (held by the deleter's synced Delete of that
  // key) has long since checked that the bucket exists: without the bucket guard it would
  // then commit into the bucket the deleter just removed.
  store_.reset();
  store_ = std::move(*ObjectStore::Open({dir_.path(), /*fsync=*/true}, clock_));
  constexpr int kWriters = 6;
  constexpr int kRounds = 10;
  std::atomic<bool> stop{false};
  std::atomic<int> committed{0};
  std::atomic<int> unexpected_errors{0};
  // Failed DeleteBucket attempts in a row: writers widen their gaps as it grows, so that on a
  // loaded machine the deleter still finds the bucket empty without the race going away.
  std::atomic<int> deleter_misses{0};
  // Writers hold this shared while they write; the checker takes it exclusively to look at a
  // quiet store.
  FairSharedMutex phase;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      std::mt19937 rng(w);
      while (!stop) {
        std::shared_lock lock(phase);
        std::string key = "obj" + std::to_string(rng() % 4);
        auto result = Put(*store_, "volatile", key, "x");
        if (result) {
          ++committed;
        } else if (result.error().code() != StatusCode::kNotFound) {
          ++unexpected_errors;
        }
        // Multipart parts race with the bucket deletion too.
        auto upload = store_->CreateUpload("volatile", key, {});
        if (upload) {
          (void)store_->PutPart("volatile", key, upload->upload_id, 1, {}, *Stage(*store_, "p"));
        }
        lock.unlock();
        // Leave gaps in which the deleter can find the bucket empty.
        const int widen = std::min(deleter_misses.load(), 100) * 50;
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 300 + widen));
      }
    });
  }
  for (int round = 0; round < kRounds; ++round) {
    ASSERT_TRUE(store_->CreateBucket("volatile", "r", BucketKind::kGeneralPurpose));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    // Empty it and delete it while the writers keep writing.
    int attempts = 0;
    while (true) {
      auto page = store_->List("volatile", {});
      ASSERT_TRUE(page);
      for (const ObjectRecord& r : page->objects) (void)store_->Delete("volatile", r.key);
      Status deleted = store_->DeleteBucket("volatile");
      if (deleted.ok()) break;
      ASSERT_EQ(deleted.code(), StatusCode::kFailedPrecondition) << deleted.ToString();
      ASSERT_LT(++attempts, 10000);
      ++deleter_misses;
    }
    deleter_misses = 0;
    // Let writers hammer the deleted bucket for a moment, then look with them paused.
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::unique_lock quiet(phase);
    EXPECT_EQ(store_->GetBucket("volatile").error().code(), StatusCode::kNotFound);
    ASSERT_TRUE(store_->CreateBucket("volatile", "r", BucketKind::kGeneralPurpose));
    auto page = store_->List("volatile", {});
    ASSERT_TRUE(page);
    EXPECT_TRUE(page->objects.empty()) << "round " << round << ": " << page->objects[0].key;
    EXPECT_TRUE(store_->ListUploads("volatile", {})->uploads.empty()) << "round " << round;
    ASSERT_TRUE(store_->DeleteBucket("volatile").ok());
    EXPECT_EQ(*store_->CountObjectFiles(), 0u) << "round " << round << ": files leaked";
  }
  stop = true;
  for (auto& t : writers) t.join();
  EXPECT_EQ(unexpected_errors, 0);
  EXPECT_GT(committed, 0);
}

}  // namespace
}  // namespace trainload::storage
