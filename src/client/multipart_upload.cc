// S3Client::Upload, OpenWriter and Copy, over MultipartUpload and PartRunner.
//
// Memory: a part's buffer is reserved from the client's budget by the thread that submits the
// part, before the part is queued, and released by the part when its request is done. Pool
// threads therefore never wait for memory, so parts of other transfers queued behind them keep
// moving and the reservations held always belong to requests that will finish.
//
// A file upload holds no part in memory: each part's CRC64NVME is computed by reading the file
// through a small buffer, and the part is then sent from the file (sendfile(2) over plain HTTP,
// pread(2) into libcurl's buffer otherwise). Measured on a 2-core machine, 2 GiB in 8 MiB parts:
// client CPU 2.1-2.3 s when each part was read into a fresh buffer and copied again by libcurl's
// read callback; ~1.5 s sent from a reused buffer with sendmsg(2); 0.7-1.0 s with sendfile
// (8 curl processes PUTting the same bytes: 0.85-1.2 s).
#include "client/multipart_upload.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <random>
#include <thread>

#include "client/part_planner.h"
#include "client/retry_policy.h"
#include "client/s3_client.h"
#include "common/checksum.h"
#include "common/digest.h"
#include "common/encoding.h"
#include "s3/error_code.h"
#include "s3/request_builders.h"
#include "s3/response_parsers.h"

namespace trainload::client {
namespace {

using s3::ErrorCode;

constexpr std::string_view kCrcElement = "ChecksumCRC64NVME";
constexpr std::string_view kCrcHeader = "x-amz-checksum-crc64nvme";

std::string Uri(std::string_view bucket, std::string_view key) {
  return "s3://" + std::string(bucket) + "/" + std::string(key);
}

std::string StripQuotes(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

// x-amz-copy-source: "/bucket/key", each UriEncoded with '/' kept (S3 decodes it once).
std::string CopySourceHeader(std::string_view bucket, std::string_view key) {
  return "/" + UriEncode(bucket, /*encode_slash=*/false) + "/" +
         UriEncode(key, /*encode_slash=*/false);
}

// The value of the <ChecksumCRC64NVME> element, or "".
std::string CrcElement(const s3::ChecksumFields& checksums) {
  for (const auto& [name, value] : checksums) {
    if (name == kCrcElement) return value;
  }
  return {};
}

std::string PartLabel(uint32_t number, size_t count, ByteRange range) {
  return "part " + std::to_string(number) + " of " + std::to_string(count) + " (bytes " +
         std::to_string(range.first) + "-" + std::to_string(range.last) + ")";
}

void SleepBeforeRetry(const ClientOptions& options, int retry) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  RetryOptions retry_options{kInBodyErrorAttempts, options.backoff_base, options.backoff_max};
  std::this_thread::sleep_for(BackoffDelay(retry, retry_options, rng()));
}

// Sends `request` and parses its 2xx body with `parse`. S3 may answer CompleteMultipartUpload,
// CopyObject and UploadPartCopy with 200 and then an <Error> document (it has already sent the
// status line when the work fails); such an error is returned as what it is, and retried when
// it is transient, since the Requester only sees the 200.
template <typename T>
Result<T> SendParsed(S3Client& client, const S3Request& request,
                     Result<T> (*parse)(std::string_view)) {
  for (int attempt = 1;; ++attempt) {
    TL_ASSIGN_OR_RETURN(S3Response response, client.requester().Send(request));
    Result<T> parsed = parse(response.body);
    if (parsed.has_value()) return parsed;
    Status error = parsed.error().WithContext(Requester::Describe(request) + " (HTTP " +
                                              std::to_string(response.status) + ")");
    bool retryable = !error.reason().empty() && IsTransient(error);
    if (!retryable) return Error(error);
    if (attempt >= kInBodyErrorAttempts) {
      return Error(error.WithContext("giving up after " + std::to_string(attempt) + " attempts"));
    }
    SleepBeforeRetry(client.options(), attempt - 1);
  }
}

// Calls the user's progress function from one thread at a time.
class ProgressReporter {
 public:
  explicit ProgressReporter(const ProgressFn& fn) : fn_(fn) {}
  void Report(uint64_t bytes) {
    if (!fn_ || bytes == 0) return;
    std::lock_guard lock(mu_);
    fn_(bytes);
  }

 private:
  const ProgressFn& fn_;
  std::mutex mu_;
};

class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() { ::close(fd_); }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Fills `out` from `path` at `offset`. A file that ends early was truncated while it was being
// uploaded: kAborted rather than an object holding a mix of two versions.
Status ReadAt(int fd, std::span<std::byte> out, uint64_t offset, const std::string& path) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n =
        ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("reading " + path + " at byte " + std::to_string(offset + done), errno);
    }
    if (n == 0) {
      return Status(StatusCode::kAborted, path + " ends at byte " + std::to_string(offset + done) +
                                              ", before its size when the upload started: the "
                                              "file changed during the upload");
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

// A part's CRC is computed by reading the file through a buffer this small, which stays in the
// core's cache; the body itself goes from the page cache to the socket (sendfile) when sent.
constexpr size_t kChecksumPieceBytes = 256 * 1024;

// The raw CRC64NVME of bytes `range` of `fd`, read through `scratch`. A file that ends early is
// kAborted, as in ReadAt.
Result<std::string> ChecksumFileRange(int fd, ByteRange range, const std::string& path,
                                      std::span<std::byte> scratch) {
  // The whole part from the disk at once when it is not cached: the small reads below, from
  // many parts of one file descriptor at a time, would defeat the kernel's read-ahead.
  (void)::posix_fadvise(fd, static_cast<off_t>(range.first), static_cast<off_t>(range.length()),
                        POSIX_FADV_WILLNEED);
  std::unique_ptr<Checksummer> crc = Checksummer::Create(ChecksumAlgorithm::kCrc64Nvme);
  for (uint64_t done = 0; done < range.length();) {
    std::span<std::byte> piece = scratch.first(
        static_cast<size_t>(std::min<uint64_t>(scratch.size(), range.length() - done)));
    TL_RETURN_IF_ERROR(ReadAt(fd, piece, range.first + done, path));
    crc->Update(piece);
    done += piece.size();
  }
  return crc->Finish();
}

Result<std::unique_ptr<MultipartUpload>> CreateUpload(S3Client& client, std::string_view bucket,
                                                      std::string_view key,
                                                      const PutOptions& options,
                                                      const std::string& what) {
  auto upload = MultipartUpload::Create(client, bucket, key, options);
  if (!upload.has_value()) return Error(upload.error().WithContext(what));
  return upload;
}

// The multipart half of Upload: parts read with pread, a bounded number in flight.
Result<PutResult> UploadFileInParts(S3Client& client, int fd, const std::string& path,
                                    uint64_t size, std::string_view bucket, std::string_view key,
                                    const PutOptions& options, const std::string& what) {
  const uint64_t part_size = UploadPartSize(size, client.options().part_size);
  const std::vector<ByteRange> ranges = PlanDownloadParts(0, size, 0, part_size);
  TL_ASSIGN_OR_RETURN(std::unique_ptr<MultipartUpload> upload,
                      CreateUpload(client, bucket, key, options, what));
  ProgressReporter progress(options.progress);
  Status failed;
  {
    PartRunner runner(client.pool(), client.pool().size());
    for (size_t i = 0; i < ranges.size() && runner.status().ok(); ++i) {
      const ByteRange range = ranges[i];
      const auto number = static_cast<uint32_t>(i + 1);
      auto reservation = std::make_shared<MemoryReservation>(
          &client.memory(), client.memory().Acquire(kChecksumPieceBytes));
      Status submitted = runner.Submit([&, range, number, reservation]() -> Status {
        auto scratch = std::make_unique_for_overwrite<std::byte[]>(kChecksumPieceBytes);
        auto crc =
            ChecksumFileRange(fd, range, path, std::span(scratch.get(), kChecksumPieceBytes));
        scratch.reset();
        reservation->Reset();
        Status status = crc.has_value()
                            ? upload->UploadFilePart(number, fd, path, range, std::move(*crc))
                            : crc.error();
        if (status.ok()) progress.Report(range.length());
        return status.WithContext(PartLabel(number, ranges.size(), range));
      });
      if (!submitted.ok()) break;
    }
    failed = runner.Wait();
  }
  if (!failed.ok()) {
    (void)upload->Abort();
    return Error(failed.WithContext(what));
  }
  auto result = upload->Complete(options);
  if (!result.has_value()) {
    (void)upload->Abort();  // NoSuchUpload when the failure came after the commit
    return Error(result.error().WithContext(what));
  }
  return result;
}

// OpenWriter's writer. Data collects in a part-size buffer; a full buffer becomes a part only
// when more data arrives, so a stream of at most one part is a single PutObject at Close.
class StreamWriter final : public ObjectWriter {
 public:
  StreamWriter(S3Client& client, std::string_view bucket, std::string_view key,
               const PutOptions& options)
      : client_(client),
        bucket_(bucket),
        key_(key),
        options_(options),
        part_size_(UploadPartSize(0, client.options().part_size)),
        progress_(options_.progress) {}

  ~StreamWriter() override {
    if (state_ == State::kOpen) Abort();
  }

  Status Write(std::span<const std::byte> data) override {
    TL_RETURN_IF_ERROR(CheckOpen("Write"));
    if (runner_) {
      Status background = runner_->status();
      if (!background.ok()) return Fail(background);
    }
    while (!data.empty()) {
      if (buffer_.size() == part_size_) TL_RETURN_IF_ERROR(SendBuffer());
      size_t n = static_cast<size_t>(std::min<uint64_t>(part_size_ - buffer_.size(), data.size()));
      Grow(buffer_.size() + n);
      buffer_.insert(buffer_.end(), data.begin(), data.begin() + static_cast<ptrdiff_t>(n));
      data = data.subspan(n);
    }
    return Status::Ok();
  }

  Result<PutResult> Close() override {
    TL_RETURN_IF_ERROR(CheckOpen("Close"));
    if (!upload_) {
      auto result = client_.Put(bucket_, key_, buffer_, options_);
      Discard();
      state_ = State::kClosed;
      if (!result.has_value()) {
        error_ = result.error().WithContext(Describe());
        state_ = State::kFailed;
        return Error(error_);
      }
      return result;
    }
    TL_RETURN_IF_ERROR(SendBuffer());
    Status parts = runner_->Wait();
    if (!parts.ok()) return Error(Fail(parts));
    auto result = upload_->Complete(options_);
    if (!result.has_value()) return Error(Fail(result.error()));
    runner_.reset();
    upload_.reset();
    state_ = State::kClosed;
    return result;
  }

  void Abort() override {
    if (state_ != State::kOpen) return;
    Discard();
    state_ = State::kAborted;
  }

 private:
  enum class State { kOpen, kFailed, kClosed, kAborted };

  // A full buffer on its way to the server, with the memory it holds.
  struct BufferedPart {
    std::vector<std::byte> data;
    MemoryReservation reservation;
    void Release() {
      data = {};
      reservation.Reset();
    }
  };

  std::string Describe() const { return "writing " + Uri(bucket_, key_); }

  // Makes room for `needed` bytes, charging the budget for the new capacity first (this blocks
  // while the budget is spent; the parts in flight give it back as they finish). Once the stream
  // is known to span parts every buffer is a whole part; until then the first one grows, so a
  // small object holds little of the budget.
  void Grow(size_t needed) {
    if (needed <= buffer_.capacity()) return;
    uint64_t capacity = part_size_;
    if (!upload_) {
      capacity = std::min<uint64_t>(part_size_,
                                    std::max<uint64_t>({needed, 2 * buffer_.capacity(), 64 << 10}));
    }
    // Never more than the whole budget: a writer must not wait for memory it holds itself.
    uint64_t charge = std::min(capacity, client_.memory().limit());
    if (charge > reserved_) reserved_ += client_.memory().Acquire(charge - reserved_);
    buffer_.reserve(static_cast<size_t>(capacity));
  }

  Status CheckOpen(std::string_view operation) const {
    switch (state_) {
      case State::kOpen:
        return Status::Ok();
      case State::kFailed:
        return error_;
      case State::kClosed:
        return FailedPrecondition(std::string(operation) + " after Close: " + Describe());
      case State::kAborted:
        return FailedPrecondition(std::string(operation) + " after Abort: " + Describe());
    }
    return Status::Ok();
  }

  // Hands the buffer to a pool task as the next part, starting the upload the first time.
  Status SendBuffer() {
    if (!upload_) {
      auto created = MultipartUpload::Create(client_, bucket_, key_, options_);
      if (!created.has_value()) return Fail(created.error());
      upload_ = std::move(*created);
      runner_ = std::make_unique<PartRunner>(client_.pool(), client_.pool().size());
    }
    if (next_part_ > kMaxUploadParts) {
      return Fail(InvalidArgument("the stream is longer than " + std::to_string(kMaxUploadParts) +
                                  " parts of " + std::to_string(part_size_) +
                                  " bytes (raise ClientOptions::part_size)"));
    }
    auto part = std::make_shared<BufferedPart>();
    part->data = std::exchange(buffer_, {});
    part->reservation = MemoryReservation(&client_.memory(), std::exchange(reserved_, 0));
    const uint32_t number = next_part_++;
    MultipartUpload* upload = upload_.get();
    ProgressReporter* progress = &progress_;
    Status submitted = runner_->Submit([upload, progress, part, number]() -> Status {
      Status status = upload->UploadPart(number, part->data);
      if (status.ok()) progress->Report(part->data.size());
      part->Release();
      return status.WithContext("part " + std::to_string(number));
    });
    if (!submitted.ok()) return Fail(submitted);
    return Status::Ok();
  }

  // Stops the writer for good: waits for the parts in flight, aborts the upload, frees memory.
  Status Fail(const Status& status) {
    error_ = status.WithContext(Describe());
    Discard();
    state_ = State::kFailed;
    return error_;
  }

  void Discard() {
    if (runner_) (void)runner_->Wait();
    if (upload_) (void)upload_->Abort();
    runner_.reset();
    upload_.reset();
    buffer_ = {};
    client_.memory().Release(std::exchange(reserved_, 0));
  }

  S3Client& client_;
  const std::string bucket_;
  const std::string key_;
  const PutOptions options_;
  const uint64_t part_size_;
  ProgressReporter progress_;
  State state_ = State::kOpen;
  Status error_;  // set in kFailed
  std::vector<std::byte> buffer_;
  uint64_t reserved_ = 0;  // bytes of the budget charged for buffer_'s capacity
  std::unique_ptr<MultipartUpload> upload_;
  std::unique_ptr<PartRunner> runner_;  // after upload_: its parts use it
  uint32_t next_part_ = 1;
};

}  // namespace

// MultipartUpload.

MultipartUpload::MultipartUpload(S3Client& client, std::string bucket, std::string key,
                                 std::string upload_id)
    : client_(client),
      bucket_(std::move(bucket)),
      key_(std::move(key)),
      upload_id_(std::move(upload_id)) {}

std::string MultipartUpload::Describe() const { return Uri(bucket_, key_); }

Result<std::unique_ptr<MultipartUpload>> MultipartUpload::Create(S3Client& client,
                                                                 std::string_view bucket,
                                                                 std::string_view key,
                                                                 const PutOptions& options) {
  S3Request request{.operation = "CreateMultipartUpload",
                    .method = "POST",
                    .bucket = std::string(bucket),
                    .key = std::string(key)};
  request.query = {{"uploads", ""}};
  request.headers.Add("x-amz-checksum-algorithm", "CRC64NVME");
  request.headers.Add("x-amz-checksum-type", "FULL_OBJECT");
  PutOptions attributes = options;
  attributes.if_none_match = false;
  attributes.if_match.clear();
  AddPutHeaders(attributes, request.headers);
  TL_ASSIGN_OR_RETURN(S3Response response, client.requester().Send(request));
  auto parsed = s3::ParseInitiateMultipartUploadResult(response.body);
  if (!parsed.has_value()) return Error(parsed.error().WithContext(Requester::Describe(request)));
  return std::unique_ptr<MultipartUpload>(new MultipartUpload(
      client, std::string(bucket), std::string(key), std::move(parsed->upload_id)));
}

void MultipartUpload::Record(UploadedPart part) {
  std::lock_guard lock(mu_);
  parts_.push_back(std::move(part));
}

Status MultipartUpload::UploadPart(uint32_t number, std::span<const std::byte> data) {
  std::string crc =
      ComputeChecksum(ChecksumAlgorithm::kCrc64Nvme,
                      std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
  S3Request request{.operation = "UploadPart", .method = "PUT", .bucket = bucket_, .key = key_};
  request.body_view = data;
  return SendPart(request, number, data.size(), std::move(crc));
}

Status MultipartUpload::UploadFilePart(uint32_t number, int fd, const std::string& path,
                                       ByteRange range, std::string crc) {
  S3Request request{.operation = "UploadPart", .method = "PUT", .bucket = bucket_, .key = key_};
  request.body_file = http::BodyFile{fd, range.first, range.length(), path};
  Status status = SendPart(request, number, range.length(), std::move(crc));
  if (s3::ErrorCodeOf(status) == ErrorCode::kBadDigest) {
    // The CRC was computed from the file a moment before the server read the same bytes.
    return status.WithContext(path + " changed while part " + std::to_string(number) +
                              " was being uploaded");
  }
  return status;
}

Status MultipartUpload::SendPart(S3Request& request, uint32_t number, uint64_t size,
                                 std::string crc) {
  request.query = {{"partNumber", std::to_string(number)}, {"uploadId", upload_id_}};
  request.headers.Add(kCrcHeader, Base64Encode(crc));
  TL_ASSIGN_OR_RETURN(S3Response response, client_.requester().Send(request));
  std::string etag = StripQuotes(response.headers.Get("etag").value_or(""));
  if (etag.empty()) {
    return DataLoss(Requester::Describe(request) + ": the response to part " +
                    std::to_string(number) + " has no ETag");
  }
  if (auto echoed = response.headers.Get(kCrcHeader); echoed && *echoed != Base64Encode(crc)) {
    return DataLoss(Requester::Describe(request) + ": the server stored part " +
                    std::to_string(number) + " with CRC64NVME " + std::string(*echoed) +
                    ", the client sent " + Base64Encode(crc));
  }
  Record(UploadedPart{number, size, std::move(etag), std::move(crc)});
  return Status::Ok();
}

Status MultipartUpload::CopyPart(uint32_t number, std::string_view source_bucket,
                                 std::string_view source_key, ByteRange range,
                                 std::string_view source_etag) {
  S3Request request{.operation = "UploadPartCopy", .method = "PUT", .bucket = bucket_, .key = key_};
  request.query = {{"partNumber", std::to_string(number)}, {"uploadId", upload_id_}};
  request.headers.Add("x-amz-copy-source", CopySourceHeader(source_bucket, source_key));
  request.headers.Add("x-amz-copy-source-range",
                      "bytes=" + std::to_string(range.first) + "-" + std::to_string(range.last));
  request.headers.Add("x-amz-copy-source-if-match", "\"" + std::string(source_etag) + "\"");
  TL_ASSIGN_OR_RETURN(s3::ParsedCopyResult result,
                      SendParsed(client_, request, &s3::ParseCopyPartResult));
  // Servers that keep no checksums (or not for this upload) send none: the part then has no
  // CRC, and the object's CRC cannot be checked.
  std::string crc = Base64Decode(CrcElement(result.checksums)).value_or("");
  if (crc.size() != ChecksumSize(ChecksumAlgorithm::kCrc64Nvme)) crc.clear();
  Record(UploadedPart{number, range.length(), std::move(result.etag), std::move(crc)});
  return Status::Ok();
}

std::string MultipartUpload::CombinedCrc() const {
  std::vector<UploadedPart> parts;
  {
    std::lock_guard lock(mu_);
    parts = parts_;
  }
  std::sort(parts.begin(), parts.end(),
            [](const UploadedPart& a, const UploadedPart& b) { return a.number < b.number; });
  std::string combined;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].crc64nvme.empty()) return {};
    if (i == 0) {
      combined = parts[i].crc64nvme;
    } else {
      combined =
          CombineCrc(ChecksumAlgorithm::kCrc64Nvme, combined, parts[i].crc64nvme, parts[i].size)
              .value_or("");
      if (combined.empty()) return {};
    }
  }
  return combined;
}

std::string MultipartUpload::ExpectedETag(const std::vector<UploadedPart>& parts) const {
  std::string digests;
  for (const UploadedPart& part : parts) {
    auto md5 = HexDecode(part.etag);
    if (!md5 || md5->size() != 16) return {};
    digests += *md5;
  }
  return HexEncode(Md5(digests)) + "-" + std::to_string(parts.size());
}

Result<PutResult> MultipartUpload::Complete(const PutOptions& options) {
  std::vector<UploadedPart> parts;
  {
    std::lock_guard lock(mu_);
    parts = parts_;
  }
  std::sort(parts.begin(), parts.end(),
            [](const UploadedPart& a, const UploadedPart& b) { return a.number < b.number; });
  std::vector<s3::PartToComplete> list;
  list.reserve(parts.size());
  for (const UploadedPart& part : parts) {
    s3::PartToComplete entry{.part_number = part.number, .etag = part.etag};
    if (!part.crc64nvme.empty()) {
      entry.checksum_name = std::string(kCrcElement);
      entry.checksum_value = Base64Encode(part.crc64nvme);
    }
    list.push_back(std::move(entry));
  }
  const std::string combined = CombinedCrc();

  S3Request request{
      .operation = "CompleteMultipartUpload", .method = "POST", .bucket = bucket_, .key = key_};
  request.query = {{"uploadId", upload_id_}};
  request.body = s3::CompleteMultipartUploadBody(list);
  request.sign_body = true;
  request.headers.Add("content-type", "application/xml");
  if (!combined.empty()) {
    // S3 checks the object against this before it commits (BadDigest otherwise).
    request.headers.Add(kCrcHeader, Base64Encode(combined));
    request.headers.Add("x-amz-checksum-type", "FULL_OBJECT");
  }
  if (options.if_none_match) request.headers.Add("if-none-match", "*");
  if (!options.if_match.empty()) request.headers.Add("if-match", "\"" + options.if_match + "\"");

  auto completed = SendParsed(client_, request, &s3::ParseCompleteMultipartUploadResult);
  PutResult result;
  std::string returned_crc;
  if (completed.has_value()) {
    result.etag = std::move(completed->etag);
    returned_crc = CrcElement(completed->checksums);
  } else {
    // A retried Complete whose first attempt committed finds the upload gone. The object then
    // carries this upload's ETag (MD5 of the part MD5s): recognise it instead of failing.
    std::string expected = ExpectedETag(parts);
    if (s3::ErrorCodeOf(completed.error()) != ErrorCode::kNoSuchUpload || expected.empty()) {
      return Error(completed.error());
    }
    auto info = client_.Head(bucket_, key_);
    if (!info.has_value() || info->etag != expected) return Error(completed.error());
    result.etag = info->etag;
    if (info->checksum_algorithm == "CRC64NVME") returned_crc = info->checksum;
  }
  result.checksum = returned_crc;
  // Composite values ("...-N") are checksums of checksums; only a full-object CRC compares.
  if (!combined.empty() && !returned_crc.empty() && returned_crc.find('-') == std::string::npos &&
      returned_crc != Base64Encode(combined)) {
    return Error(DataLoss(Requester::Describe(request) + ": the server reports CRC64NVME " +
                          returned_crc + " for the object, its parts combine to " +
                          Base64Encode(combined)));
  }
  return result;
}

Status MultipartUpload::Abort() {
  S3Request request{
      .operation = "AbortMultipartUpload", .method = "DELETE", .bucket = bucket_, .key = key_};
  request.query = {{"uploadId", upload_id_}};
  Status status = StatusOf(client_.requester().Send(request));
  if (s3::ErrorCodeOf(status) == ErrorCode::kNoSuchUpload) return Status::Ok();
  return status;
}

// PartRunner.

PartRunner::PartRunner(TaskPool& pool, size_t window)
    : pool_(pool), window_(std::max<size_t>(window, 1)) {}

PartRunner::~PartRunner() { (void)Wait(); }

Status PartRunner::Submit(std::function<Status()> part) {
  {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [this] { return outstanding_ < window_ || !first_error_.ok(); });
    if (!first_error_.ok()) return first_error_;
    ++outstanding_;
  }
  pool_.Submit([this, part = std::move(part)] {
    Status status = part();
    std::lock_guard lock(mu_);
    if (!status.ok() && first_error_.ok()) first_error_ = std::move(status);
    --outstanding_;
    // Under the lock: once Wait() can see zero, this task no longer touches the runner.
    changed_.notify_all();
  });
  return Status::Ok();
}

Status PartRunner::Wait() {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [this] { return outstanding_ == 0; });
  return first_error_;
}

Status PartRunner::status() const {
  std::lock_guard lock(mu_);
  return first_error_;
}

// Multipart copy.

Result<PutResult> MultipartCopy(S3Client& client, std::string_view source_bucket,
                                const ObjectInfo& source, std::string_view bucket,
                                std::string_view key, const PutOptions& options,
                                uint64_t part_size) {
  const std::string what = "Copy " + Uri(source_bucket, source.key) + " to " + Uri(bucket, key);
  if (source.size == 0 || part_size == 0) {
    return Error(InvalidArgument(what + ": a multipart copy needs a non-empty source and parts"));
  }
  // CopyObject's COPY directive keeps the source's content type and metadata; a multipart
  // copy starts a new object, so they are carried over explicitly.
  PutOptions attributes = options;
  if (attributes.content_type.empty() && attributes.metadata.empty()) {
    attributes.content_type = source.content_type;
    attributes.metadata = source.metadata;
  }
  const std::vector<ByteRange> ranges = PlanDownloadParts(0, source.size, 0, part_size);
  if (ranges.size() > kMaxUploadParts) {
    return Error(InvalidArgument(what + ": " + std::to_string(ranges.size()) +
                                 " parts, more than S3 allows"));
  }
  TL_ASSIGN_OR_RETURN(std::unique_ptr<MultipartUpload> upload,
                      CreateUpload(client, bucket, key, attributes, what));
  ProgressReporter progress(options.progress);
  Status failed;
  {
    PartRunner runner(client.pool(), client.pool().size());
    for (size_t i = 0; i < ranges.size(); ++i) {
      const ByteRange range = ranges[i];
      const auto number = static_cast<uint32_t>(i + 1);
      Status submitted = runner.Submit([&, range, number]() -> Status {
        Status status = upload->CopyPart(number, source_bucket, source.key, range, source.etag);
        if (status.ok()) progress.Report(range.length());
        return status.WithContext(PartLabel(number, ranges.size(), range));
      });
      if (!submitted.ok()) break;
    }
    failed = runner.Wait();
  }
  if (failed.ok() && source.checksum_algorithm == "CRC64NVME" &&
      source.checksum.find('-') == std::string::npos) {
    // The parts' CRCs must add up to the source's: checked before the object becomes visible.
    std::string combined = upload->CombinedCrc();
    if (!combined.empty() && Base64Encode(combined) != source.checksum) {
      failed = DataLoss("the copied parts' CRC64NVME " + Base64Encode(combined) +
                        " does not match the source's " + source.checksum);
    }
  }
  if (!failed.ok()) {
    (void)upload->Abort();
    if (s3::ErrorCodeOf(failed) == ErrorCode::kPreconditionFailed) {
      return Error(Status(StatusCode::kAborted,
                          what + ": the source changed during the copy (its ETag is no longer \"" +
                              source.etag + "\"): " + failed.message(),
                          "PreconditionFailed"));
    }
    return Error(failed.WithContext(what));
  }
  auto result = upload->Complete(options);
  if (!result.has_value()) {
    (void)upload->Abort();
    return Error(result.error().WithContext(what));
  }
  return result;
}

// S3Client methods.

Result<PutResult> S3Client::Upload(std::string_view bucket, std::string_view key,
                                   const std::string& path, const PutOptions& options) {
  const std::string what = "Upload " + path + " to " + Uri(bucket, key);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error(ErrnoStatus(what + ": cannot open " + path, errno));
  ScopedFd file(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Error(ErrnoStatus(what + ": cannot stat " + path, errno));
  if (!S_ISREG(st.st_mode)) return Error(InvalidArgument(what + ": not a regular file"));
  const auto size = static_cast<uint64_t>(st.st_size);
  // A file that fits in one part (part_size, or S3's 5 MiB minimum when part_size is smaller)
  // is one PUT: a multipart upload of one part only adds requests.
  if (size > UploadPartSize(size, config_.options.part_size)) {
    return UploadFileInParts(*this, fd, path, size, bucket, key, options, what);
  }
  MemoryReservation reservation(&memory_, memory_.Acquire(size));
  auto buffer = std::make_unique_for_overwrite<std::byte[]>(size);
  std::span<std::byte> data(buffer.get(), size);
  Status read = ReadAt(fd, data, 0, path);
  if (!read.ok()) return Error(read.WithContext(what));
  auto put = Put(bucket, key, data, options);
  if (!put.has_value()) return Error(put.error().WithContext(what));
  return put;
}

Result<std::unique_ptr<ObjectWriter>> S3Client::OpenWriter(std::string_view bucket,
                                                           std::string_view key,
                                                           const PutOptions& options) {
  return std::unique_ptr<ObjectWriter>(new StreamWriter(*this, bucket, key, options));
}

Result<PutResult> S3Client::Copy(std::string_view source_bucket, std::string_view source_key,
                                 std::string_view bucket, std::string_view key,
                                 const PutOptions& options) {
  const std::string what = "Copy " + Uri(source_bucket, source_key) + " to " + Uri(bucket, key);
  auto source = Head(source_bucket, source_key);
  if (!source.has_value()) return Error(source.error().WithContext(what));
  if (source->size > kMaxCopyObjectSize) {
    uint64_t part_size =
        UploadPartSize(source->size, std::max(config_.options.part_size, kMinCopyPartSize));
    return MultipartCopy(*this, source_bucket, *source, bucket, key, options, part_size);
  }
  S3Request request{.operation = "CopyObject",
                    .method = "PUT",
                    .bucket = std::string(bucket),
                    .key = std::string(key)};
  request.headers.Add("x-amz-copy-source", CopySourceHeader(source_bucket, source_key));
  bool replace = !options.content_type.empty() || !options.metadata.empty();
  request.headers.Add("x-amz-metadata-directive", replace ? "REPLACE" : "COPY");
  // Under COPY this adds only the storage class and the conditions.
  AddPutHeaders(options, request.headers);
  // A conditional copy repeated after a lost response could fail the condition it satisfied.
  request.idempotent = !options.if_none_match && options.if_match.empty();
  auto copied = SendParsed(*this, request, &s3::ParseCopyObjectResult);
  if (!copied.has_value()) return Error(copied.error().WithContext(what));
  if (options.progress) options.progress(source->size);
  PutResult result;
  result.etag = std::move(copied->etag);
  result.checksum = CrcElement(copied->checksums);
  return result;
}

}  // namespace trainload::client
