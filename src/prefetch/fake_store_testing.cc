#include "prefetch/fake_store_testing.h"

#include <algorithm>
#include <cstring>
#include <thread>

namespace trainload::prefetch::testing {
namespace {

Status NotFaked(std::string_view what) {
  return Unimplemented(std::string(what) + " is not faked");
}

std::string Path(std::string_view bucket, std::string_view key) {
  return std::string(bucket) + "/" + std::string(key);
}

}  // namespace

std::string FakeClient::Store(const std::string& bucket, const std::string& key, std::string data) {
  std::lock_guard lock(mu_);
  std::string etag = "etag-" + std::to_string(++next_etag_);
  objects_[Path(bucket, key)] = Object{std::move(data), etag};
  return etag;
}

std::vector<ByteRange> FakeClient::ranges() const {
  std::lock_guard lock(mu_);
  return ranges_;
}

Result<ObjectInfo> FakeClient::Head(std::string_view bucket, std::string_view key) {
  std::lock_guard lock(mu_);
  auto it = objects_.find(Path(bucket, key));
  if (it == objects_.end()) {
    return Error(
        Status(StatusCode::kNotFound, "HeadObject s3://" + Path(bucket, key), "NoSuchKey"));
  }
  ObjectInfo info;
  info.key = std::string(key);
  info.size = it->second.data.size();
  info.etag = it->second.etag;
  return info;
}

Result<size_t> FakeClient::GetRange(std::string_view bucket, std::string_view key, ByteRange range,
                                    std::span<std::byte> out, const GetOptions& options) {
  ++gets_;
  int now = ++in_flight_;
  int peak = in_flight_peak_.load();
  while (now > peak && !in_flight_peak_.compare_exchange_weak(peak, now)) {
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_.load()));
  struct Leave {
    std::atomic<int>& n;
    ~Leave() { --n; }
  } leave{in_flight_};
  std::string context = "GetObject s3://" + Path(bucket, key);
  if (fail_next_.load() > 0 && fail_next_.fetch_sub(1) > 0) {
    return Error(Unavailable(context + ": connection reset (giving up after 10 attempts)"));
  }
  std::lock_guard lock(mu_);
  ranges_.push_back(range);
  auto it = objects_.find(Path(bucket, key));
  if (it == objects_.end()) {
    return Error(Status(StatusCode::kNotFound, context + ": The specified key does not exist.",
                        "NoSuchKey"));
  }
  const Object& object = it->second;
  if (!options.if_match.empty() && options.if_match != object.etag) {
    return Error(Status(StatusCode::kFailedPrecondition,
                        context + ": At least one of the pre-conditions you specified did not hold",
                        "PreconditionFailed"));
  }
  if (range.first >= object.data.size()) {
    return Error(
        Status(StatusCode::kOutOfRange, context + ": range not satisfiable", "InvalidRange"));
  }
  size_t n = std::min<uint64_t>(range.length(), object.data.size() - range.first);
  std::memcpy(out.data(), object.data.data() + range.first, n);
  return n;
}

Result<PutResult> FakeClient::Put(std::string_view bucket, std::string_view key,
                                  std::span<const std::byte> data, const PutOptions&) {
  std::string bytes(reinterpret_cast<const char*>(data.data()), data.size());
  return PutResult{Store(std::string(bucket), std::string(key), std::move(bytes)), ""};
}

Result<std::vector<BucketInfo>> FakeClient::ListBuckets() { return Error(NotFaked("ListBuckets")); }
Status FakeClient::CreateBucket(std::string_view) { return NotFaked("CreateBucket"); }
Status FakeClient::DeleteBucket(std::string_view) { return NotFaked("DeleteBucket"); }
Status FakeClient::HeadBucket(std::string_view) { return NotFaked("HeadBucket"); }
Result<std::string> FakeClient::Get(std::string_view, std::string_view, const GetOptions&) {
  return Error(NotFaked("Get"));
}
Result<std::unique_ptr<ObjectReader>> FakeClient::OpenReader(std::string_view, std::string_view,
                                                             const GetOptions&) {
  return Error(NotFaked("OpenReader"));
}
Result<ObjectInfo> FakeClient::Download(std::string_view, std::string_view, const std::string&,
                                        const GetOptions&) {
  return Error(NotFaked("Download"));
}
Result<PutResult> FakeClient::Upload(std::string_view, std::string_view, const std::string&,
                                     const PutOptions&) {
  return Error(NotFaked("Upload"));
}
Result<std::unique_ptr<ObjectWriter>> FakeClient::OpenWriter(std::string_view, std::string_view,
                                                             const PutOptions&) {
  return Error(NotFaked("OpenWriter"));
}
Result<PutResult> FakeClient::Copy(std::string_view, std::string_view, std::string_view,
                                   std::string_view, const PutOptions&) {
  return Error(NotFaked("Copy"));
}
Result<ListPage> FakeClient::List(std::string_view, const ListOptions&) {
  return Error(NotFaked("List"));
}
Status FakeClient::ListAll(std::string_view, ListOptions,
                           const std::function<bool(const ListPage&)>&) {
  return NotFaked("ListAll");
}
Status FakeClient::Delete(std::string_view, std::string_view) { return NotFaked("Delete"); }
Result<std::vector<DeleteError>> FakeClient::DeleteMany(std::string_view,
                                                        const std::vector<std::string>&) {
  return Error(NotFaked("DeleteMany"));
}
Result<std::string> FakeClient::Presign(std::string_view, std::string_view, std::string_view,
                                        int64_t) {
  return Error(NotFaked("Presign"));
}

std::string FakeBlockCache::Name(const cache::BlockId& id) {
  return id.bucket + "/" + id.key + "@" + id.etag + "#" + std::to_string(id.index);
}

std::optional<size_t> FakeBlockCache::Get(const cache::BlockId& id, std::span<std::byte> out) {
  std::lock_guard lock(mu_);
  auto it = blocks_.find(Name(id));
  if (it == blocks_.end() || out.size() < block_size_) {
    ++stats_.misses;
    return std::nullopt;
  }
  ++stats_.hits;
  std::memcpy(out.data(), it->second.data(), it->second.size());
  return it->second.size();
}

Status FakeBlockCache::Put(const cache::BlockId& id, std::span<const std::byte> data) {
  if (data.empty() || data.size() > block_size_) {
    return InvalidArgument("block of " + std::to_string(data.size()) + " bytes");
  }
  std::lock_guard lock(mu_);
  ++puts_;
  blocks_[Name(id)] = std::string(reinterpret_cast<const char*>(data.data()), data.size());
  stats_.blocks = blocks_.size();
  return Status::Ok();
}

cache::CacheStats FakeBlockCache::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

bool FakeBlockCache::Has(const cache::BlockId& id) const {
  std::lock_guard lock(mu_);
  return blocks_.contains(Name(id));
}

int FakeBlockCache::puts() const {
  std::lock_guard lock(mu_);
  return puts_;
}

}  // namespace trainload::prefetch::testing
