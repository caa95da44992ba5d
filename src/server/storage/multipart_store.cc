#include "server/storage/multipart_store.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <algorithm>

#include "server/storage/index_keys.h"
#include "server/storage/list_walker.h"
#include "server/storage/record_codec.h"

namespace trainload::storage {
namespace {

constexpr size_t kUploadIdLength = 64;

std::string Hex16(uint64_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) s[i] = kHex[v & 0xf];
  return s;
}

std::string_view Unquote(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag.remove_prefix(1);
    etag.remove_suffix(1);
  }
  return etag;
}

std::string Describe(std::string_view operation, std::string_view bucket, std::string_view key,
                     std::string_view upload_id) {
  return std::string(operation) + " \"" + std::string(bucket) + "/" + std::string(key) +
         "\" upload " + std::string(upload_id);
}

std::string_view SliceView(const leveldb::Slice& s) { return {s.data(), s.size()}; }

// Upload rows of one bucket, presented with their decoded keys.
class UploadRowCursor final : public ListCursor {
 public:
  UploadRowCursor(leveldb::Iterator& it, std::string row_prefix)
      : it_(it), row_prefix_(std::move(row_prefix)) {
    Load();
  }
  bool Valid() const override { return valid_; }
  std::string_view Key() const override { return parts_.key; }
  void Next() override {
    it_.Next();
    Load();
  }
  void SeekPastPrefix(std::string_view prefix) override {
    std::string successor = PrefixSuccessor(EscapeKeyForUploadRow(prefix));
    if (successor.empty()) {
      valid_ = false;
      return;
    }
    it_.Seek(row_prefix_ + successor);
    Load();
  }
  // Positions at the first row >= row_prefix + escaped_suffix.
  void Seek(std::string_view escaped_suffix) {
    it_.Seek(row_prefix_ + std::string(escaped_suffix));
    Load();
  }
  const UploadRowParts& parts() const { return parts_; }
  std::string_view value() const { return SliceView(it_.value()); }
  bool malformed() const { return malformed_; }

 private:
  void Load() {
    valid_ = it_.Valid() && it_.key().starts_with(row_prefix_);
    if (!valid_) return;
    std::string_view suffix = SliceView(it_.key()).substr(row_prefix_.size());
    std::optional<UploadRowParts> parts = ParseUploadRowSuffix(suffix);
    malformed_ = !parts;
    parts_ = parts ? std::move(*parts) : UploadRowParts{std::string(suffix), {}};
  }

  leveldb::Iterator& it_;
  const std::string row_prefix_;
  bool valid_ = false;
  bool malformed_ = false;
  UploadRowParts parts_;
};

}  // namespace

MultipartStore::MultipartStore(StoreCore& core) : core_(core), rng_(std::random_device{}()) {}

bool MultipartStore::IsValidUploadId(std::string_view upload_id) {
  return upload_id.size() == kUploadIdLength &&
         std::all_of(upload_id.begin(), upload_id.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string MultipartStore::NewUploadId(int64_t now_ms) {
  uint64_t random;
  {
    std::lock_guard lock(rng_mutex_);
    random = rng_();
  }
  return Hex16(static_cast<uint64_t>(std::max<int64_t>(now_ms, 0))) + core_.files().NewId() +
         Hex16(random);
}

Result<UploadInfo> MultipartStore::CreateUpload(std::string_view bucket, std::string_view key,
                                                ObjectAttributes attributes,
                                                std::optional<int> checksum_algorithm,
                                                bool checksum_full_object) {
  TL_RETURN_IF_ERROR(ValidateBucketName(bucket, "create multipart upload"));
  TL_RETURN_IF_ERROR(ValidateKey(key, "create multipart upload"));
  UploadInfo info;
  info.bucket = std::string(bucket);
  info.key = std::string(key);
  info.initiated_ms = core_.clock().NowMillis();
  info.upload_id = NewUploadId(info.initiated_ms);
  info.attributes = std::move(attributes);
  info.checksum_algorithm = checksum_algorithm;
  info.checksum_full_object = checksum_full_object;

  auto guard = core_.ShareBucket(bucket);
  TL_RETURN_IF_ERROR(core_.RequireBucket(bucket, "create multipart upload"));
  leveldb::WriteBatch batch;
  batch.Put(UploadRow(bucket, key, info.upload_id), EncodeUploadInfo(info));
  TL_RETURN_IF_ERROR(core_.Commit(batch, {}, "create multipart upload"));
  return info;
}

Result<UploadInfo> MultipartStore::ReadUpload(std::string_view bucket, std::string_view key,
                                              std::string_view upload_id,
                                              std::string_view operation) const {
  auto not_found = [&] {
    return Error(NotFound(Describe(operation, bucket, key, upload_id) + ": no such upload"));
  };
  // A malformed id (or name) cannot name an existing upload.
  if (!IsValidUploadId(upload_id) || !ValidateBucketName(bucket, operation).ok() ||
      !ValidateKey(key, operation).ok()) {
    return not_found();
  }
  TL_ASSIGN_OR_RETURN(auto value, core_.Get(UploadRow(bucket, key, upload_id)));
  if (!value) return not_found();
  return DecodeUploadInfo(bucket, key, upload_id, *value);
}

Result<UploadInfo> MultipartStore::GetUpload(std::string_view bucket, std::string_view key,
                                             std::string_view upload_id) const {
  return ReadUpload(bucket, key, upload_id, "get multipart upload");
}

Result<PartRecord> MultipartStore::PutPart(std::string_view bucket, std::string_view key,
                                           std::string_view upload_id, uint32_t part_number,
                                           PartRecord fields, StagedData data) {
  if (part_number < 1 || part_number > kMaxPartNumber) {
    return Error(InvalidArgument(Describe("upload part", bucket, key, upload_id) +
                                 ": part number " + std::to_string(part_number) + " is not in 1-" +
                                 std::to_string(kMaxPartNumber)));
  }
  PartRecord part = std::move(fields);
  part.part_number = part_number;
  part.size = data.size();
  part.last_modified_ms = core_.clock().NowMillis();
  if (!data.has_file()) {
    // An empty part still needs a file: segments[i] of the completed object is part i + 1.
    TL_ASSIGN_OR_RETURN(auto writer, core_.files().NewWriter());
    TL_ASSIGN_OR_RETURN(data, writer->Finish());
  }
  part.file_id = data.file_id();

  auto guard = core_.ShareBucket(bucket);
  auto upload_lock = core_.LockUpload(upload_id);
  TL_RETURN_IF_ERROR(StatusOf(ReadUpload(bucket, key, upload_id, "upload part")));
  const std::string row = PartRow(upload_id, part_number);
  TL_ASSIGN_OR_RETURN(auto old_value, core_.Get(row));
  leveldb::WriteBatch batch;
  std::vector<std::string> garbage;
  if (old_value) {
    TL_ASSIGN_OR_RETURN(PartRecord old, DecodePartRecord(part_number, *old_value));
    StoreCore::DropFileRef(batch, old.file_id);
    garbage.push_back(old.file_id);
  }
  batch.Put(row, EncodePartRecord(part));
  StoreCore::AddFileRef(batch, part.file_id);
  Status committed = core_.Commit(batch, garbage, Describe("upload part", bucket, key, upload_id));
  // After a failed index write the part may or may not be on disk: never unlink the file then
  // (the sweep removes it after a restart if it turns out unreferenced).
  data.Release();
  TL_RETURN_IF_ERROR(committed);
  return part;
}

Result<PartPage> MultipartStore::ListParts(std::string_view bucket, std::string_view key,
                                           std::string_view upload_id, uint32_t after_part,
                                           size_t max_parts) const {
  TL_RETURN_IF_ERROR(StatusOf(ReadUpload(bucket, key, upload_id, "list parts")));
  max_parts = std::min(max_parts, kMaxListParts);
  PartPage page;
  const std::string prefix = PartRowPrefix(upload_id);
  std::unique_ptr<leveldb::Iterator> it = core_.NewIterator();
  it->Seek(PartRow(upload_id, after_part == UINT32_MAX ? after_part : after_part + 1));
  for (; it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::optional<uint32_t> number = ParsePartRowSuffix(SliceView(it->key()).substr(prefix.size()));
    if (!number || *number <= after_part) continue;
    if (page.parts.size() == max_parts) {
      page.truncated = max_parts > 0;
      break;
    }
    TL_ASSIGN_OR_RETURN(PartRecord part, DecodePartRecord(*number, SliceView(it->value())));
    page.next_part_number_marker = part.part_number;
    page.parts.push_back(std::move(part));
  }
  TL_RETURN_IF_ERROR(FromLevelDb(it->status(), "list parts"));
  return page;
}

Result<std::vector<PartRecord>> MultipartStore::StagePartRemoval(
    std::string_view upload_id, const std::vector<CompletedPart>& keep, leveldb::WriteBatch& batch,
    std::vector<std::string>& garbage) const {
  std::vector<PartRecord> kept;
  kept.reserve(keep.size());
  auto wanted = keep.begin();
  const std::string prefix = PartRowPrefix(upload_id);
  std::unique_ptr<leveldb::Iterator> it = core_.NewIterator();
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::optional<uint32_t> number = ParsePartRowSuffix(SliceView(it->key()).substr(prefix.size()));
    if (!number) return Error(DataLoss("malformed part row of upload " + std::string(upload_id)));
    TL_ASSIGN_OR_RETURN(PartRecord part, DecodePartRecord(*number, SliceView(it->value())));
    batch.Delete(it->key());
    // Both sequences ascend: a listed number we walked past was never uploaded.
    if (wanted != keep.end() && wanted->part_number < *number) {
      return Error(
          InvalidArgument("part " + std::to_string(wanted->part_number) + " was not uploaded"));
    }
    if (wanted != keep.end() && wanted->part_number == *number) {
      if (Unquote(wanted->etag) != part.etag) {
        return Error(InvalidArgument("part " + std::to_string(*number) + " has ETag \"" +
                                     part.etag + "\", not " + wanted->etag));
      }
      kept.push_back(std::move(part));
      ++wanted;
    } else {
      StoreCore::DropFileRef(batch, part.file_id);
      garbage.push_back(part.file_id);
    }
  }
  TL_RETURN_IF_ERROR(FromLevelDb(it->status(), "read parts of upload " + std::string(upload_id)));
  if (wanted != keep.end()) {
    return Error(
        InvalidArgument("part " + std::to_string(wanted->part_number) + " was not uploaded"));
  }
  return kept;
}

Result<ObjectRecord> MultipartStore::CompleteUpload(std::string_view bucket, std::string_view key,
                                                    std::string_view upload_id,
                                                    const std::vector<CompletedPart>& parts,
                                                    ObjectRecord final_record,
                                                    const CommitCheck& check) {
  const std::string what = Describe("complete multipart upload", bucket, key, upload_id);
  if (parts.empty()) return Error(InvalidArgument(what + ": no parts listed"));
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].part_number < 1 || parts[i].part_number > kMaxPartNumber ||
        (i > 0 && parts[i].part_number <= parts[i - 1].part_number)) {
      return Error(InvalidArgument(what + ": part numbers must ascend within 1-" +
                                   std::to_string(kMaxPartNumber) + ", got " +
                                   std::to_string(parts[i].part_number) + " at position " +
                                   std::to_string(i + 1)));
    }
  }
  auto guard = core_.ShareBucket(bucket);
  auto key_lock = core_.LockKey(bucket, key);
  auto upload_lock = core_.LockUpload(upload_id);
  TL_ASSIGN_OR_RETURN(UploadInfo upload,
                      ReadUpload(bucket, key, upload_id, "complete multipart upload"));
  leveldb::WriteBatch batch;
  std::vector<std::string> garbage;
  auto kept = StagePartRemoval(upload_id, parts, batch, garbage);
  if (!kept) return Error(kept.error().WithContext(what));
  batch.Delete(UploadRow(bucket, key, upload_id));

  TL_ASSIGN_OR_RETURN(auto current, core_.GetObject(bucket, key));
  if (check) TL_RETURN_IF_ERROR(check(current ? &*current : nullptr));

  ObjectRecord record = std::move(final_record);
  record.key = std::string(key);
  record.size = 0;
  record.segments.clear();
  record.part_checksums.clear();
  bool all_checksums = true;
  for (const PartRecord& part : *kept) {
    record.segments.push_back({part.file_id, part.size});
    record.size += part.size;
    all_checksums &= !part.checksum.empty();
  }
  if (all_checksums) {
    for (PartRecord& part : *kept) record.part_checksums.push_back(std::move(part.checksum));
  }
  record.part_count = static_cast<uint32_t>(kept->size());
  record.last_modified_ms = core_.clock().NowMillis();
  StoreCore::StageObjectPut(batch, bucket, current ? &*current : nullptr, record, garbage);
  TL_RETURN_IF_ERROR(core_.Commit(batch, garbage, what));
  return record;
}

Status MultipartStore::AbortUpload(std::string_view bucket, std::string_view key,
                                   std::string_view upload_id) {
  const std::string what = Describe("abort multipart upload", bucket, key, upload_id);
  auto guard = core_.ShareBucket(bucket);
  auto upload_lock = core_.LockUpload(upload_id);
  TL_RETURN_IF_ERROR(StatusOf(ReadUpload(bucket, key, upload_id, "abort multipart upload")));
  leveldb::WriteBatch batch;
  std::vector<std::string> garbage;
  TL_RETURN_IF_ERROR(StatusOf(StagePartRemoval(upload_id, {}, batch, garbage)));
  batch.Delete(UploadRow(bucket, key, upload_id));
  return core_.Commit(batch, garbage, what);
}

Status MultipartStore::StageAbortAllUploads(std::string_view bucket, leveldb::WriteBatch& batch,
                                            std::vector<std::string>& garbage) const {
  const std::string prefix = UploadRowPrefix(bucket);
  std::unique_ptr<leveldb::Iterator> it = core_.NewIterator();
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::optional<UploadRowParts> parts =
        ParseUploadRowSuffix(SliceView(it->key()).substr(prefix.size()));
    if (!parts) return DataLoss("malformed upload row in bucket \"" + std::string(bucket) + "\"");
    TL_RETURN_IF_ERROR(StatusOf(StagePartRemoval(parts->upload_id, {}, batch, garbage)));
    batch.Delete(it->key());
  }
  return FromLevelDb(it->status(), "list uploads of bucket \"" + std::string(bucket) + "\"");
}

Result<UploadPage> MultipartStore::ListUploads(std::string_view bucket,
                                               const UploadQuery& query) const {
  TL_RETURN_IF_ERROR(ValidateBucketName(bucket, "list multipart uploads"));
  TL_RETURN_IF_ERROR(core_.RequireBucket(bucket, "list multipart uploads"));
  std::unique_ptr<leveldb::Iterator> it = core_.NewIterator();
  UploadRowCursor cursor(*it, UploadRowPrefix(bucket));

  // First row after the markers, but not before the prefix. The escaping preserves order, so
  // comparing escaped forms compares keys.
  std::string start = EscapeKeyForUploadRow(query.prefix);
  if (!query.key_marker.empty()) {
    std::string after = EscapeKeyForUploadRow(query.key_marker);
    after.push_back('\0');
    if (query.upload_id_marker.empty()) {
      after.push_back('\x02');  // past "00 01 <id>": every upload of key_marker itself
    } else {
      after.push_back('\x01');
      after.append(query.upload_id_marker);
      after.push_back('\0');
    }
    start = std::max(start, after);
  }
  cursor.Seek(start);

  UploadPage page;
  WalkOptions walk;
  walk.prefix = query.prefix;
  walk.delimiter = query.delimiter;
  walk.start_after = query.key_marker;
  walk.max_entries = std::min(query.max_uploads, kMaxListUploads);
  TL_ASSIGN_OR_RETURN(
      WalkResult result,
      WalkListing(
          cursor, walk,
          [&](const ListCursor&) -> Status {
            if (cursor.malformed()) {
              return DataLoss("malformed upload row in bucket \"" + std::string(bucket) + "\"");
            }
            TL_ASSIGN_OR_RETURN(UploadInfo info,
                                DecodeUploadInfo(bucket, cursor.parts().key,
                                                 cursor.parts().upload_id, cursor.value()));
            page.next_key_marker = info.key;
            page.next_upload_id_marker = info.upload_id;
            page.uploads.push_back(std::move(info));
            return Status::Ok();
          },
          [&](std::string prefix) {
            page.next_key_marker = prefix;
            page.next_upload_id_marker.clear();
            page.common_prefixes.push_back(std::move(prefix));
          }));
  TL_RETURN_IF_ERROR(FromLevelDb(it->status(), "list multipart uploads"));
  page.truncated = result.truncated;
  return page;
}

}  // namespace trainload::storage
