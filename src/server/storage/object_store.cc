#include "server/storage/object_store.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <algorithm>

#include "server/storage/index_keys.h"
#include "server/storage/list_walker.h"
#include "server/storage/multipart_store.h"
#include "server/storage/record_codec.h"
#include "server/storage/store_core.h"
#include "server/storage/sweeper.h"

namespace trainload::storage {
namespace {

// An overwrite can unlink the files of the version we just looked up; each retry sees a newer
// version, so only a key overwritten continuously for this many rounds gives up.
constexpr int kMaxOpenAttempts = 64;

std::string_view SliceView(const leveldb::Slice& s) { return {s.data(), s.size()}; }

std::string Describe(std::string_view operation, std::string_view bucket, std::string_view key) {
  return std::string(operation) + " \"" + std::string(bucket) + "/" + std::string(key) + "\"";
}

// The object rows of one bucket, keys without the row prefix.
class ObjectRowCursor final : public ListCursor {
 public:
  ObjectRowCursor(leveldb::Iterator& it, std::string row_prefix)
      : it_(it), row_prefix_(std::move(row_prefix)) {}
  bool Valid() const override {
    return !exhausted_ && it_.Valid() && it_.key().starts_with(row_prefix_);
  }
  std::string_view Key() const override { return SliceView(it_.key()).substr(row_prefix_.size()); }
  void Next() override { it_.Next(); }
  void SeekPastPrefix(std::string_view prefix) override {
    std::string successor = PrefixSuccessor(prefix);
    // No successor: the prefix is all 0xFF bytes, nothing in this bucket sorts after it.
    if (successor.empty()) {
      exhausted_ = true;
    } else {
      Seek(successor);
    }
  }
  void Seek(std::string_view key) { it_.Seek(row_prefix_ + std::string(key)); }
  std::string_view value() const { return SliceView(it_.value()); }

 private:
  leveldb::Iterator& it_;
  const std::string row_prefix_;
  bool exhausted_ = false;
};

}  // namespace

ObjectStore::ObjectStore(std::unique_ptr<StoreCore> core)
    : core_(std::move(core)),
      multipart_(std::make_unique<MultipartStore>(*core_)),
      sweeper_(std::make_unique<Sweeper>(*core_)) {}

ObjectStore::~ObjectStore() = default;

Result<std::unique_ptr<ObjectStore>> ObjectStore::Open(const StorageOptions& options,
                                                       const Clock& clock) {
  TL_ASSIGN_OR_RETURN(auto core, StoreCore::Open(options, clock));
  return std::unique_ptr<ObjectStore>(new ObjectStore(std::move(core)));
}

Result<BucketInfo> ObjectStore::CreateBucket(std::string_view name, std::string_view region,
                                             BucketKind kind) {
  TL_RETURN_IF_ERROR(ValidateBucketName(name, "create bucket"));
  BucketInfo info{std::string(name), std::string(region), kind, core_->clock().NowMillis()};
  auto guard = core_->LockBucketExclusive(name);
  TL_ASSIGN_OR_RETURN(auto existing, core_->GetBucket(name));
  if (existing) {
    return Error(AlreadyExists("create bucket \"" + std::string(name) + "\": it already exists"));
  }
  leveldb::WriteBatch batch;
  batch.Put(BucketRow(name), EncodeBucketInfo(info));
  TL_RETURN_IF_ERROR(core_->Commit(batch, {}, "create bucket \"" + std::string(name) + "\""));
  return info;
}

Status ObjectStore::DeleteBucket(std::string_view name) {
  const std::string what = "delete bucket \"" + std::string(name) + "\"";
  TL_RETURN_IF_ERROR(ValidateBucketName(name, "delete bucket"));
  // Exclusive: no commit can add an object or part to this bucket while we check that it is
  // empty and remove it.
  auto guard = core_->LockBucketExclusive(name);
  TL_RETURN_IF_ERROR(core_->RequireBucket(name, "delete bucket"));
  {
    std::unique_ptr<leveldb::Iterator> it = core_->NewIterator();
    const std::string prefix = ObjectRowPrefix(name);
    it->Seek(prefix);
    if (it->Valid() && it->key().starts_with(prefix)) {
      return FailedPrecondition(what + ": bucket not empty");
    }
    TL_RETURN_IF_ERROR(FromLevelDb(it->status(), what));
  }
  leveldb::WriteBatch batch;
  std::vector<std::string> garbage;
  TL_RETURN_IF_ERROR(multipart_->StageAbortAllUploads(name, batch, garbage));
  batch.Delete(BucketRow(name));
  return core_->Commit(batch, garbage, what);
}

Result<BucketInfo> ObjectStore::GetBucket(std::string_view name) const {
  TL_RETURN_IF_ERROR(ValidateBucketName(name, "get bucket"));
  TL_ASSIGN_OR_RETURN(auto info, core_->GetBucket(name));
  if (!info) return Error(NotFound("bucket \"" + std::string(name) + "\" does not exist"));
  return std::move(*info);
}

Result<BucketPage> ObjectStore::ListBuckets(std::string_view prefix, std::string_view start_after,
                                            size_t max_buckets) const {
  max_buckets = std::min(max_buckets, kMaxListBuckets);
  BucketPage page;
  const std::string rows = BucketRowPrefix();
  std::unique_ptr<leveldb::Iterator> it = core_->NewIterator();
  std::string start = rows + std::string(std::max(prefix, start_after));
  it->Seek(start);
  for (; it->Valid() && it->key().starts_with(rows); it->Next()) {
    std::string_view name = SliceView(it->key()).substr(rows.size());
    if (!name.starts_with(prefix)) break;
    if (name <= start_after) continue;
    if (page.buckets.size() == max_buckets) {
      page.truncated = max_buckets > 0;
      break;
    }
    TL_ASSIGN_OR_RETURN(BucketInfo info, DecodeBucketInfo(name, SliceView(it->value())));
    page.next_marker = info.name;
    page.buckets.push_back(std::move(info));
  }
  TL_RETURN_IF_ERROR(FromLevelDb(it->status(), "list buckets"));
  return page;
}

Result<std::unique_ptr<DataWriter>> ObjectStore::NewWriter() { return core_->files().NewWriter(); }

Result<ObjectRecord> ObjectStore::Commit(std::string_view bucket, ObjectRecord record,
                                         StagedData data, const CommitCheck& check) {
  std::vector<StagedData> segments;
  segments.push_back(std::move(data));
  CommitEdit edit;
  if (check) {
    edit = [&check](const ObjectRecord* current, ObjectRecord&) { return check(current); };
  }
  return CommitSegments(bucket, std::move(record), std::move(segments), CommitMode::kReplace, edit);
}

Result<ObjectRecord> ObjectStore::CommitSegments(std::string_view bucket, ObjectRecord record,
                                                 std::vector<StagedData> data, CommitMode mode,
                                                 const CommitEdit& edit) {
  const std::string what =
      Describe(mode == CommitMode::kAppend ? "append object" : "put object", bucket, record.key);
  TL_RETURN_IF_ERROR(ValidateBucketName(bucket, what));
  TL_RETURN_IF_ERROR(ValidateKey(record.key, what));
  std::vector<Segment> added;
  for (const StagedData& staged : data) {
    if (staged.has_file() && staged.size() > 0) added.push_back({staged.file_id(), staged.size()});
  }

  auto guard = core_->ShareBucket(bucket);
  TL_RETURN_IF_ERROR(core_->RequireBucket(bucket, what));
  auto key_lock = core_->LockKey(bucket, record.key);
  TL_ASSIGN_OR_RETURN(auto current, core_->GetObject(bucket, record.key));
  const ObjectRecord* current_ptr = current ? &*current : nullptr;

  ObjectRecord next = std::move(record);
  std::vector<Segment> segments;
  if (mode == CommitMode::kAppend && current) segments = current->segments;
  segments.insert(segments.end(), added.begin(), added.end());
  uint64_t size = 0;
  for (const Segment& s : segments) size += s.size;
  next.segments = segments;
  next.size = size;
  if (edit) {
    const std::string key = next.key;
    TL_RETURN_IF_ERROR(edit(current_ptr, next));
    // The edit owns metadata only; what the bytes are is the store's business.
    next.key = key;
    next.segments = std::move(segments);
    next.size = size;
  }
  next.last_modified_ms = core_->clock().NowMillis();

  leveldb::WriteBatch batch;
  std::vector<std::string> garbage;
  StoreCore::StageObjectPut(batch, bucket, current_ptr, next, garbage);
  Status committed = core_->Commit(batch, garbage, what);
  // Committed: the index owns the files. Failed write: the rows may still have reached the log,
  // so never unlink; the sweep removes the files after a restart if they are unreferenced.
  // Zero-byte staged files are not referenced and are removed either way.
  for (StagedData& staged : data) {
    if (staged.size() > 0) staged.Release();
  }
  TL_RETURN_IF_ERROR(committed);
  return next;
}

Result<ObjectRecord> ObjectStore::Head(std::string_view bucket, std::string_view key) const {
  TL_ASSIGN_OR_RETURN(auto record, Find(bucket, key));
  return *record;
}

Result<std::shared_ptr<const ObjectRecord>> ObjectStore::Find(std::string_view bucket,
                                                              std::string_view key) const {
  // Every GET and HEAD comes here: the description is built only for an error.
  auto what = [&] { return Describe("head object", bucket, key); };
  if (!ValidateBucketName(bucket, {}).ok() || !ValidateKey(key, {}).ok()) {
    TL_RETURN_IF_ERROR(ValidateBucketName(bucket, what()));
    TL_RETURN_IF_ERROR(ValidateKey(key, what()));
  }
  TL_ASSIGN_OR_RETURN(auto record, core_->FindObject(bucket, key));
  if (record) return record;
  // An object row implies its bucket; only a miss pays for the bucket lookup.
  TL_RETURN_IF_ERROR(core_->RequireBucket(bucket, what()));
  return Error(NotFound(what() + ": no such key"));
}

Result<std::unique_ptr<ObjectReader>> ObjectStore::OpenObject(std::string_view bucket,
                                                              std::string_view key,
                                                              ByteWindow window) const {
  auto what = [&] { return Describe("get object", bucket, key); };
  for (int attempt = 0; attempt < kMaxOpenAttempts; ++attempt) {
    TL_ASSIGN_OR_RETURN(std::shared_ptr<const ObjectRecord> record, Find(bucket, key));
    auto reader = ObjectReader::Open(core_->files(), record, window);
    if (reader) return std::move(*reader);
    if (reader.error().code() != StatusCode::kNotFound) return Error(reader.error());
    // A data file is gone. Files are unlinked only after the index stops naming them, so if
    // the current record still names the same files they were lost, not replaced.
    TL_ASSIGN_OR_RETURN(auto again, core_->GetObject(bucket, key));
    if (again && again->segments == record->segments) {
      return Error(DataLoss(what() + ": data file missing: " + reader.error().message()));
    }
  }
  return Error(Unavailable(what() + ": the object kept changing while being opened"));
}

Result<bool> ObjectStore::Delete(std::string_view bucket, std::string_view key,
                                 const CommitCheck& check) {
  const std::string what = Describe("delete object", bucket, key);
  TL_RETURN_IF_ERROR(ValidateBucketName(bucket, what));
  TL_RETURN_IF_ERROR(ValidateKey(key, what));
  auto guard = core_->ShareBucket(bucket);
  TL_RETURN_IF_ERROR(core_->RequireBucket(bucket, what));
  auto key_lock = core_->LockKey(bucket, key);
  TL_ASSIGN_OR_RETURN(auto current, core_->GetObject(bucket, key));
  if (check) TL_RETURN_IF_ERROR(check(current ? &*current : nullptr));
  if (!current) return false;
  leveldb::WriteBatch batch;
  std::vector<std::string> garbage;
  StoreCore::StageObjectDelete(batch, bucket, *current, garbage);
  TL_RETURN_IF_ERROR(core_->Commit(batch, garbage, what));
  return true;
}

Result<ListPage> ObjectStore::List(std::string_view bucket, const ListQuery& query) const {
  const std::string what = "list objects in \"" + std::string(bucket) + "\"";
  TL_RETURN_IF_ERROR(ValidateBucketName(bucket, what));
  TL_RETURN_IF_ERROR(core_->RequireBucket(bucket, what));
  std::unique_ptr<leveldb::Iterator> it = core_->NewIterator();
  ObjectRowCursor cursor(*it, ObjectRowPrefix(bucket));
  if (!query.start_after.empty() && query.start_after >= query.prefix) {
    // The smallest key after start_after is start_after + "\0".
    std::string after = query.start_after;
    after.push_back('\0');
    cursor.Seek(after);
  } else {
    cursor.Seek(query.prefix);
  }

  ListPage page;
  WalkOptions walk;
  walk.prefix = query.prefix;
  walk.delimiter = query.delimiter;
  walk.start_after = query.start_after;
  walk.max_entries = std::min(query.max_keys, kMaxListKeys);
  TL_ASSIGN_OR_RETURN(WalkResult result,
                      WalkListing(
                          cursor, walk,
                          [&](const ListCursor&) -> Status {
                            TL_ASSIGN_OR_RETURN(ObjectRecord record,
                                                DecodeObjectRecord(cursor.Key(), cursor.value()));
                            page.next_marker = record.key;
                            page.objects.push_back(std::move(record));
                            return Status::Ok();
                          },
                          [&](std::string prefix) {
                            page.next_marker = prefix;
                            page.common_prefixes.push_back(std::move(prefix));
                          }));
  TL_RETURN_IF_ERROR(FromLevelDb(it->status(), what));
  page.truncated = result.truncated;
  return page;
}

Result<StagedData> ObjectStore::CopyRange(const ObjectReader& source, uint64_t offset,
                                          uint64_t length) {
  const std::string& key = source.record().key;
  if (offset < source.window_begin() || offset > source.window_end() ||
      length > source.window_end() - offset) {
    return Error(OutOfRange(
        "copy bytes [" + std::to_string(offset) + ", +" + std::to_string(length) + ") of \"" + key +
        "\": outside the opened range [" + std::to_string(source.window_begin()) + ", " +
        std::to_string(source.window_end()) + ")"));
  }
  TL_ASSIGN_OR_RETURN(auto writer, NewWriter());
  for (const ObjectExtent& extent : source.Extents(offset, length)) {
    Status copied = writer->AppendFrom(extent.fd, extent.offset, extent.length);
    if (!copied.ok()) return Error(copied.WithContext("copy from \"" + key + "\""));
  }
  return writer->Finish();
}

Result<UploadInfo> ObjectStore::CreateUpload(std::string_view bucket, std::string_view key,
                                             ObjectAttributes attributes,
                                             std::optional<int> checksum_algorithm,
                                             bool checksum_full_object) {
  return multipart_->CreateUpload(bucket, key, std::move(attributes), checksum_algorithm,
                                  checksum_full_object);
}

Result<UploadInfo> ObjectStore::GetUpload(std::string_view bucket, std::string_view key,
                                          std::string_view upload_id) const {
  return multipart_->GetUpload(bucket, key, upload_id);
}

Result<PartRecord> ObjectStore::PutPart(std::string_view bucket, std::string_view key,
                                        std::string_view upload_id, uint32_t part_number,
                                        PartRecord fields, StagedData data) {
  return multipart_->PutPart(bucket, key, upload_id, part_number, std::move(fields),
                             std::move(data));
}

Result<PartPage> ObjectStore::ListParts(std::string_view bucket, std::string_view key,
                                        std::string_view upload_id, uint32_t after_part,
                                        size_t max_parts) const {
  return multipart_->ListParts(bucket, key, upload_id, after_part, max_parts);
}

Result<ObjectRecord> ObjectStore::CompleteUpload(std::string_view bucket, std::string_view key,
                                                 std::string_view upload_id,
                                                 const std::vector<CompletedPart>& parts,
                                                 ObjectRecord final_record,
                                                 const CommitCheck& check) {
  return multipart_->CompleteUpload(bucket, key, upload_id, parts, std::move(final_record), check);
}

Status ObjectStore::AbortUpload(std::string_view bucket, std::string_view key,
                                std::string_view upload_id) {
  return multipart_->AbortUpload(bucket, key, upload_id);
}

Result<UploadPage> ObjectStore::ListUploads(std::string_view bucket,
                                            const UploadQuery& query) const {
  return multipart_->ListUploads(bucket, query);
}

Result<uint64_t> ObjectStore::WaitForSweep() { return sweeper_->Wait(); }

Result<size_t> ObjectStore::CountTmpFiles() const { return core_->files().CountTmpFiles(); }

Result<size_t> ObjectStore::CountObjectFiles() const { return core_->files().CountObjectFiles(); }

uint64_t ObjectStore::generation() const { return core_->generation(); }

const DataFiles& ObjectStore::files() const { return core_->files(); }

}  // namespace trainload::storage
