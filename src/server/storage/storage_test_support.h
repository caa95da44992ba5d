// Helpers shared by the storage tests (header-only, included by *_test.cc files only): a
// temporary directory removed at the end of the test, a settable clock, and one-line put/get.
#pragma once

#include <stdlib.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/time_format.h"
#include "server/storage/object_store.h"
#include "trainload/status.h"

namespace trainload::storage::testing {

class TempDir {
 public:
  TempDir() {
    std::string base = std::filesystem::temp_directory_path() / "trainload-storage-XXXXXX";
    std::vector<char> name(base.begin(), base.end());
    name.push_back('\0');
    path_ = ::mkdtemp(name.data()) ? std::filesystem::path(name.data()) : std::filesystem::path();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_ms = 1'700'000'000'000) : now_ms_(now_ms) {}
  int64_t NowMillis() const override { return now_ms_.load(); }
  void Set(int64_t now_ms) { now_ms_ = now_ms; }
  void Advance(int64_t ms) { now_ms_ += ms; }

 private:
  std::atomic<int64_t> now_ms_;
};

// Builders, because GCC 12 warns about designated initializers that skip fields.
inline ObjectRecord Record(std::string key, std::string etag = "") {
  ObjectRecord record;
  record.key = std::move(key);
  record.etag = std::move(etag);
  return record;
}

inline ListQuery Query(std::string prefix, std::string delimiter = "", std::string start_after = "",
                       size_t max_keys = 1000) {
  ListQuery query;
  query.prefix = std::move(prefix);
  query.delimiter = std::move(delimiter);
  query.start_after = std::move(start_after);
  query.max_keys = max_keys;
  return query;
}

inline UploadQuery Uploads(std::string prefix, std::string delimiter = "",
                           std::string key_marker = "", std::string upload_id_marker = "",
                           size_t max_uploads = 1000) {
  UploadQuery query;
  query.prefix = std::move(prefix);
  query.delimiter = std::move(delimiter);
  query.key_marker = std::move(key_marker);
  query.upload_id_marker = std::move(upload_id_marker);
  query.max_uploads = max_uploads;
  return query;
}

inline PartRecord PartFields(std::string etag, std::string checksum = "") {
  PartRecord part;
  part.etag = std::move(etag);
  part.checksum = std::move(checksum);
  return part;
}

inline Result<StagedData> Stage(ObjectStore& store, std::string_view content) {
  TL_ASSIGN_OR_RETURN(auto writer, store.NewWriter());
  TL_RETURN_IF_ERROR(writer->Append(content));
  return writer->Finish();
}

inline Result<ObjectRecord> Put(ObjectStore& store, std::string_view bucket, std::string_view key,
                                std::string_view content, const CommitCheck& check = {}) {
  TL_ASSIGN_OR_RETURN(StagedData data, Stage(store, content));
  ObjectRecord record;
  record.key = std::string(key);
  record.etag = "etag-" + std::to_string(content.size());
  return store.Commit(bucket, std::move(record), std::move(data), check);
}

inline Result<std::string> ReadAll(const ObjectReader& reader) {
  std::string out(reader.size(), '\0');
  TL_ASSIGN_OR_RETURN(size_t n, reader.ReadAt(0, std::as_writable_bytes(std::span(out))));
  out.resize(n);
  return out;
}

inline Result<std::string> Get(const ObjectStore& store, std::string_view bucket,
                               std::string_view key) {
  TL_ASSIGN_OR_RETURN(auto reader, store.OpenObject(bucket, key));
  return ReadAll(*reader);
}

// Every key of a bucket in listing order, paging by `page_size`.
inline Result<std::vector<std::string>> AllKeys(const ObjectStore& store, std::string_view bucket,
                                                size_t page_size = 1000) {
  std::vector<std::string> keys;
  ListQuery query;
  query.max_keys = page_size;
  while (true) {
    TL_ASSIGN_OR_RETURN(ListPage page, store.List(bucket, query));
    for (const ObjectRecord& r : page.objects) keys.push_back(r.key);
    if (!page.truncated) return keys;
    query.start_after = page.next_marker;
  }
}

}  // namespace trainload::storage::testing
