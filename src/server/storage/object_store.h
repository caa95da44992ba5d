// ObjectStore: the server's storage engine. Buckets, objects and multipart uploads, kept as
// rows of a LevelDB metadata index (index_keys.h) plus data files named by internal ids
// (data_files.h); layout and crash behaviour are described in docs/storage-layout.md.
//
// Semantics are S3's, wire formats are not: no XML, no headers, ETags without quotes, raw
// checksum bytes. Errors carry a StatusCode and a message naming the operation, bucket and key,
// but no S3 reason; the S3 handlers map them:
//   kNotFound           the bucket, key or upload does not exist (object and upload calls do
//                       not say which of bucket/key: on kNotFound call GetBucket to tell
//                       NoSuchBucket from NoSuchKey/NoSuchUpload);
//   kAlreadyExists      CreateBucket of an existing bucket;
//   kFailedPrecondition DeleteBucket of a bucket holding objects ("bucket not empty");
//   kInvalidArgument    a bad name/key/part number, or CompleteUpload naming a part that was
//                       not uploaded or whose ETag differs (InvalidPart);
//   kResourceExhausted  disk full; kDataLoss corrupt index or missing data file;
//   whatever a CommitCheck returns, unchanged (e.g. PreconditionFailed built by the caller).
//
// Guarantees:
//   - A commit (PUT, copy, append, complete, delete) becomes visible in one atomic, durable
//     index write; a crash at any point leaves each key with its complete old or complete new
//     version, and no temp file survives a restart.
//   - Commits to one key are serialized; the CommitCheck runs under that serialization with
//     the current record, so conditional writes (If-None-Match: *, If-Match, append offsets)
//     are exact: of two concurrent creators with If-None-Match: *, exactly one wins.
//   - Readers take no locks. An ObjectReader keeps the version it opened readable even if it
//     is overwritten or deleted meanwhile.
//   - No object is ever committed into a deleted bucket.
//   - Listings stream from an index iterator: memory is O(page), and a common prefix group is
//     skipped with one seek however many keys it holds.
//
// Thread-safe: every method may be called from any thread concurrently. `clock` passed to
// Open() must outlive the store. DataWriters, StagedData and ObjectReaders may outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time_format.h"
#include "server/storage/data_files.h"
#include "server/storage/object_reader.h"
#include "server/storage/records.h"
#include "server/storage/storage_options.h"
#include "trainload/status.h"

namespace trainload::storage {

class MultipartStore;
class StoreCore;
class Sweeper;

// Page sizes are capped here whatever the caller asks (S3's limits).
inline constexpr size_t kMaxListKeys = 1000;
inline constexpr size_t kMaxListParts = 1000;
inline constexpr size_t kMaxListUploads = 1000;
inline constexpr size_t kMaxListBuckets = 10000;
inline constexpr uint32_t kMaxPartNumber = 10000;

// Called under the key's commit lock with the current record (nullptr if the key does not
// exist). A non-ok return aborts the write and is returned to the caller unchanged.
using CommitCheck = std::function<Status(const ObjectRecord* current)>;
// Like CommitCheck, and may also fill metadata of the record about to be committed (`next`),
// e.g. an append's new ETag and combined CRC computed from the current record. Changes to
// next.key, size, segments and last_modified_ms are ignored.
using CommitEdit = std::function<Status(const ObjectRecord* current, ObjectRecord& next)>;

enum class CommitMode {
  kReplace,  // the new segments replace the object (PUT, copy)
  kAppend,   // the new segments are added after the current object's (append; creates if none)
};

struct ListQuery {
  std::string prefix;
  std::string delimiter;    // empty: flat listing; any string, not only "/"
  std::string start_after;  // exclusive: a marker, continuation key or start-after key
  size_t max_keys = 1000;   // capped at kMaxListKeys; 0 gives an empty, untruncated page
};

struct ListPage {
  std::vector<ObjectRecord> objects;  // with segments
  std::vector<std::string> common_prefixes;
  // Both counted by max_keys (S3 KeyCount = objects.size() + common_prefixes.size()).
  bool truncated = false;
  std::string next_marker;  // the last key or common prefix returned; resume with start_after
};

struct BucketPage {
  std::vector<BucketInfo> buckets;  // byte order of names
  bool truncated = false;
  std::string next_marker;  // the last name returned
};

struct UploadQuery {
  std::string prefix;
  std::string delimiter;
  std::string key_marker;        // uploads of keys after this one...
  std::string upload_id_marker;  // ...or of key_marker itself with a larger upload id
  size_t max_uploads = 1000;     // capped at kMaxListUploads
};

struct UploadPage {
  std::vector<UploadInfo> uploads;  // by key, then initiation (= upload id order)
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_key_marker;        // last key or common prefix returned
  std::string next_upload_id_marker;  // last upload id returned (empty after a prefix)
};

struct PartPage {
  std::vector<PartRecord> parts;  // ascending part numbers
  bool truncated = false;
  uint32_t next_part_number_marker = 0;  // the last part number returned
};

// One <Part> of a CompleteMultipartUpload request.
struct CompletedPart {
  uint32_t part_number = 0;
  std::string etag;  // surrounding quotes, if any, are ignored
};

class ObjectStore {
 public:
  // Opens or creates the store at options.root, recovers it (tmp/ emptied, garbage unlinked)
  // and starts the background sweep of orphaned data files.
  static Result<std::unique_ptr<ObjectStore>> Open(const StorageOptions& options,
                                                   const Clock& clock);
  ~ObjectStore();
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;

  // Buckets. Names are 1-255 bytes; S3 naming rules are the caller's business.
  // kAlreadyExists if it exists (whatever its kind or region).
  Result<BucketInfo> CreateBucket(std::string_view name, std::string_view region, BucketKind kind);
  // kNotFound; kFailedPrecondition "bucket not empty" while it holds an object. In-progress
  // multipart uploads are aborted with it, in the same index write.
  Status DeleteBucket(std::string_view name);
  Result<BucketInfo> GetBucket(std::string_view name) const;
  // Buckets whose names start with `prefix`, after `start_after`, at most `max_buckets`.
  Result<BucketPage> ListBuckets(std::string_view prefix, std::string_view start_after,
                                 size_t max_buckets) const;

  // Objects. Keys are 1-1024 arbitrary bytes.
  //
  // A new data file to stream an object (or part) into; see DataWriter.
  Result<std::unique_ptr<DataWriter>> NewWriter();
  // Makes `data` the content of record.key. The caller fills key, etag, attributes, checksum
  // (and part_count/part_checksums if meaningful); the store sets size, segments and
  // last_modified_ms and returns the committed record. `check` runs under the key lock. On
  // any error the data is discarded (its file removed, or left to the sweep if the index
  // write itself failed) and the old version stays.
  Result<ObjectRecord> Commit(std::string_view bucket, ObjectRecord record, StagedData data,
                              const CommitCheck& check = {});
  // General form: the object becomes `data` (kReplace) or its current content followed by
  // `data` (kAppend; all under the key lock, so the edit sees exactly what it appends to).
  // Zero-byte StagedData adds no segment.
  Result<ObjectRecord> CommitSegments(std::string_view bucket, ObjectRecord record,
                                      std::vector<StagedData> data, CommitMode mode,
                                      const CommitEdit& edit = {});
  // kNotFound if the bucket or key does not exist.
  Result<ObjectRecord> Head(std::string_view bucket, std::string_view key) const;
  // The record plus open files for the bytes in `window` (default: all). kNotFound as Head.
  // If an overwrite removes a file between reading the record and opening it, retries with
  // the new version.
  Result<std::unique_ptr<ObjectReader>> OpenObject(std::string_view bucket, std::string_view key,
                                                   ByteWindow window = {}) const;
  // Deletes the key if it exists and `check` passes. Returns whether something was deleted;
  // a missing key is not an error (S3 DeleteObject), a missing bucket is kNotFound.
  Result<bool> Delete(std::string_view bucket, std::string_view key, const CommitCheck& check = {});
  // One page of keys in byte order. kNotFound if the bucket does not exist.
  Result<ListPage> List(std::string_view bucket, const ListQuery& query) const;
  // Copies [offset, offset + length) of an open object into a new staged file (CopyObject,
  // UploadPartCopy). kOutOfRange if the range is not inside the reader's window.
  Result<StagedData> CopyRange(const ObjectReader& source, uint64_t offset, uint64_t length);

  // Multipart uploads (multipart_store.h has the details).
  //
  // Starts an upload; the id is 64 url-safe characters, unique, and sorts by initiation time.
  Result<UploadInfo> CreateUpload(std::string_view bucket, std::string_view key,
                                  ObjectAttributes attributes,
                                  std::optional<int> checksum_algorithm = std::nullopt,
                                  bool checksum_full_object = false);
  // kNotFound unless the upload exists for exactly this bucket and key.
  Result<UploadInfo> GetUpload(std::string_view bucket, std::string_view key,
                               std::string_view upload_id) const;
  // Stores part `part_number` (1..10000) from `data`, replacing any earlier upload of that
  // part. `fields` supplies etag and checksum; the store sets the rest and returns the record.
  Result<PartRecord> PutPart(std::string_view bucket, std::string_view key,
                             std::string_view upload_id, uint32_t part_number, PartRecord fields,
                             StagedData data);
  // Parts with numbers > after_part, at most max_parts (capped at kMaxListParts).
  Result<PartPage> ListParts(std::string_view bucket, std::string_view key,
                             std::string_view upload_id, uint32_t after_part,
                             size_t max_parts) const;
  // Makes the listed parts (strictly ascending numbers, each with its current ETag, else
  // kInvalidArgument naming the part) the object, without copying data; parts not listed are
  // discarded; the upload disappears in the same index write that makes the object visible.
  // The caller computes final_record's etag, checksum and attributes; the store sets size,
  // segments, part_count, part_checksums (if every part has one) and last_modified_ms.
  Result<ObjectRecord> CompleteUpload(std::string_view bucket, std::string_view key,
                                      std::string_view upload_id,
                                      const std::vector<CompletedPart>& parts,
                                      ObjectRecord final_record, const CommitCheck& check = {});
  // Removes the upload and its part files. kNotFound if it does not exist.
  Status AbortUpload(std::string_view bucket, std::string_view key, std::string_view upload_id);
  // In-progress uploads of the bucket, by key then initiation, with common prefixes.
  Result<UploadPage> ListUploads(std::string_view bucket, const UploadQuery& query) const;

  // Diagnostics for tests and tools.
  //
  // Waits for the sweep started by Open() and returns how many orphaned files it deleted.
  Result<uint64_t> WaitForSweep();
  Result<size_t> CountTmpFiles() const;
  Result<size_t> CountObjectFiles() const;
  uint64_t generation() const;
  // The data files (e.g. DataFiles::ObjectPath for a test that inspects disk).
  const DataFiles& files() const;

 private:
  // The current record, shared (from the record cache when it is there); errors as Head.
  Result<std::shared_ptr<const ObjectRecord>> Find(std::string_view bucket,
                                                   std::string_view key) const;
  explicit ObjectStore(std::unique_ptr<StoreCore> core);

  std::unique_ptr<StoreCore> core_;
  std::unique_ptr<MultipartStore> multipart_;
  std::unique_ptr<Sweeper> sweeper_;  // last: stopped first on destruction
};

}  // namespace trainload::storage
