// S3Client: the implementation of trainload::Client (include/trainload/client.h). It owns the
// pieces every transfer shares — HTTP clients (I/O threads), the retry budget, the memory budget
// and the worker pool — and implements the operations over Requester. The transfer engine parts
// live in their own files: download.cc (parallel ranged GETs to a file), stream_reader.cc
// (OpenReader), multipart_upload.cc (Upload, OpenWriter, multipart copy).
//
// Thread-safe.
#pragma once

#include <memory>
#include <vector>

#include "client/config_resolver.h"
#include "client/memory_budget.h"
#include "client/requester.h"
#include "client/retry_policy.h"
#include "client/task_pool.h"
#include "common/time_format.h"
#include "http/client.h"
#include "trainload/client.h"

namespace trainload::client {

class S3Client final : public Client {
 public:
  static Result<std::unique_ptr<S3Client>> Create(const ResolvedConfig& config);
  ~S3Client() override;

  const ClientOptions& options() const override { return config_.options; }

  Result<std::vector<BucketInfo>> ListBuckets() override;
  Status CreateBucket(std::string_view bucket) override;
  Status DeleteBucket(std::string_view bucket) override;
  Status HeadBucket(std::string_view bucket) override;

  Result<ObjectInfo> Head(std::string_view bucket, std::string_view key) override;
  Result<std::string> Get(std::string_view bucket, std::string_view key,
                          const GetOptions& options) override;
  Result<size_t> GetInto(std::string_view bucket, std::string_view key, std::span<std::byte> out,
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

  // The shared engine, for the transfer files.
  Requester& requester() { return *requester_; }
  MemoryBudget& memory() { return memory_; }
  TaskPool& pool() { return *pool_; }

 private:
  explicit S3Client(const ResolvedConfig& config);
  Result<ObjectInfo> DownloadSmall(std::string_view bucket, std::string_view key,
                                   const std::string& path, const GetOptions& options);

  const ResolvedConfig config_;
  SystemClock clock_;
  RetryBudget retry_budget_;
  MemoryBudget memory_;
  std::unique_ptr<http::Client> http_;
  std::unique_ptr<Requester> requester_;
  std::unique_ptr<TaskPool> pool_;  // last: its tasks use everything above
};

// Object metadata from HEAD/GET response headers.
ObjectInfo ObjectInfoFromHeaders(std::string_view key, const http::Headers& headers);

// Headers of a PUT / CreateMultipartUpload carrying `options` (content type, metadata, storage
// class, conditions).
void AddPutHeaders(const PutOptions& options, http::Headers& headers);

}  // namespace trainload::client
