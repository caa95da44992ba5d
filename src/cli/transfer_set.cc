#include "cli/transfer_set.h"

#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "cli/local_tree.h"

namespace trainload::cli {
namespace {

std::string Uri(std::string_view bucket, std::string_view key) {
  return "s3://" + std::string(bucket) + "/" + std::string(key);
}

constexpr size_t kDeleteBatch = 1000;

}  // namespace

TransferSet::TransferSet(Client& client, size_t concurrency, PutOptions put, Progress& progress)
    : client_(client),
      put_(std::move(put)),
      progress_(progress),
      pool_(std::make_unique<WorkerPool>(concurrency, concurrency * 4)) {}

TransferSet::~TransferSet() { Wait(); }

void TransferSet::Upload(std::string path, uint64_t size, std::string bucket, std::string key) {
  progress_.AddPlanned(size, 1);
  pool_->Submit(
      [this, path = std::move(path), size, bucket = std::move(bucket), key = std::move(key)] {
        PutOptions put = put_;
        if (put.content_type.empty()) put.content_type = GuessContentType(path);
        // S3's own default, sent explicitly: without it libcurl labels the POST that starts a
        // multipart upload application/x-www-form-urlencoded, and servers store that.
        if (put.content_type.empty()) put.content_type = "binary/octet-stream";
        put.progress = progress_.BytesCallback();
        auto result = client_.Upload(bucket, key, path, put);
        if (!result.has_value()) {
          progress_.FileFailed();
          failures_.Add("upload " + path + " to " + Uri(bucket, key), result.error());
          return;
        }
        progress_.FileDone(size);
      });
}

void TransferSet::Download(std::string bucket, std::string key, uint64_t size, int64_t mtime_ms,
                           std::string path) {
  progress_.AddPlanned(size, 1);
  pool_->Submit([this, bucket = std::move(bucket), key = std::move(key), size, mtime_ms,
                 path = std::move(path)] {
    auto fail = [&](const Status& status) {
      progress_.FileFailed();
      failures_.Add("download " + Uri(bucket, key) + " to " + path, status);
    };
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(parent, ec);
      if (ec) return fail(ErrnoStatus("cannot create directory " + parent.string(), ec.value()));
    }
    GetOptions get;
    get.size_hint = size;
    get.progress = progress_.BytesCallback();
    auto result = client_.Download(bucket, key, path, get);
    if (!result.has_value()) return fail(result.error());
    int64_t modified = mtime_ms != 0 ? mtime_ms : result->last_modified_ms;
    if (Status set = SetFileMtimeMs(path, modified); !set.ok()) return fail(set);
    progress_.FileDone(result->size);
  });
}

void TransferSet::Copy(std::string source_bucket, std::string source_key, uint64_t size,
                       std::string bucket, std::string key) {
  progress_.AddPlanned(size, 1);
  pool_->Submit([this, source_bucket = std::move(source_bucket), source_key = std::move(source_key),
                 size, bucket = std::move(bucket), key = std::move(key)] {
    PutOptions put = put_;
    put.progress = progress_.BytesCallback();
    auto result = client_.Copy(source_bucket, source_key, bucket, key, put);
    if (!result.has_value()) {
      progress_.FileFailed();
      failures_.Add("copy " + Uri(source_bucket, source_key) + " to " + Uri(bucket, key),
                    result.error());
      return;
    }
    progress_.FileDone(size);
  });
}

void TransferSet::RemoveLocal(std::string path) {
  pool_->Submit([this, path = std::move(path)] {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      failures_.Add("delete " + path, ErrnoStatus("cannot delete " + path, errno));
      return;
    }
    ++deleted_;
  });
}

void TransferSet::DeleteObject(std::string bucket, std::string key) {
  if (!delete_batch_.empty() && bucket != delete_bucket_) FlushDeletes();
  delete_bucket_ = std::move(bucket);
  delete_batch_.push_back(std::move(key));
  if (delete_batch_.size() >= kDeleteBatch) FlushDeletes();
}

void TransferSet::FlushDeletes() {
  if (delete_batch_.empty()) return;
  pool_->Submit([this, bucket = delete_bucket_, keys = std::move(delete_batch_)] {
    auto result = client_.DeleteMany(bucket, keys);
    if (!result.has_value()) {
      for (const std::string& key : keys) {
        failures_.Add("delete " + Uri(bucket, key), result.error());
      }
      return;
    }
    for (const DeleteError& error : *result) {
      failures_.Add("delete " + Uri(bucket, error.key), error.status);
    }
    deleted_ += keys.size() - result->size();
  });
  delete_batch_.clear();
}

void TransferSet::Wait() {
  FlushDeletes();
  pool_->Wait();
}

EntryStream LocalEntries(const std::string& root, const PathFilter& filter, FailureList& failures) {
  auto walker = std::make_shared<std::optional<LocalTreeWalker>>();
  auto opened = std::make_shared<bool>(false);
  return [=, &filter, &failures]() -> Result<std::optional<TreeEntry>> {
    if (!*opened) {
      *opened = true;
      std::error_code ec;
      if (!std::filesystem::exists(root, ec)) return std::nullopt;  // nothing there yet
      TL_ASSIGN_OR_RETURN(LocalTreeWalker w, LocalTreeWalker::Open(root));
      walker->emplace(std::move(w));
    }
    if (!walker->has_value()) return std::nullopt;
    while (true) {
      auto next = (*walker)->Next();
      if (!next.has_value()) {
        failures.Add("read " + root, next.error());
        continue;
      }
      if (!next->has_value()) return std::nullopt;
      LocalFile& file = **next;
      if (!filter.Includes(file.relative)) continue;
      return TreeEntry{std::move(file.relative), file.size, file.mtime_ms};
    }
  };
}

EntryStream ObjectEntries(Client& client, const std::string& bucket, const std::string& prefix,
                          const PathFilter& filter) {
  struct State {
    ListPage page;
    size_t next = 0;
    bool started = false;
  };
  auto state = std::make_shared<State>();
  return [=, &client, &filter]() -> Result<std::optional<TreeEntry>> {
    while (true) {
      if (state->next < state->page.objects.size()) {
        ObjectInfo& object = state->page.objects[state->next++];
        if (object.key.ends_with('/')) continue;  // a directory marker, not a file
        std::string relative = object.key.substr(prefix.size());
        if (!filter.Includes(relative)) continue;
        return TreeEntry{std::move(relative), object.size, object.last_modified_ms};
      }
      if (state->started && state->page.next_continuation_token.empty()) return std::nullopt;
      ListOptions list;
      list.prefix = prefix;
      list.continuation_token = state->page.next_continuation_token;
      auto page = client.List(bucket, list);
      if (!page.has_value()) {
        return Error(page.error().WithContext("cannot list " + Uri(bucket, prefix)));
      }
      state->page = std::move(*page);
      state->next = 0;
      state->started = true;
    }
  };
}

}  // namespace trainload::cli
