#include "fs/fake_client_testing.h"

#include <algorithm>
#include <cstring>
#include <functional>

#include "s3/error_code.h"

namespace trainload::fs {
namespace {

using s3::ErrorCode;
using s3::MakeError;

std::string Uri(std::string_view bucket, std::string_view key) {
  return "s3://" + std::string(bucket) + "/" + std::string(key);
}

// The fake's writer: bytes collect in memory and become the object at Close().
class FakeWriter final : public ObjectWriter {
 public:
  FakeWriter(FakeClient& client, std::string bucket, std::string key)
      : client_(client), bucket_(std::move(bucket)), key_(std::move(key)) {}

  Status Write(std::span<const std::byte> data) override {
    if (closed_) return FailedPrecondition("Write after Close: " + Uri(bucket_, key_));
    data_.append(reinterpret_cast<const char*>(data.data()), data.size());
    return Status::Ok();
  }
  Result<PutResult> Close() override {
    if (closed_) return Error(FailedPrecondition("Close twice: " + Uri(bucket_, key_)));
    closed_ = true;
    return client_.Put(bucket_, key_, std::as_bytes(std::span(data_.data(), data_.size())), {});
  }
  void Abort() override { closed_ = true; }

 private:
  FakeClient& client_;
  std::string bucket_;
  std::string key_;
  std::string data_;
  bool closed_ = false;
};

}  // namespace

ObjectInfo FakeClient::Info(std::string key, const Object& object) {
  ObjectInfo info;
  info.key = std::move(key);
  info.size = object.data.size();
  info.etag = object.etag;
  info.last_modified_ms = object.mtime_ms;
  return info;
}

FakeClient::FakeClient() { options_.part_size = 8ull << 20; }

void FakeClient::CreateBucketNow(const std::string& bucket) {
  std::lock_guard lock(mu_);
  buckets_[bucket];
}

std::string FakeClient::StoreLocked(Bucket& bucket, const std::string& key, std::string data,
                                    int64_t mtime_ms) {
  Object& object = bucket[key];
  object.etag = std::to_string(std::hash<std::string>()(data)) + "-" + std::to_string(++serial_);
  object.data = std::move(data);
  object.mtime_ms = mtime_ms;
  return object.etag;
}

std::string FakeClient::PutObject(const std::string& bucket, const std::string& key,
                                  std::string data, int64_t mtime_ms) {
  std::lock_guard lock(mu_);
  return StoreLocked(buckets_[bucket], key, std::move(data), mtime_ms);
}

std::optional<std::string> FakeClient::ObjectData(const std::string& bucket,
                                                  const std::string& key) const {
  std::lock_guard lock(mu_);
  auto b = buckets_.find(bucket);
  if (b == buckets_.end()) return std::nullopt;
  auto o = b->second.find(key);
  if (o == b->second.end()) return std::nullopt;
  return o->second.data;
}

FakeClient::Counters FakeClient::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

void FakeClient::ResetCounters() {
  std::lock_guard lock(mu_);
  counters_ = {};
}

void FakeClient::FailEverything(Status status) {
  std::lock_guard lock(mu_);
  failure_ = std::move(status);
}

Result<FakeClient::Bucket*> FakeClient::FindBucketLocked(std::string_view bucket,
                                                         std::string_view operation) {
  if (!failure_.ok()) return Error(failure_);
  auto it = buckets_.find(bucket);
  if (it == buckets_.end()) {
    return Error(MakeError(
        ErrorCode::kNoSuchBucket,
        std::string(operation) + " s3://" + std::string(bucket) + ": the bucket does not exist"));
  }
  return &it->second;
}

Result<const FakeClient::Object*> FakeClient::FindObjectLocked(std::string_view bucket,
                                                               std::string_view key,
                                                               std::string_view operation) {
  TL_ASSIGN_OR_RETURN(Bucket * b, FindBucketLocked(bucket, operation));
  auto it = b->find(std::string(key));
  if (it == b->end()) {
    return Error(MakeError(ErrorCode::kNoSuchKey,
                           std::string(operation) + " " + Uri(bucket, key) + ": no such key"));
  }
  return &it->second;
}

Result<std::vector<BucketInfo>> FakeClient::ListBuckets() {
  std::lock_guard lock(mu_);
  std::vector<BucketInfo> out;
  for (const auto& [name, bucket] : buckets_) {
    BucketInfo info;
    info.name = name;
    out.push_back(std::move(info));
  }
  return out;
}

Status FakeClient::CreateBucket(std::string_view bucket) {
  std::lock_guard lock(mu_);
  buckets_[std::string(bucket)];
  return Status::Ok();
}

Status FakeClient::DeleteBucket(std::string_view bucket) {
  return Unimplemented("FakeClient::DeleteBucket");
}

Status FakeClient::HeadBucket(std::string_view bucket) {
  std::lock_guard lock(mu_);
  return StatusOf(FindBucketLocked(bucket, "HeadBucket"));
}

Result<ObjectInfo> FakeClient::Head(std::string_view bucket, std::string_view key) {
  std::lock_guard lock(mu_);
  counters_.heads++;
  TL_ASSIGN_OR_RETURN(const Object* object, FindObjectLocked(bucket, key, "HeadObject"));
  return Info(std::string(key), *object);
}

Result<std::string> FakeClient::Get(std::string_view bucket, std::string_view key,
                                    const GetOptions& options) {
  std::lock_guard lock(mu_);
  counters_.gets++;
  TL_ASSIGN_OR_RETURN(const Object* object, FindObjectLocked(bucket, key, "GetObject"));
  if (!options.if_match.empty() && options.if_match != object->etag) {
    return Error(MakeError(ErrorCode::kPreconditionFailed, "GetObject " + Uri(bucket, key)));
  }
  return object->data;
}

Result<size_t> FakeClient::GetRange(std::string_view bucket, std::string_view key, ByteRange range,
                                    std::span<std::byte> out, const GetOptions& options) {
  std::lock_guard lock(mu_);
  counters_.gets++;
  TL_ASSIGN_OR_RETURN(const Object* object, FindObjectLocked(bucket, key, "GetObject"));
  if (!options.if_match.empty() && options.if_match != object->etag) {
    return Error(MakeError(ErrorCode::kPreconditionFailed, "GetObject " + Uri(bucket, key)));
  }
  if (range.first >= object->data.size()) {
    return Error(MakeError(ErrorCode::kInvalidRange, "GetObject " + Uri(bucket, key)));
  }
  size_t n =
      static_cast<size_t>(std::min<uint64_t>(range.length(), object->data.size() - range.first));
  n = std::min(n, out.size());
  std::memcpy(out.data(), object->data.data() + range.first, n);
  return n;
}

Result<std::unique_ptr<ObjectReader>> FakeClient::OpenReader(std::string_view, std::string_view,
                                                             const GetOptions&) {
  return Error(Unimplemented("FakeClient::OpenReader"));
}

Result<ObjectInfo> FakeClient::Download(std::string_view, std::string_view, const std::string&,
                                        const GetOptions&) {
  return Error(Unimplemented("FakeClient::Download"));
}

Result<PutResult> FakeClient::Put(std::string_view bucket, std::string_view key,
                                  std::span<const std::byte> data, const PutOptions& options) {
  std::lock_guard lock(mu_);
  counters_.puts++;
  TL_ASSIGN_OR_RETURN(Bucket * b, FindBucketLocked(bucket, "PutObject"));
  std::string etag = StoreLocked(
      *b, std::string(key), std::string(reinterpret_cast<const char*>(data.data()), data.size()),
      1'700'000'000'000 + static_cast<int64_t>(serial_));
  PutResult result;
  result.etag = std::move(etag);
  return result;
}

Result<PutResult> FakeClient::Upload(std::string_view, std::string_view, const std::string&,
                                     const PutOptions&) {
  return Error(Unimplemented("FakeClient::Upload"));
}

Result<std::unique_ptr<ObjectWriter>> FakeClient::OpenWriter(std::string_view bucket,
                                                             std::string_view key,
                                                             const PutOptions&) {
  return std::unique_ptr<ObjectWriter>(
      new FakeWriter(*this, std::string(bucket), std::string(key)));
}

Result<PutResult> FakeClient::Copy(std::string_view, std::string_view, std::string_view,
                                   std::string_view, const PutOptions&) {
  return Error(Unimplemented("FakeClient::Copy"));
}

Result<ListPage> FakeClient::List(std::string_view bucket, const ListOptions& options) {
  std::lock_guard lock(mu_);
  counters_.lists++;
  TL_ASSIGN_OR_RETURN(Bucket * b, FindBucketLocked(bucket, "ListObjectsV2"));
  const std::string& after =
      options.continuation_token.empty() ? options.start_after : options.continuation_token;
  ListPage page;
  int returned = 0;
  std::string last;
  for (auto it = b->lower_bound(options.prefix); it != b->end(); ++it) {
    const std::string& key = it->first;
    if (!key.starts_with(options.prefix)) break;
    if (!after.empty() && key <= after) continue;
    std::string rolled;
    if (!options.delimiter.empty()) {
      size_t at = key.find(options.delimiter, options.prefix.size());
      if (at != std::string::npos) rolled = key.substr(0, at + options.delimiter.size());
    }
    if (!rolled.empty() && !page.common_prefixes.empty() && page.common_prefixes.back() == rolled) {
      continue;
    }
    if (!rolled.empty() && !after.empty() && rolled <= after) continue;
    if (returned == options.max_keys) {
      page.next_continuation_token = last;
      break;
    }
    if (rolled.empty()) {
      page.objects.push_back(Info(key, it->second));
      last = key;
    } else {
      page.common_prefixes.push_back(rolled);
      last = rolled;
    }
    ++returned;
  }
  return page;
}

Status FakeClient::ListAll(std::string_view bucket, ListOptions options,
                           const std::function<bool(const ListPage&)>& visit) {
  while (true) {
    TL_ASSIGN_OR_RETURN(ListPage page, List(bucket, options));
    if (!visit(page) || page.next_continuation_token.empty()) return Status::Ok();
    options.continuation_token = page.next_continuation_token;
  }
}

Status FakeClient::Delete(std::string_view bucket, std::string_view key) {
  std::lock_guard lock(mu_);
  counters_.deletes++;
  TL_ASSIGN_OR_RETURN(Bucket * b, FindBucketLocked(bucket, "DeleteObject"));
  b->erase(std::string(key));
  return Status::Ok();
}

Result<std::vector<DeleteError>> FakeClient::DeleteMany(std::string_view,
                                                        const std::vector<std::string>&) {
  return Error(Unimplemented("FakeClient::DeleteMany"));
}

Result<std::string> FakeClient::Presign(std::string_view, std::string_view, std::string_view,
                                        int64_t) {
  return Error(Unimplemented("FakeClient::Presign"));
}

}  // namespace trainload::fs
