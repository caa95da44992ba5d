#include "server/storage/store_core.h"

#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>

#include <functional>
#include <system_error>
#include <unordered_set>

#include "server/storage/index_keys.h"
#include "server/storage/record_codec.h"

namespace trainload::storage {
namespace {

constexpr std::string_view kGenerationName = "generation";
constexpr std::string_view kFormatName = "format";
constexpr std::string_view kFormatVersion = "trainload-storage-1";

std::string EncodeFixed64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i) {
    s[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return s;
}

uint64_t DecodeFixed64(std::string_view s) {
  uint64_t v = 0;
  for (char c : s) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

size_t Stripe(std::string_view a, std::string_view b, size_t stripes) {
  size_t h = std::hash<std::string_view>{}(a);
  // Mix so that ("ab", "c") and ("a", "bc") land apart.
  h ^= std::hash<std::string_view>{}(b) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h % stripes;
}

leveldb::Slice ToSlice(std::string_view s) { return leveldb::Slice(s.data(), s.size()); }

}  // namespace

Status ValidateBucketName(std::string_view bucket, std::string_view operation) {
  if (bucket.empty() || bucket.size() > kMaxBucketNameBytes) {
    return InvalidArgument(std::string(operation) + ": bucket name of " +
                           std::to_string(bucket.size()) + " bytes (must be 1-" +
                           std::to_string(kMaxBucketNameBytes) + ")");
  }
  return Status::Ok();
}

Status ValidateKey(std::string_view key, std::string_view operation) {
  if (key.empty() || key.size() > kMaxKeyBytes) {
    return InvalidArgument(std::string(operation) + ": key of " + std::to_string(key.size()) +
                           " bytes (must be 1-" + std::to_string(kMaxKeyBytes) + ")");
  }
  return Status::Ok();
}

Status FromLevelDb(const leveldb::Status& status, std::string_view what) {
  if (status.ok()) return Status::Ok();
  std::string message = std::string(what) + ": " + status.ToString();
  if (status.IsNotFound()) return NotFound(std::move(message));
  if (status.IsCorruption()) return DataLoss(std::move(message));
  if (status.IsIOError() && message.find("No space left") != std::string::npos) {
    return Status(StatusCode::kResourceExhausted, std::move(message));
  }
  return Internal(std::move(message));
}

StoreCore::StoreCore(const StorageOptions& options, const Clock& clock)
    : options_(options), clock_(clock), records_(options.record_cache_entries) {}

StoreCore::~StoreCore() {
  // The DB refers to the filter policy; close it first.
  db_.reset();
}

Result<std::unique_ptr<StoreCore>> StoreCore::Open(const StorageOptions& options,
                                                   const Clock& clock) {
  if (options.root.empty()) return Error(InvalidArgument("open storage: root directory not set"));
  std::unique_ptr<StoreCore> core(new StoreCore(options, clock));
  TL_RETURN_IF_ERROR(core->OpenIndex());
  uint64_t generation = 0;
  TL_RETURN_IF_ERROR(core->BumpGeneration(&generation));
  TL_ASSIGN_OR_RETURN(core->files_, DataFiles::Open(options.root, generation, options.fsync));
  // No writer of this generation exists yet, so everything in tmp/ is from before the restart.
  TL_ASSIGN_OR_RETURN(core->recovered_tmp_files_, core->files_->ClearTmp());
  TL_RETURN_IF_ERROR(core->CollectGarbageRows());
  return core;
}

Status StoreCore::OpenIndex() {
  std::error_code ec;
  std::filesystem::create_directories(options_.root / "index", ec);
  if (ec) return ErrnoStatus("create " + (options_.root / "index").string(), ec.value());
  filter_policy_.reset(leveldb::NewBloomFilterPolicy(10));
  leveldb::Options db_options;
  db_options.create_if_missing = true;
  db_options.filter_policy = filter_policy_.get();
  leveldb::DB* db = nullptr;
  std::string path = (options_.root / "index").string();
  TL_RETURN_IF_ERROR(FromLevelDb(leveldb::DB::Open(db_options, path, &db), "open index " + path));
  db_.reset(db);

  TL_ASSIGN_OR_RETURN(auto format, Get(MetaRow(kFormatName)));
  if (format && *format != kFormatVersion) {
    return FailedPrecondition("open index " + path + ": unsupported format \"" + *format + "\"");
  }
  if (!format) {
    leveldb::WriteOptions sync;
    sync.sync = true;
    TL_RETURN_IF_ERROR(FromLevelDb(
        db_->Put(sync, ToSlice(MetaRow(kFormatName)), ToSlice(kFormatVersion)), "init index"));
  }
  return Status::Ok();
}

Status StoreCore::BumpGeneration(uint64_t* generation) {
  TL_ASSIGN_OR_RETURN(auto stored, Get(MetaRow(kGenerationName)));
  if (stored && stored->size() != 8) return DataLoss("corrupt generation row in the index");
  *generation = (stored ? DecodeFixed64(*stored) : 0) + 1;
  // Synced even with fsync off: ids of this generation must never be handed out again.
  leveldb::WriteOptions sync;
  sync.sync = true;
  return FromLevelDb(
      db_->Put(sync, ToSlice(MetaRow(kGenerationName)), ToSlice(EncodeFixed64(*generation))),
      "store generation");
}

Status StoreCore::CollectGarbageRows() {
  const std::string prefix = GarbageRowPrefix();
  std::unique_ptr<leveldb::Iterator> it = NewIterator();
  leveldb::WriteBatch done;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string_view value(it->value().data(), it->value().size());
    TL_ASSIGN_OR_RETURN(auto ids, DecodeFileList(value));
    for (const std::string& id : ids) {
      TL_RETURN_IF_ERROR(files_->UnlinkObject(id));
      ++recovered_garbage_files_;
    }
    done.Delete(it->key());
  }
  TL_RETURN_IF_ERROR(FromLevelDb(it->status(), "scan garbage rows"));
  // Not synced: if this is lost, the next open unlinks the (already missing) files again.
  return FromLevelDb(db_->Write(leveldb::WriteOptions(), &done), "drop garbage rows");
}

Result<std::optional<std::string>> StoreCore::Get(std::string_view row) const {
  std::string value;
  leveldb::Status s = db_->Get(leveldb::ReadOptions(), ToSlice(row), &value);
  if (s.IsNotFound()) return std::nullopt;
  TL_RETURN_IF_ERROR(FromLevelDb(s, "read index"));
  return value;
}

std::unique_ptr<leveldb::Iterator> StoreCore::NewIterator() const {
  return std::unique_ptr<leveldb::Iterator>(db_->NewIterator(leveldb::ReadOptions()));
}

Result<std::optional<BucketInfo>> StoreCore::GetBucket(std::string_view bucket) const {
  TL_ASSIGN_OR_RETURN(auto value, Get(BucketRow(bucket)));
  if (!value) return std::nullopt;
  TL_ASSIGN_OR_RETURN(BucketInfo info, DecodeBucketInfo(bucket, *value));
  return info;
}

Status StoreCore::RequireBucket(std::string_view bucket, std::string_view operation) const {
  TL_ASSIGN_OR_RETURN(auto value, Get(BucketRow(bucket)));
  if (!value) {
    return NotFound(std::string(operation) + ": bucket \"" + std::string(bucket) +
                    "\" does not exist");
  }
  return Status::Ok();
}

Result<std::optional<ObjectRecord>> StoreCore::GetObject(std::string_view bucket,
                                                         std::string_view key) const {
  TL_ASSIGN_OR_RETURN(auto value, Get(ObjectRow(bucket, key)));
  if (!value) return std::nullopt;
  TL_ASSIGN_OR_RETURN(ObjectRecord record, DecodeObjectRecord(key, *value));
  return record;
}

Result<std::shared_ptr<const ObjectRecord>> StoreCore::FindObject(std::string_view bucket,
                                                                  std::string_view key) const {
  return records_.Get(
      ObjectRow(bucket, key),
      [&](std::string_view row) -> Result<std::shared_ptr<const ObjectRecord>> {
        TL_ASSIGN_OR_RETURN(auto value, Get(row));
        if (!value) return nullptr;
        TL_ASSIGN_OR_RETURN(ObjectRecord record, DecodeObjectRecord(key, *value));
        return std::make_shared<const ObjectRecord>(std::move(record));
      });
}

Status StoreCore::Commit(leveldb::WriteBatch& batch, const std::vector<std::string>& garbage,
                         std::string_view operation) {
  std::string garbage_row;
  if (!garbage.empty()) {
    // Any never-reused unique name will do; a fresh file id is one.
    garbage_row = GarbageRow(files_->NewId());
    batch.Put(garbage_row, EncodeFileList(garbage));
  }
  leveldb::WriteOptions write_options;
  write_options.sync = options_.fsync;
  Status written =
      FromLevelDb(db_->Write(write_options, &batch), std::string(operation) + ": commit to index");
  // Even a failed write may have reached the log; the cache must not outlive either outcome.
  ForgetObjectRows(batch);
  TL_RETURN_IF_ERROR(written);
  if (garbage.empty()) return Status::Ok();
  // Readers holding these files open keep reading them (POSIX unlink semantics).
  bool all_unlinked = true;
  for (const std::string& id : garbage) all_unlinked &= files_->UnlinkObject(id).ok();
  if (all_unlinked) {
    // Best effort and unsynced: a surviving row only makes the next Open() unlink again.
    (void)db_->Delete(leveldb::WriteOptions(), garbage_row);
  }
  return Status::Ok();
}

void StoreCore::ForgetObjectRows(const leveldb::WriteBatch& batch) {
  struct Forgetter : leveldb::WriteBatch::Handler {
    explicit Forgetter(LruCache<ObjectRecord>& records) : records(records) {}
    void Put(const leveldb::Slice& row, const leveldb::Slice&) override { Forget(row); }
    void Delete(const leveldb::Slice& row) override { Forget(row); }
    void Forget(const leveldb::Slice& row) {
      std::string_view view(row.data(), row.size());
      if (IsObjectRow(view)) records.Forget(view);
    }
    LruCache<ObjectRecord>& records;
  } forgetter(records_);
  (void)batch.Iterate(&forgetter);
}

void StoreCore::AddFileRef(leveldb::WriteBatch& batch, std::string_view file_id) {
  batch.Put(FileRefRow(file_id), leveldb::Slice());
}

void StoreCore::DropFileRef(leveldb::WriteBatch& batch, std::string_view file_id) {
  batch.Delete(FileRefRow(file_id));
}

void StoreCore::StageObjectPut(leveldb::WriteBatch& batch, std::string_view bucket,
                               const ObjectRecord* current, const ObjectRecord& next,
                               std::vector<std::string>& garbage) {
  batch.Put(ObjectRow(bucket, next.key), EncodeObjectRecord(next));
  for (const Segment& segment : next.segments) AddFileRef(batch, segment.file_id);
  if (current == nullptr) return;
  // An append keeps every current segment; a set keeps 10,000-segment objects linear.
  std::unordered_set<std::string_view> kept;
  for (const Segment& segment : next.segments) kept.insert(segment.file_id);
  for (const Segment& old : current->segments) {
    if (!kept.contains(old.file_id)) {
      DropFileRef(batch, old.file_id);
      garbage.push_back(old.file_id);
    }
  }
}

void StoreCore::StageObjectDelete(leveldb::WriteBatch& batch, std::string_view bucket,
                                  const ObjectRecord& current, std::vector<std::string>& garbage) {
  batch.Delete(ObjectRow(bucket, current.key));
  for (const Segment& old : current.segments) {
    DropFileRef(batch, old.file_id);
    garbage.push_back(old.file_id);
  }
}

std::shared_lock<FairSharedMutex> StoreCore::ShareBucket(std::string_view bucket) {
  return std::shared_lock(bucket_guards_[Stripe(bucket, {}, kBucketStripes)]);
}

std::unique_lock<FairSharedMutex> StoreCore::LockBucketExclusive(std::string_view bucket) {
  return std::unique_lock(bucket_guards_[Stripe(bucket, {}, kBucketStripes)]);
}

std::unique_lock<std::mutex> StoreCore::LockKey(std::string_view bucket, std::string_view key) {
  return std::unique_lock(key_locks_[Stripe(bucket, key, kKeyStripes)]);
}

std::unique_lock<std::mutex> StoreCore::LockUpload(std::string_view upload_id) {
  return std::unique_lock(upload_locks_[Stripe(upload_id, {}, kUploadStripes)]);
}

}  // namespace trainload::storage
