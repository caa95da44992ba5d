// S3Client::Download: a whole object to a file as parallel ranged part GETs, each written in
// place with pwrite as it arrives (no buffers: the memory budget is not needed), every part
// pinned to the object's ETag with If-Match, the parts' CRCs combined and checked against the
// object's stored full-object checksum, and the file renamed into place only when complete.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <random>

#include "client/body_checksum.h"
#include "client/part_planner.h"
#include "client/s3_client.h"
#include "common/checksum.h"
#include "s3/error_code.h"

namespace trainload::client {
namespace {

// Writes one part's bytes at their offset in the file, computing their CRC on the way.
// Progress counts each byte of the part once: a retried attempt writes its bytes again, and
// only those past what earlier attempts reached (`reported`) are new to the caller.
class PwriteConsumer final : public BodyConsumer {
 public:
  PwriteConsumer(int fd, ByteRange range, std::optional<ChecksumAlgorithm> crc,
                 const ProgressFn& progress, uint64_t reported = 0)
      : fd_(fd), range_(range), algorithm_(crc), progress_(progress), reported_(reported) {}

  Status Begin(int status, const http::Headers&) override {
    if (status != 206 && range_.first != 0) {
      return Unimplemented("the server ignored the Range header (HTTP " + std::to_string(status) +
                           ")");
    }
    written_ = 0;
    if (algorithm_) checksummer_ = Checksummer::Create(*algorithm_);
    return Status::Ok();
  }

  Status Append(std::span<const std::byte> data) override {
    if (written_ + data.size() > range_.length()) {
      return DataLoss("the server sent more bytes than the range " + std::to_string(range_.first) +
                      "-" + std::to_string(range_.last));
    }
    if (checksummer_) checksummer_->Update(data);
    const std::byte* p = data.data();
    size_t left = data.size();
    while (left > 0) {
      ssize_t n = ::pwrite(fd_, p, left, static_cast<off_t>(range_.first + written_));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("writing the download", errno);
      }
      p += n;
      left -= static_cast<size_t>(n);
      written_ += static_cast<uint64_t>(n);
    }
    if (progress_ && written_ > reported_) {
      progress_(written_ - reported_);
      reported_ = written_;
    }
    return Status::Ok();
  }

  uint64_t written() const { return written_; }
  uint64_t reported() const { return reported_; }
  std::string TakeChecksum() { return checksummer_ ? checksummer_->Finish() : std::string(); }

 private:
  const int fd_;
  const ByteRange range_;
  const std::optional<ChecksumAlgorithm> algorithm_;
  const ProgressFn& progress_;
  std::unique_ptr<Checksummer> checksummer_;
  uint64_t written_ = 0;
  uint64_t reported_;  // the most bytes any attempt has written and reported
};

// Six random letters and digits, as mkstemp uses.
std::string RandomSuffix() {
  constexpr std::string_view kChars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device random;
  std::string out(6, 'x');
  for (char& c : out) c = kChars[random() % kChars.size()];
  return out;
}

// The file a download is written into, made visible under its final name only when complete.
//
// Preferably an unnamed file (O_TMPFILE) in the destination's directory, linked in at the end:
// creating it does not lock the directory, which matters when many small objects are staged
// into one directory at once (measured: 64 threads creating named temp files spent a third of
// the stage's CPU spinning on the directory's lock while ext4 allocated inodes), and a crash
// leaves nothing behind. Where the file system has no O_TMPFILE, a named temp file
// "<path>.trainload-XXXXXX" is renamed into place instead.
class TempFile {
 public:
  static Result<TempFile> Create(const std::string& path) {
    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    // Linking an unnamed file in goes through /proc/self/fd (see LinkAs).
    if (::access("/proc/self/fd", X_OK) == 0) {
      int fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
      if (fd >= 0) return TempFile(fd, std::string());
    }
    std::string name = path + ".trainload-XXXXXX";
    int fd = ::mkstemp(name.data());
    if (fd < 0) return Error(ErrnoStatus("cannot create a temp file beside " + path, errno));
    ::fchmod(fd, 0644);
    return TempFile(fd, std::move(name));
  }
  TempFile(TempFile&& other) noexcept : fd_(other.fd_), name_(std::move(other.name_)) {
    other.fd_ = -1;
  }
  ~TempFile() {
    if (fd_ >= 0) {
      ::close(fd_);
      if (!name_.empty()) ::unlink(name_.c_str());
    }
  }
  int fd() const { return fd_; }

  Status CommitAs(const std::string& path) {
    if (name_.empty()) {
      // Linking needs the descriptor still open; an existing file at `path` (an overwrite, a
      // resumed stage) is replaced by linking under a temp name and renaming over it.
      Status linked = LinkAs(path);
      // The temp name has the shape `stage` sweeps after a crash: ".trainload-" + 6 letters.
      for (int attempt = 0; attempt < 100 && linked.code() == StatusCode::kAlreadyExists;
           ++attempt) {
        std::string name = path + ".trainload-" + RandomSuffix();
        linked = LinkAs(name);
        if (linked.ok()) name_ = std::move(name);
      }
      if (!linked.ok()) return linked;
      if (name_.empty()) return Close(path);
    }
    TL_RETURN_IF_ERROR(Close(path));
    if (::rename(name_.c_str(), path.c_str()) != 0) {
      int saved = errno;
      ::unlink(name_.c_str());
      return ErrnoStatus("cannot move the download into place at " + path, saved);
    }
    return Status::Ok();
  }

 private:
  TempFile(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}

  // Gives the unnamed file the name `path`: kAlreadyExists when something is there.
  Status LinkAs(const std::string& path) {
    std::string self = "/proc/self/fd/" + std::to_string(fd_);
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) == 0) {
      return Status::Ok();
    }
    int saved = errno;
    if (saved == EEXIST) return Status(StatusCode::kAlreadyExists, path + " exists");
    return ErrnoStatus("cannot move the download into place at " + path, saved);
  }

  Status Close(const std::string& path) {
    int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0) {
      int saved = errno;
      if (!name_.empty()) ::unlink(name_.c_str());
      return ErrnoStatus("closing the download of " + path, saved);
    }
    return Status::Ok();
  }

  int fd_;
  std::string name_;  // empty: unnamed (O_TMPFILE)
};

}  // namespace

// One GET straight into the temp file: half the requests of HEAD + GET, which is what matters
// when staging many small objects. The response's headers describe the object, and its
// full-object checksum is verified as the bytes stream through.
Result<ObjectInfo> S3Client::DownloadSmall(std::string_view bucket, std::string_view key,
                                           const std::string& path, const GetOptions& options) {
  TL_ASSIGN_OR_RETURN(TempFile file, TempFile::Create(path));
  S3Request request{
      .operation = "GetObject", .bucket = std::string(bucket), .key = std::string(key)};
  request.headers.Add("x-amz-checksum-mode", "ENABLED");
  if (!options.if_match.empty()) request.headers.Add("if-match", "\"" + options.if_match + "\"");

  // Learns the object's size and checksum from the head of each attempt.
  class WholeObjectConsumer final : public BodyConsumer {
   public:
    WholeObjectConsumer(int fd, const ProgressFn& progress) : fd_(fd), progress_(progress) {}
    Status Begin(int, const http::Headers& headers) override {
      headers_ = headers;
      uint64_t size = ObjectInfoFromHeaders("", headers).size;
      // A retry may bring a different version: the file takes exactly this one's size.
      if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
        return ErrnoStatus("sizing the download", errno);
      }
      expected_ = FullObjectChecksum(headers);
      uint64_t reported = pwriter_ ? pwriter_->reported() : 0;
      pwriter_ = std::make_unique<PwriteConsumer>(
          fd_, ByteRange{0, size == 0 ? 0 : size - 1},
          expected_ ? std::optional(expected_->algorithm) : std::nullopt, progress_, reported);
      return pwriter_->Begin(200, headers);
    }
    Status Append(std::span<const std::byte> data) override { return pwriter_->Append(data); }
    Status Finish() {
      if (expected_ && pwriter_->TakeChecksum() != expected_->raw) {
        return DataLoss(std::string(ChecksumName(expected_->algorithm)) +
                        " of the downloaded bytes does not match the stored checksum");
      }
      return Status::Ok();
    }
    uint64_t written() const { return pwriter_ ? pwriter_->written() : 0; }
    const http::Headers& headers() const { return headers_; }

   private:
    const int fd_;
    const ProgressFn& progress_;
    http::Headers headers_;
    std::optional<ExpectedChecksum> expected_;
    std::unique_ptr<PwriteConsumer> pwriter_;
  };

  WholeObjectConsumer consumer(file.fd(), options.progress);
  TL_ASSIGN_OR_RETURN(S3Response response, requester_->SendStreaming(request, consumer));
  ObjectInfo info = ObjectInfoFromHeaders(key, consumer.headers());
  if (consumer.written() != info.size) {
    return Error(DataLoss(Requester::Describe(request) + ": received " +
                          std::to_string(consumer.written()) + " of " + std::to_string(info.size) +
                          " bytes"));
  }
  if (Status verified = consumer.Finish(); !verified.ok()) {
    return Error(verified.WithContext(Requester::Describe(request)));
  }
  TL_RETURN_IF_ERROR(file.CommitAs(path));
  return info;
}

Result<ObjectInfo> S3Client::Download(std::string_view bucket, std::string_view key,
                                      const std::string& path, const GetOptions& options) {
  // The temp file is renamed over `path`: over a device or a FIFO that would replace the node
  // itself (as root, /dev/null would become a regular file).
  if (struct stat st; ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    return Error(InvalidArgument("GetObject s3://" + std::string(bucket) + "/" + std::string(key) +
                                 ": cannot download into " + path +
                                 ", which is not a regular file (stream it with OpenReader)"));
  }
  if (options.size_hint && *options.size_hint <= config_.options.part_size) {
    return DownloadSmall(bucket, key, path, options);
  }
  TL_ASSIGN_OR_RETURN(ObjectInfo info, Head(bucket, key));
  if (!options.if_match.empty() && options.if_match != info.etag) {
    return Error(s3::MakeError(s3::ErrorCode::kPreconditionFailed,
                               "GetObject s3://" + std::string(bucket) + "/" + std::string(key) +
                                   ": ETag is \"" + info.etag + "\", not \"" + options.if_match +
                                   "\""));
  }
  TL_ASSIGN_OR_RETURN(TempFile file, TempFile::Create(path));
  if (info.size > 0 && ::ftruncate(file.fd(), static_cast<off_t>(info.size)) != 0) {
    return Error(ErrnoStatus("cannot size " + path + " to " + std::to_string(info.size), errno));
  }

  // The stored checksum, when it is a CRC over the whole object, is checked by combining the
  // parts' CRCs; SHA and composite checksums cannot be split into ranges and are not checked.
  http::Headers checksum_headers;
  if (!info.checksum.empty()) {
    checksum_headers.Add("x-amz-checksum-" + http::ToLowerAscii(info.checksum_algorithm),
                         info.checksum);
  }
  std::optional<ExpectedChecksum> expected = FullObjectChecksum(checksum_headers);
  std::optional<ChecksumAlgorithm> crc;
  if (expected && IsCrc(expected->algorithm)) crc = expected->algorithm;

  std::vector<ByteRange> parts = PlanDownloadParts(0, info.size, 0, config_.options.part_size);
  std::vector<std::string> part_crcs(parts.size());
  std::mutex error_mu;
  Status first_error;
  std::atomic<bool> failed{false};
  TaskGroup group;
  group.Add(parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    pool_->Submit([&, i] {
      if (!failed.load()) {
        S3Request request{
            .operation = "GetObject", .bucket = std::string(bucket), .key = std::string(key)};
        request.headers.Add("range", "bytes=" + std::to_string(parts[i].first) + "-" +
                                         std::to_string(parts[i].last));
        request.headers.Add("if-match", "\"" + info.etag + "\"");
        PwriteConsumer consumer(file.fd(), parts[i], crc, options.progress);
        Status status = StatusOf(requester_->SendStreaming(request, consumer));
        if (status.ok() && consumer.written() != parts[i].length()) {
          status = DataLoss("GetObject s3://" + std::string(bucket) + "/" + std::string(key) +
                            ": part " + std::to_string(i + 1) + " returned " +
                            std::to_string(consumer.written()) + " of " +
                            std::to_string(parts[i].length()) + " bytes");
        }
        if (status.ok()) {
          part_crcs[i] = consumer.TakeChecksum();
        } else {
          std::lock_guard lock(error_mu);
          if (!failed.exchange(true)) first_error = status;
        }
      }
      group.Done();
    });
  }
  group.Wait();
  if (failed) {
    if (s3::ErrorCodeOf(first_error) == s3::ErrorCode::kPreconditionFailed) {
      return Error(Status(StatusCode::kAborted,
                          "s3://" + std::string(bucket) + "/" + std::string(key) +
                              " changed during the download (its ETag is no longer \"" + info.etag +
                              "\"): " + first_error.message(),
                          "PreconditionFailed"));
    }
    return Error(first_error);
  }
  if (crc) {
    std::string combined = ComputeChecksum(*crc, "");
    for (size_t i = 0; i < parts.size(); ++i) {
      combined = i == 0 ? part_crcs[0]
                        : CombineCrc(*crc, combined, part_crcs[i], parts[i].length()).value_or("");
    }
    if (combined != expected->raw) {
      return Error(DataLoss("GetObject s3://" + std::string(bucket) + "/" + std::string(key) +
                            ": " + std::string(ChecksumName(*crc)) +
                            " of the downloaded bytes does not match the stored checksum"));
    }
  }
  TL_RETURN_IF_ERROR(file.CommitAs(path));
  return info;
}

}  // namespace trainload::client
