// trainload's S3 client: every S3 operation the CLI, the FUSE mount and the PyTorch connector
// need, over any S3 (Amazon S3, MinIO, Ceph RGW, trainload server), with a transfer engine that
// moves large objects as many ranged part GETs and parallel multipart uploads.
//
// Rules (docs/client.md): all transfers of one Client share one connection budget and one
// memory budget (ClientOptions::max_memory); retries apply to idempotent requests only, with
// exponential backoff and full jitter; every part GET after the first carries If-Match with the
// object's ETag, so an object replaced mid-read fails (kAborted, reason "PreconditionFailed")
// instead of mixing two versions; uploads send CRC64NVME checksums and downloads verify the
// checksum the server returns for whole objects.
//
// Errors are Status values whose reason() is the S3 error code when the server sent one
// (NoSuchKey, AccessDenied, ...) and whose message names the operation, bucket and key, and says
// when retries were exhausted.
//
// Client is thread-safe: call any method from any thread. Readers and writers it returns are not
// (one thread each) and must not outlive the Client.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "trainload/client_options.h"
#include "trainload/status.h"

namespace trainload {

// An inclusive byte range [first, last].
struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;
  uint64_t length() const { return last - first + 1; }
};

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  std::string etag;  // without quotes
  int64_t last_modified_ms = 0;
  std::string content_type;
  std::string storage_class;  // empty: STANDARD
  std::map<std::string, std::string> metadata;  // x-amz-meta-*, names lowercased, no prefix
  std::string checksum_algorithm;  // "CRC64NVME", ... when the server returned one
  std::string checksum;            // base64, as on the wire ("...-N" for composite)
  uint32_t parts_count = 0;        // when known (multipart objects)
};

struct ListOptions {
  std::string prefix{};
  std::string delimiter{};
  std::string start_after{};
  std::string continuation_token{};
  int max_keys = 1000;
};

struct ListPage {
  std::vector<ObjectInfo> objects;  // key, size, etag, last_modified_ms, storage_class
  std::vector<std::string> common_prefixes;
  std::string next_continuation_token;  // empty on the last page
};

struct BucketInfo {
  std::string name;
  int64_t created_ms = 0;
  std::string region;
};

// Called with the number of bytes moved since the previous call; from transfer threads.
using ProgressFn = std::function<void(uint64_t bytes)>;

struct PutOptions {
  std::string content_type;
  std::map<std::string, std::string> metadata;  // sent as x-amz-meta-*
  std::string storage_class;
  bool if_none_match = false;  // create only: PreconditionFailed if the key exists
  std::string if_match;        // replace only this ETag
  ProgressFn progress;
};

struct PutResult {
  std::string etag;
  std::string checksum;  // base64 of what the server stored, when it said
};

struct GetOptions {
  std::string if_match;  // fail with PreconditionFailed unless the object has this ETag
  ProgressFn progress;
  // Download(): the object's size when already known (e.g. from a listing). An object up to
  // part_size is then fetched with a single GET and no HEAD first.
  std::optional<uint64_t> size_hint;
};

struct DeleteError {
  std::string key;
  Status status;
};

// Sequential reading of one object, with the next parts prefetched (bounded by the client's
// memory budget) and delivered strictly in order.
class ObjectReader {
 public:
  virtual ~ObjectReader() = default;
  // Fills `out` with the next bytes; returns fewer only at the end (0 there).
  virtual Result<size_t> Read(std::span<std::byte> out) = 0;
  // Hands every remaining byte to `sink`, in order, in pieces lent from the reader's own
  // buffers (valid during the call): no copy into a caller's buffer. Stops at the first error,
  // the sink's or the reader's. The default reads through a 1 MiB buffer.
  virtual Status ReadAll(const std::function<Status(std::span<const std::byte>)>& sink);
  virtual const ObjectInfo& info() const = 0;
};

// Streams an object of unknown length: parts are uploaded in parallel as they fill; the object
// appears only at Close(). Destroying an unclosed writer aborts the upload.
class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  virtual Status Write(std::span<const std::byte> data) = 0;
  virtual Result<PutResult> Close() = 0;
  virtual void Abort() = 0;
};

class Client {
 public:
  // Resolves options against the environment and config files (client_options.h) and starts
  // the transfer engine. Errors: an unparsable endpoint or config file, missing credentials.
  static Result<std::unique_ptr<Client>> Create(const ClientOptions& options);
  virtual ~Client() = default;

  // The options after resolution (endpoint, region, connection count, ...).
  virtual const ClientOptions& options() const = 0;

  // Buckets.
  virtual Result<std::vector<BucketInfo>> ListBuckets() = 0;
  virtual Status CreateBucket(std::string_view bucket) = 0;
  virtual Status DeleteBucket(std::string_view bucket) = 0;
  virtual Status HeadBucket(std::string_view bucket) = 0;

  // Reading.
  virtual Result<ObjectInfo> Head(std::string_view bucket, std::string_view key) = 0;
  // The whole object in memory (small objects).
  virtual Result<std::string> Get(std::string_view bucket, std::string_view key,
                                  const GetOptions& options = {}) = 0;
  // The whole object into `out`, verified as Get verifies it; returns its size. kOutOfRange
  // (and `out` holds nothing useful) when the object is larger than `out`. Spares Get's string
  // when the caller knows the size (e.g. from a listing) and owns the memory.
  virtual Result<size_t> GetInto(std::string_view bucket, std::string_view key,
                                 std::span<std::byte> out, const GetOptions& options = {});
  // Bytes [range.first, range.last] into `out` (at least range.length() bytes); returns how
  // many arrived (fewer only when the object ends first). One ranged GET, retried as needed.
  virtual Result<size_t> GetRange(std::string_view bucket, std::string_view key, ByteRange range,
                                  std::span<std::byte> out, const GetOptions& options = {}) = 0;
  virtual Result<std::unique_ptr<ObjectReader>> OpenReader(std::string_view bucket,
                                                           std::string_view key,
                                                           const GetOptions& options = {}) = 0;
  // The whole object into `path`, as parallel ranged GETs written in place; nothing is left
  // under `path` unless the download completed and verified (a temp file is renamed).
  virtual Result<ObjectInfo> Download(std::string_view bucket, std::string_view key,
                                      const std::string& path,
                                      const GetOptions& options = {}) = 0;

  // Writing.
  virtual Result<PutResult> Put(std::string_view bucket, std::string_view key,
                                std::span<const std::byte> data,
                                const PutOptions& options = {}) = 0;
  // A file: one PUT up to part_size, else a parallel multipart upload.
  virtual Result<PutResult> Upload(std::string_view bucket, std::string_view key,
                                   const std::string& path, const PutOptions& options = {}) = 0;
  virtual Result<std::unique_ptr<ObjectWriter>> OpenWriter(std::string_view bucket,
                                                           std::string_view key,
                                                           const PutOptions& options = {}) = 0;
  // Server-side copy: CopyObject up to 5 GiB, multipart UploadPartCopy beyond.
  virtual Result<PutResult> Copy(std::string_view source_bucket, std::string_view source_key,
                                 std::string_view bucket, std::string_view key,
                                 const PutOptions& options = {}) = 0;

  // Listing.
  virtual Result<ListPage> List(std::string_view bucket, const ListOptions& options) = 0;
  // Every page in turn; `visit` returns false to stop early.
  virtual Status ListAll(std::string_view bucket, ListOptions options,
                         const std::function<bool(const ListPage&)>& visit) = 0;

  // Deleting. A missing key is not an error (as in S3).
  virtual Status Delete(std::string_view bucket, std::string_view key) = 0;
  // Batches of up to 1000 keys; returns the keys that failed.
  virtual Result<std::vector<DeleteError>> DeleteMany(std::string_view bucket,
                                                      const std::vector<std::string>& keys) = 0;

  // A presigned URL for `method` ("GET", "PUT", ...) valid for `expires_seconds` (1..604800).
  virtual Result<std::string> Presign(std::string_view method, std::string_view bucket,
                                      std::string_view key, int64_t expires_seconds) = 0;
};

}  // namespace trainload
