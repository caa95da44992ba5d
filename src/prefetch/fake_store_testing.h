// Test doubles for the prefetcher's unit tests: an in-memory object store behind the Client
// interface (only GetRange, Put and Head do anything) that counts GETs, records their ranges,
// checks If-Match like S3, and can delay or fail requests; and an in-memory BlockCache.
//
// Both are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "cache/block_cache.h"
#include "trainload/client.h"

namespace trainload::prefetch::testing {

class FakeClient final : public Client {
 public:
  // Stores `data` as bucket/key with a new etag ("etag-<n>") and returns the etag.
  std::string Store(const std::string& bucket, const std::string& key, std::string data);

  // Every GET sleeps this long before answering.
  void set_delay(std::chrono::milliseconds delay) { delay_ms_ = delay.count(); }
  // The next `n` GETs fail with kUnavailable (as after exhausted retries).
  void FailNext(int n) { fail_next_ = n; }

  int gets() const { return gets_.load(); }
  std::vector<ByteRange> ranges() const;
  int in_flight_peak() const { return in_flight_peak_.load(); }

  const ClientOptions& options() const override { return options_; }
  Result<std::vector<BucketInfo>> ListBuckets() override;
  Status CreateBucket(std::string_view) override;
  Status DeleteBucket(std::string_view) override;
  Status HeadBucket(std::string_view) override;
  Result<ObjectInfo> Head(std::string_view bucket, std::string_view key) override;
  Result<std::string> Get(std::string_view, std::string_view, const GetOptions&) override;
  Result<size_t> GetRange(std::string_view bucket, std::string_view key, ByteRange range,
                          std::span<std::byte> out, const GetOptions& options) override;
  Result<std::unique_ptr<ObjectReader>> OpenReader(std::string_view, std::string_view,
                                                   const GetOptions&) override;
  Result<ObjectInfo> Download(std::string_view, std::string_view, const std::string&,
                              const GetOptions&) override;
  Result<PutResult> Put(std::string_view bucket, std::string_view key,
                        std::span<const std::byte> data, const PutOptions&) override;
  Result<PutResult> Upload(std::string_view, std::string_view, const std::string&,
                           const PutOptions&) override;
  Result<std::unique_ptr<ObjectWriter>> OpenWriter(std::string_view, std::string_view,
                                                   const PutOptions&) override;
  Result<PutResult> Copy(std::string_view, std::string_view, std::string_view, std::string_view,
                         const PutOptions&) override;
  Result<ListPage> List(std::string_view, const ListOptions&) override;
  Status ListAll(std::string_view, ListOptions,
                 const std::function<bool(const ListPage&)>&) override;
  Status Delete(std::string_view, std::string_view) override;
  Result<std::vector<DeleteError>> DeleteMany(std::string_view,
                                              const std::vector<std::string>&) override;
  Result<std::string> Presign(std::string_view, std::string_view, std::string_view,
                              int64_t) override;

 private:
  struct Object {
    std::string data;
    std::string etag;
  };

  ClientOptions options_;
  std::atomic<int64_t> delay_ms_{0};
  std::atomic<int> fail_next_{0};
  std::atomic<int> gets_{0};
  std::atomic<int> in_flight_{0};
  std::atomic<int> in_flight_peak_{0};
  mutable std::mutex mu_;
  std::map<std::string, Object> objects_;  // guarded by mu_; "bucket/key"
  std::vector<ByteRange> ranges_;          // guarded by mu_
  int next_etag_ = 0;                      // guarded by mu_
};

class FakeBlockCache final : public cache::BlockCache {
 public:
  explicit FakeBlockCache(uint64_t block_size) : block_size_(block_size) {}

  uint64_t block_size() const override { return block_size_; }
  std::optional<size_t> Get(const cache::BlockId& id, std::span<std::byte> out) override;
  Status Put(const cache::BlockId& id, std::span<const std::byte> data) override;
  cache::CacheStats stats() const override;

  bool Has(const cache::BlockId& id) const;
  int puts() const;

 private:
  static std::string Name(const cache::BlockId& id);

  const uint64_t block_size_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> blocks_;  // guarded by mu_
  cache::CacheStats stats_;                    // guarded by mu_
  int puts_ = 0;                               // guarded by mu_
};

}  // namespace trainload::prefetch::testing
