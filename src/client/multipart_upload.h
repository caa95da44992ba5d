// Multipart uploads as the client runs them (S3Client::Upload, OpenWriter and Copy live in
// multipart_upload.cc on top of these pieces):
// - MultipartUpload: one upload from CreateMultipartUpload (CRC64NVME, FULL_OBJECT) to
//   CompleteMultipartUpload or AbortMultipartUpload. Parts carry their CRC64NVME; Complete sends
//   the list with each part's checksum, retries an <Error> that arrives inside a 200, and checks
//   the full-object CRC the server reports against the parts' CRCs combined.
// - PartRunner: the parts of one transfer on the client's TaskPool, a bounded number at once,
//   keeping the first failure and submitting nothing after it.
// - MultipartCopy: the UploadPartCopy half of Copy, exposed so tests can run it on small objects.
//
// MultipartUpload and PartRunner are thread-safe. None of these may be used from the client's
// own pool threads (a transfer waiting on the pool from inside it could wait for itself).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "client/task_pool.h"
#include "trainload/client.h"

namespace trainload::client {

class S3Client;
struct S3Request;

// S3 copies at most 5 GiB with one CopyObject; larger sources are copied part by part.
inline constexpr uint64_t kMaxCopyObjectSize = 5ull << 30;
// Parts of a multipart copy are at least this large: the server moves the bytes, so larger
// parts cost no client memory and mean fewer requests.
inline constexpr uint64_t kMinCopyPartSize = 512ull << 20;
// Attempts at an operation whose 200 response carries a transient <Error> (InternalError,
// SlowDown, ...): Requester retries only HTTP 5xx, so these are retried here.
inline constexpr int kInBodyErrorAttempts = 3;

// A part as the server accepted it: what CompleteMultipartUpload lists and what the full-object
// CRC is combined from.
struct UploadedPart {
  uint32_t number = 0;
  uint64_t size = 0;
  std::string etag;       // without quotes
  std::string crc64nvme;  // raw 8 bytes; empty when the server reported none (copy parts)
};

class MultipartUpload {
 public:
  // CreateMultipartUpload for bucket/key with x-amz-checksum-algorithm CRC64NVME, checksum type
  // FULL_OBJECT, and `options`' content type, metadata and storage class (its conditions belong
  // to Complete). Errors: the server's (NoSuchBucket, AccessDenied, ...) naming bucket and key.
  static Result<std::unique_ptr<MultipartUpload>> Create(S3Client& client, std::string_view bucket,
                                                         std::string_view key,
                                                         const PutOptions& options);

  // UploadPart `number` (1..10000) with `data`, its CRC64NVME in x-amz-checksum-crc64nvme;
  // retried by the Requester (UploadPart is idempotent). Records the part on success.
  Status UploadPart(uint32_t number, std::span<const std::byte> data);
  // UploadPart `number` with bytes `range` of the open file `fd` (named `path` in messages),
  // whose raw CRC64NVME the caller has computed; the body is read from the file when sent
  // (without a copy over plain HTTP). If the file changes in between, the server refuses the
  // part (BadDigest), or a short file fails it with kAborted.
  Status UploadFilePart(uint32_t number, int fd, const std::string& path, ByteRange range,
                        std::string crc64nvme);

  // UploadPartCopy `number` from bytes `range` of source_bucket/source_key, only while the
  // source's ETag is `source_etag` (else PreconditionFailed). Records the part on success.
  Status CopyPart(uint32_t number, std::string_view source_bucket, std::string_view source_key,
                  ByteRange range, std::string_view source_etag);

  // CompleteMultipartUpload with every recorded part in ascending order, `options`' If-None-Match
  // / If-Match, and the parts' combined CRC64NVME (x-amz-checksum-crc64nvme, which servers that
  // support it check before committing). A transient <Error> inside the 200 is retried up to
  // kInBodyErrorAttempts times; NoSuchUpload after a retry is success when the key now holds
  // this upload's ETag (an earlier attempt committed and its response was lost). Errors: the
  // server's, or kDataLoss when the full-object CRC64NVME the server returns differs from the
  // parts' CRCs combined (the object is then already written). Call once.
  Result<PutResult> Complete(const PutOptions& options);

  // AbortMultipartUpload, best effort (its error is returned, callers usually drop it): frees
  // the parts on the server. NoSuchUpload counts as done.
  Status Abort();

  // The recorded parts' combined CRC64NVME (raw), or "" if a part has none.
  std::string CombinedCrc() const;

  const std::string& upload_id() const { return upload_id_; }
  // "s3://bucket/key", for messages.
  std::string Describe() const;

 private:
  MultipartUpload(S3Client& client, std::string bucket, std::string key, std::string upload_id);
  void Record(UploadedPart part);
  // Sends `request` (an UploadPart with its body set) for part `number` of `size` bytes whose
  // raw CRC64NVME is `crc`, checks the answer and records the part.
  Status SendPart(S3Request& request, uint32_t number, uint64_t size, std::string crc);
  // The ETag S3 gives the completed object: hex MD5 of the parts' binary MD5s, "-N"; empty if a
  // part's ETag is not an MD5 (SSE-KMS, directory buckets).
  std::string ExpectedETag(const std::vector<UploadedPart>& parts) const;

  S3Client& client_;
  const std::string bucket_;
  const std::string key_;
  const std::string upload_id_;
  mutable std::mutex mu_;
  std::vector<UploadedPart> parts_;  // guarded by mu_
};

class PartRunner {
 public:
  // At most `window` (>= 1) parts of this transfer run or wait in `pool` at once.
  PartRunner(TaskPool& pool, size_t window);
  // Waits for the parts still running.
  ~PartRunner();
  PartRunner(const PartRunner&) = delete;
  PartRunner& operator=(const PartRunner&) = delete;

  // Blocks while `window` parts are outstanding, then queues `part` on the pool. Once a part has
  // failed, returns that first failure instead and queues nothing.
  Status Submit(std::function<Status()> part);
  // Waits until no part is outstanding; returns the first failure (ok if none).
  Status Wait();
  // The first failure so far, without waiting.
  Status status() const;

 private:
  TaskPool& pool_;
  const size_t window_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  size_t outstanding_ = 0;  // guarded by mu_
  Status first_error_;      // guarded by mu_
};

// Copies `source` (as Head returned it for source_bucket/source.key) to bucket/key with
// UploadPartCopy in parts of `part_size` bytes, in parallel, each pinned to source.etag with
// x-amz-copy-source-if-match. The new object gets `options`' content type and metadata when
// given, else the source's (as CopyObject's COPY directive would); conditions go on Complete.
// When the source has a full-object CRC64NVME, the copied parts' CRCs must combine to it.
// Errors: a source replaced during the copy is kAborted with reason PreconditionFailed; any
// failure aborts the upload and names the part.
Result<PutResult> MultipartCopy(S3Client& client, std::string_view source_bucket,
                                const ObjectInfo& source, std::string_view bucket,
                                std::string_view key, const PutOptions& options,
                                uint64_t part_size);

}  // namespace trainload::client
