// Multipart uploads: an upload row per in-progress upload ('U', ordered by key then upload id)
// and a part row per uploaded part ('P', ordered by part number), each part its own data file.
//
// Completing an upload moves no data: the listed parts' files become the object's segments in
// the same index write that deletes the upload and part rows; unlisted parts and any object
// the upload replaces become garbage of that write. Upload ids are
//   hex16(initiation ms) + a never-reused 32-hex id + hex16(random)
// (64 characters), so byte order of ids is initiation order and ids cannot be guessed.
//
// Locking (store_core.h order): everything that adds rows takes the bucket guard shared;
// PutPart and AbortUpload take the upload lock; CompleteUpload takes the key lock (it replaces
// the object) and then the upload lock, so it never interleaves with a PutPart of the same
// upload. Listing and GetUpload take no lock.
//
// Thread-safe. Used through ObjectStore, whose header documents the public contract.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "server/storage/data_files.h"
#include "server/storage/object_store.h"
#include "server/storage/records.h"
#include "server/storage/store_core.h"
#include "trainload/status.h"

namespace trainload::storage {

class MultipartStore {
 public:
  // `core` must outlive the store.
  explicit MultipartStore(StoreCore& core);

  Result<UploadInfo> CreateUpload(std::string_view bucket, std::string_view key,
                                  ObjectAttributes attributes,
                                  std::optional<int> checksum_algorithm, bool checksum_full_object);
  Result<UploadInfo> GetUpload(std::string_view bucket, std::string_view key,
                               std::string_view upload_id) const;
  Result<PartRecord> PutPart(std::string_view bucket, std::string_view key,
                             std::string_view upload_id, uint32_t part_number, PartRecord fields,
                             StagedData data);
  Result<PartPage> ListParts(std::string_view bucket, std::string_view key,
                             std::string_view upload_id, uint32_t after_part,
                             size_t max_parts) const;
  Result<ObjectRecord> CompleteUpload(std::string_view bucket, std::string_view key,
                                      std::string_view upload_id,
                                      const std::vector<CompletedPart>& parts,
                                      ObjectRecord final_record, const CommitCheck& check);
  Status AbortUpload(std::string_view bucket, std::string_view key, std::string_view upload_id);
  Result<UploadPage> ListUploads(std::string_view bucket, const UploadQuery& query) const;

  // Adds to `batch` the removal of every upload of `bucket` with its parts, and their files to
  // `garbage` (DeleteBucket). REQUIRES: the bucket guard held exclusively.
  Status StageAbortAllUploads(std::string_view bucket, leveldb::WriteBatch& batch,
                              std::vector<std::string>& garbage) const;

  static bool IsValidUploadId(std::string_view upload_id);

 private:
  // Adds the removal of the upload's part rows to `batch`; parts whose number is in `keep`
  // (ascending) are returned instead of being removed, others go to `garbage`.
  Result<std::vector<PartRecord>> StagePartRemoval(std::string_view upload_id,
                                                   const std::vector<CompletedPart>& keep,
                                                   leveldb::WriteBatch& batch,
                                                   std::vector<std::string>& garbage) const;
  Result<UploadInfo> ReadUpload(std::string_view bucket, std::string_view key,
                                std::string_view upload_id, std::string_view operation) const;
  std::string NewUploadId(int64_t now_ms);

  StoreCore& core_;
  std::mutex rng_mutex_;
  std::mt19937_64 rng_;  // guarded by rng_mutex_
};

}  // namespace trainload::storage
