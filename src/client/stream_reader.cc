// S3Client::OpenReader: sequential reading with prefetch. The object is cut into a small first
// part (time to first byte) and then part_size parts; a window of parts is fetched ahead on the
// worker pool into buffers reserved from the client's memory budget, and Read() hands the bytes
// out strictly in order. The window starts at one part and doubles each time the reader has to
// wait, up to a cap, as Mountpoint's prefetcher does; every part GET carries If-Match with the
// ETag from the opening HEAD, so a replaced object fails instead of mixing versions.
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>

#include "client/part_planner.h"
#include "client/s3_client.h"
#include "s3/error_code.h"

namespace trainload::client {
namespace {

// The most parts one reader keeps in flight or buffered.
constexpr size_t kMaxWindowParts = 8;

struct PartSlot {
  ByteRange range;
  // Not zero-filled: every byte up to `filled` comes from the response, and zeroing 8 MiB per
  // part cost the reader thread as much as copying it out (docs/benchmarks.md, client profile).
  std::unique_ptr<std::byte[]> data;
  size_t capacity = 0;
  size_t filled = 0;
  MemoryReservation reservation;
  bool done = false;
  Status status;
};

// Fills one slot's buffer.
class SlotConsumer final : public BodyConsumer {
 public:
  explicit SlotConsumer(PartSlot& slot) : slot_(slot) {}
  Status Begin(int status, const http::Headers&) override {
    if (status != 206 && slot_.range.first != 0) {
      return Unimplemented("the server ignored the Range header (HTTP " + std::to_string(status) +
                           ")");
    }
    slot_.filled = 0;
    return Status::Ok();
  }
  Status Append(std::span<const std::byte> data) override {
    if (slot_.filled + data.size() > slot_.range.length()) {
      return DataLoss("the server sent more bytes than the requested range");
    }
    std::memcpy(slot_.data.get() + slot_.filled, data.data(), data.size());
    slot_.filled += data.size();
    return Status::Ok();
  }
  std::span<std::byte> Destination() override {
    // Empty once full: anything more goes to Append, which rejects it.
    return std::span(slot_.data.get() + slot_.filled, slot_.range.length() - slot_.filled);
  }
  Status Commit(size_t n) override {
    slot_.filled += n;
    return Status::Ok();
  }

 private:
  PartSlot& slot_;
};

class StreamReader final : public ObjectReader {
 public:
  StreamReader(S3Client& client, std::string bucket, std::string key, ObjectInfo info,
               const GetOptions& options)
      : client_(client),
        bucket_(std::move(bucket)),
        key_(std::move(key)),
        info_(std::move(info)),
        progress_(options.progress),
        plan_(PlanDownloadParts(0, info_.size, client.options().first_part_size,
                                client.options().part_size)) {}

  ~StreamReader() override {
    // Parts still being fetched write into slots this reader owns: wait for them.
    std::unique_lock lock(mu_);
    closing_ = true;
    changed_.wait(lock, [this] { return in_flight_ == 0; });
  }

  const ObjectInfo& info() const override { return info_; }

  Result<size_t> Read(std::span<std::byte> out) override {
    size_t total = 0;
    while (total < out.size()) {
      TL_ASSIGN_OR_RETURN(std::span<const std::byte> ready, Front());
      if (ready.empty()) break;  // end of object
      size_t n = std::min(out.size() - total, ready.size());
      std::memcpy(out.data() + total, ready.data(), n);
      Consume(n);
      total += n;
    }
    if (progress_ && total > 0) progress_(total);
    return total;
  }

  Status ReadAll(const std::function<Status(std::span<const std::byte>)>& sink) override {
    for (;;) {
      TL_ASSIGN_OR_RETURN(std::span<const std::byte> ready, Front());
      if (ready.empty()) return Status::Ok();
      TL_RETURN_IF_ERROR(sink(ready));
      Consume(ready.size());
      if (progress_) progress_(ready.size());
    }
  }

 private:
  // The unread bytes of the front part, waiting for it to arrive; empty at the end.
  Result<std::span<const std::byte>> Front() {
    std::unique_lock lock(mu_);
    Schedule(lock);
    if (slots_.empty()) return std::span<const std::byte>();
    PartSlot& front = *slots_.front();
    if (!front.done) {
      // The reader caught up with the prefetch: fetch further ahead from now on.
      window_ = std::min(window_ * 2, kMaxWindowParts);
      Schedule(lock);
      changed_.wait(lock, [&] { return front.done; });
    }
    if (!front.status.ok()) return Error(front.status);
    return std::span<const std::byte>(front.data.get() + consumed_, front.filled - consumed_);
  }

  // Marks `n` bytes of the front part read; a finished part's buffer (and its memory charge)
  // is kept for the next part instead of being freed: a fresh multi-MiB buffer costs a page
  // fault per 4 KiB on first touch, as much CPU as receiving into it.
  void Consume(size_t n) {
    consumed_ += n;
    std::lock_guard lock(mu_);
    if (consumed_ < slots_.front()->filled) return;
    std::unique_ptr<PartSlot> done = std::move(slots_.front());
    slots_.pop_front();
    consumed_ = 0;
    if (spare_.size() < 2 && next_part_ < plan_.size() &&
        done->capacity >= plan_[next_part_].length()) {
      spare_.push_back(std::move(done));
    }
  }

  // Starts fetches until the window is full. Called with mu_ held.
  void Schedule(std::unique_lock<std::mutex>& lock) {
    while (next_part_ < plan_.size() && slots_.size() < window_) {
      ByteRange range = plan_[next_part_];
      std::unique_ptr<PartSlot> slot;
      if (!spare_.empty() && spare_.back()->capacity >= range.length()) {
        slot = std::move(spare_.back());
        spare_.pop_back();
        slot->filled = 0;
        slot->done = false;
        slot->status = Status::Ok();
      } else {
        // The first part in the window may wait for memory; the others only take what is
        // free, so one reader never blocks the budget for everyone.
        uint64_t charged = slots_.empty() ? client_.memory().Acquire(range.length())
                                          : client_.memory().TryAcquire(range.length());
        if (charged == 0) break;
        slot = std::make_unique<PartSlot>();
        slot->data = std::make_unique_for_overwrite<std::byte[]>(range.length());
        slot->capacity = range.length();
        slot->reservation = MemoryReservation(&client_.memory(), charged);
      }
      slot->range = range;
      PartSlot* raw = slot.get();
      slots_.push_back(std::move(slot));
      ++next_part_;
      ++in_flight_;
      client_.pool().Submit([this, raw] { Fetch(*raw); });
    }
    (void)lock;
  }

  void Fetch(PartSlot& slot) {
    Status status;
    {
      std::lock_guard lock(mu_);
      if (closing_) status = Status(StatusCode::kCancelled, "reader closed");
    }
    if (status.ok()) {
      S3Request request{.operation = "GetObject", .bucket = bucket_, .key = key_};
      request.headers.Add("range", "bytes=" + std::to_string(slot.range.first) + "-" +
                                       std::to_string(slot.range.last));
      request.headers.Add("if-match", "\"" + info_.etag + "\"");
      SlotConsumer consumer(slot);
      status = StatusOf(client_.requester().SendStreaming(request, consumer));
      if (status.ok() && slot.filled != slot.range.length()) {
        status = DataLoss("GetObject s3://" + bucket_ + "/" + key_ + ": range " +
                          std::to_string(slot.range.first) + "-" +
                          std::to_string(slot.range.last) + " returned " +
                          std::to_string(slot.filled) + " bytes");
      }
      if (s3::ErrorCodeOf(status) == s3::ErrorCode::kPreconditionFailed) {
        status = Status(StatusCode::kAborted,
                        "s3://" + bucket_ + "/" + key_ +
                            " changed while being read (its ETag is no longer \"" + info_.etag +
                            "\")",
                        "PreconditionFailed");
      }
    }
    std::lock_guard lock(mu_);
    slot.status = std::move(status);
    slot.done = true;
    --in_flight_;
    changed_.notify_all();
  }

  S3Client& client_;
  const std::string bucket_;
  const std::string key_;
  const ObjectInfo info_;
  const ProgressFn progress_;
  const std::vector<ByteRange> plan_;

  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::unique_ptr<PartSlot>> slots_;  // guarded by mu_; front is being read
  std::vector<std::unique_ptr<PartSlot>> spare_;  // guarded by mu_; read parts to reuse
  size_t next_part_ = 0;                         // guarded by mu_
  size_t window_ = 2;                            // guarded by mu_
  size_t in_flight_ = 0;                         // guarded by mu_
  bool closing_ = false;                         // guarded by mu_
  size_t consumed_ = 0;  // bytes of the front slot already read; reader thread only
};

}  // namespace

Result<std::unique_ptr<ObjectReader>> S3Client::OpenReader(std::string_view bucket,
                                                           std::string_view key,
                                                           const GetOptions& options) {
  TL_ASSIGN_OR_RETURN(ObjectInfo info, Head(bucket, key));
  if (!options.if_match.empty() && options.if_match != info.etag) {
    return Error(s3::MakeError(s3::ErrorCode::kPreconditionFailed,
                               "GetObject s3://" + std::string(bucket) + "/" + std::string(key) +
                                   ": ETag is \"" + info.etag + "\", not \"" + options.if_match +
                                   "\""));
  }
  return std::unique_ptr<ObjectReader>(new StreamReader(*this, std::string(bucket),
                                                        std::string(key), std::move(info),
                                                        options));
}

}  // namespace trainload::client
