// An in-memory trainload::Client for the file system's unit tests: buckets of objects in a map,
// listings with prefix, delimiter, start-after, continuation and max-keys in UTF-8 byte order,
// HEAD/GET/ranged GET with If-Match, PUT, streaming writers (visible at Close) and DELETE.
// Errors carry S3 reasons as the real client's do (NoSuchKey, NoSuchBucket,
// PreconditionFailed). Counters of each operation let tests see what a cache saved; a scripted
// error can be made to answer every request.
//
// Thread-safe. Operations the file system does not use return kUnimplemented.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "trainload/client.h"

namespace trainload::fs {

class FakeClient final : public Client {
 public:
  struct Counters {
    uint64_t heads = 0;
    uint64_t lists = 0;
    uint64_t gets = 0;
    uint64_t puts = 0;
    uint64_t deletes = 0;
  };

  FakeClient();

  void CreateBucketNow(const std::string& bucket);
  // Stores an object directly (etag: a hash of the bytes and a serial), as another client would.
  std::string PutObject(const std::string& bucket, const std::string& key, std::string data,
                        int64_t mtime_ms = 1'700'000'000'000);
  std::optional<std::string> ObjectData(const std::string& bucket, const std::string& key) const;
  Counters counters() const;
  void ResetCounters();
  // Every later request fails with `status` (Ok to stop).
  void FailEverything(Status status);

  const ClientOptions& options() const override { return options_; }
  Result<std::vector<BucketInfo>> ListBuckets() override;
  Status CreateBucket(std::string_view bucket) override;
  Status DeleteBucket(std::string_view bucket) override;
  Status HeadBucket(std::string_view bucket) override;
  Result<ObjectInfo> Head(std::string_view bucket, std::string_view key) override;
  Result<std::string> Get(std::string_view bucket, std::string_view key,
                          const GetOptions& options) override;
  Result<size_t> GetRange(std::string_view bucket, std::string_view key, ByteRange range,
                          std::span<std::byte> out, const GetOptions& options) override;
  Result<std::unique_ptr<ObjectReader>> OpenReader(std::string_view bucket, std::string_view key,
                                                   const GetOptions& options) override;
  Result<ObjectInfo> Download(std::string_view bucket, std::string_view key,
                              const std::string& path, const GetOptions& options) override;
  Result<PutResult> Put(std::string_view bucket, std::string_view key,
                        std::span<const std::byte> data, const PutOptions& options) override;
  Result<PutResult> Upload(std::string_view bucket, std::string_view key, const std::string& path,
                           const PutOptions& options) override;
  Result<std::unique_ptr<ObjectWriter>> OpenWriter(std::string_view bucket, std::string_view key,
                                                   const PutOptions& options) override;
  Result<PutResult> Copy(std::string_view source_bucket, std::string_view source_key,
                         std::string_view bucket, std::string_view key,
                         const PutOptions& options) override;
  Result<ListPage> List(std::string_view bucket, const ListOptions& options) override;
  Status ListAll(std::string_view bucket, ListOptions options,
                 const std::function<bool(const ListPage&)>& visit) override;
  Status Delete(std::string_view bucket, std::string_view key) override;
  Result<std::vector<DeleteError>> DeleteMany(std::string_view bucket,
                                              const std::vector<std::string>& keys) override;
  Result<std::string> Presign(std::string_view method, std::string_view bucket,
                              std::string_view key, int64_t expires_seconds) override;

 private:
  struct Object {
    std::string data;
    std::string etag;
    int64_t mtime_ms = 0;
  };
  using Bucket = std::map<std::string, Object>;

  // REQUIRES: mu_ held. Errors: NoSuchBucket, or the scripted failure.
  Result<Bucket*> FindBucketLocked(std::string_view bucket, std::string_view operation);
  Result<const Object*> FindObjectLocked(std::string_view bucket, std::string_view key,
                                         std::string_view operation);
  static ObjectInfo Info(std::string key, const Object& object);
  std::string StoreLocked(Bucket& bucket, const std::string& key, std::string data,
                          int64_t mtime_ms);

  ClientOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, Bucket, std::less<>> buckets_;  // guarded by mu_
  Counters counters_;                                   // guarded by mu_
  Status failure_;                                      // guarded by mu_
  uint64_t serial_ = 0;                                 // guarded by mu_
};

}  // namespace trainload::fs
