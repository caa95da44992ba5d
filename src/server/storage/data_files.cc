#include "server/storage/data_files.h"

#include "server/storage/open_file_cache.h"
#include "server/storage/spare_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>
#include <vector>

namespace trainload::storage {
namespace {

constexpr size_t kIdLength = 32;
constexpr char kHexDigits[] = "0123456789abcdef";

std::string Hex16(uint64_t v) {
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i) {
    s[i] = kHexDigits[v & 0xf];
    v >>= 4;
  }
  return s;
}

std::optional<uint64_t> ParseHex16(std::string_view s) {
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return std::nullopt;
    }
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return v;
}

Result<UniqueFd> OpenDirectory(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    return Error(ErrnoStatus("create directory " + path.string(), ec.value()));
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error(ErrnoStatus("open directory " + path.string(), errno));
  return UniqueFd(fd);
}

Status FsyncFd(int fd, std::string_view what) {
  if (::fsync(fd) != 0) return ErrnoStatus("fsync " + std::string(what), errno);
  return Status::Ok();
}

// Lists the names in the directory `dir_fd` (without "." and ".."). readdir on a dup'd fd so
// the caller's fd keeps its position and stays open.
Result<std::vector<std::string>> ListDirectory(int dir_fd, std::string_view what) {
  int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error(ErrnoStatus("open directory " + std::string(what), errno));
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    int e = errno;
    ::close(fd);
    return Error(ErrnoStatus("open directory " + std::string(what), e));
  }
  std::vector<std::string> names;
  errno = 0;
  while (dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  int e = errno;
  ::closedir(dir);
  if (e != 0) return Error(ErrnoStatus("read directory " + std::string(what), e));
  return names;
}

}  // namespace

void UniqueFd::Reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

StagedData::~StagedData() {
  if (has_file() && files_) (void)files_->UnlinkObject(file_id_);
}

StagedData::StagedData(StagedData&& other) noexcept
    : files_(std::move(other.files_)),
      file_id_(std::exchange(other.file_id_, {})),
      size_(std::exchange(other.size_, 0)) {}

StagedData& StagedData::operator=(StagedData&& other) noexcept {
  if (this != &other) {
    if (has_file() && files_) (void)files_->UnlinkObject(file_id_);
    files_ = std::move(other.files_);
    file_id_ = std::exchange(other.file_id_, {});
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

std::string StagedData::Release() {
  files_.reset();
  return std::exchange(file_id_, {});
}

DataWriter::~DataWriter() {
  (void)JoinFlush();
  if (!done_ && files_) ::unlinkat(DirFd(), file_id_.c_str(), 0);
}

int DataWriter::DirFd() const {
  return in_shard_ ? files_->ShardFd(file_id_) : files_->tmp_dir_.get();
}

Status DataWriter::MoveIntoShard() {
  if (in_shard_) return Status::Ok();
  int shard = files_->ShardFd(file_id_);
  if (::renameat(files_->tmp_dir_.get(), file_id_.c_str(), shard, file_id_.c_str()) != 0) {
    return ErrnoStatus("move data file " + file_id_ + " into objects/", errno);
  }
  in_shard_ = true;
  return Status::Ok();
}

void DataWriter::FlushInBackground() {
  if (flush_running_.load(std::memory_order_acquire)) return;
  if (!JoinFlush().ok()) return;  // the error is reported by Finish()
  flush_running_.store(true, std::memory_order_relaxed);
  try {
    flusher_ = std::thread([this, fd = fd_.get()] {
      // Concurrent with write(2) on the same file: the kernel allows it, and it covers at
      // least what was written before it started.
      if (::fdatasync(fd) != 0) flush_errno_ = errno;
      flush_running_.store(false, std::memory_order_release);
    });
  } catch (const std::system_error&) {
    // No thread to be had (EAGAIN): Finish() fsyncs the file itself.
    flush_running_.store(false, std::memory_order_relaxed);
    return;
  }
  flushed_upto_ = size_;
  flush_started_ = true;
}

bool DataWriter::syncs() const { return files_->fsync_; }

void DataWriter::StartFlush() {
  if (done_ || !error_.ok() || !files_->fsync_ || (flush_started_ && flushed_upto_ == size_)) {
    return;
  }
  // Into the shard now, so that Finish() can fsync the directory while this flush runs.
  if (Status moved = MoveIntoShard(); !moved.ok()) {
    (void)Broken(std::move(moved));
    return;
  }
  FlushInBackground();
}

Status DataWriter::JoinFlush() {
  if (flusher_.joinable()) flusher_.join();
  // An error seen by this fdatasync is not reported again to a later fsync on the same open
  // file, so it must not be lost here.
  if (flush_errno_ != 0) return ErrnoStatus("flush data file " + file_id_, flush_errno_);
  return Status::Ok();
}

Status DataWriter::Broken(Status status) {
  error_ = status;
  return status;
}

Status DataWriter::WriteAll(const char* p, size_t left) {
  while (left > 0) {
    ssize_t n = ::write(fd_.get(), p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Broken(ErrnoStatus("write data file " + file_id_, errno));
    }
    p += n;
    left -= static_cast<size_t>(n);
    size_ += static_cast<uint64_t>(n);
  }
  // With fsync on, start writing back every few MiB while the body streams in, so the fsync at
  // Finish() waits for the tail only instead of the whole object (the page cache would
  // otherwise hold a 1 GiB upload until then).
  if (files_->fsync_ && size_ - writeback_begin_ >= kWritebackBytes) {
    ::sync_file_range(fd_.get(), static_cast<off_t>(writeback_begin_),
                      static_cast<off_t>(size_ - writeback_begin_), SYNC_FILE_RANGE_WRITE);
    writeback_begin_ = size_;
    if (size_ - flushed_upto_ >= kBackgroundFlushBytes) FlushInBackground();
  }
  return Status::Ok();
}

Status DataWriter::Append(std::span<const std::byte> data) {
  if (done_) return FailedPrecondition("append to data file " + file_id_ + " after Finish");
  if (!error_.ok()) return error_;
  return WriteAll(reinterpret_cast<const char*>(data.data()), data.size());
}

Status DataWriter::Append(std::string_view data) {
  return Append(std::as_bytes(std::span(data.data(), data.size())));
}

Status DataWriter::AppendFrom(int source_fd, uint64_t source_offset, uint64_t length) {
  if (done_) return FailedPrecondition("append to data file " + file_id_ + " after Finish");
  if (!error_.ok()) return error_;
  auto in_offset = static_cast<loff_t>(source_offset);
  std::vector<char> buffer;  // only for the user-space fallback
  while (length > 0) {
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(length, 1 << 30));
    ssize_t n;
    if (buffer.empty()) {
      n = ::copy_file_range(source_fd, &in_offset, fd_.get(), nullptr, chunk, 0);
      if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
        // The file systems (or kernel) cannot copy in place: go through user space.
        buffer.resize(1 << 20);
        continue;
      }
      if (n > 0) size_ += static_cast<uint64_t>(n);
    } else {
      n = ::pread(source_fd, buffer.data(), std::min(chunk, buffer.size()), in_offset);
      if (n > 0) {
        TL_RETURN_IF_ERROR(WriteAll(buffer.data(), static_cast<size_t>(n)));
        in_offset += n;
      }
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      return Broken(ErrnoStatus("copy into data file " + file_id_, errno));
    }
    if (n == 0) {
      return Broken(OutOfRange("copy into data file " + file_id_ + ": source ended " +
                               std::to_string(length) + " bytes early"));
    }
    length -= static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Result<StagedData> DataWriter::Finish() {
  if (done_) return Error(FailedPrecondition("Finish called twice on data file " + file_id_));
  if (!error_.ok()) return Error(error_);
  // From here on the writer is spent; on failure the destructor's unlink must not run twice,
  // so clean up explicitly.
  done_ = true;
  // Renamed before the fsyncs, so that on a journaling file system the file's fsync commits
  // the rename with it and the directory's fsync finds nothing left to commit (one journal
  // commit per file instead of two). A crash in between leaves an unreferenced file in
  // objects/, which the sweep removes like any orphan.
  if (Status moved = MoveIntoShard(); !moved.ok()) {
    (void)JoinFlush();
    ::unlinkat(DirFd(), file_id_.c_str(), 0);
    return Error(std::move(moved));
  }
  // From here on the file is in its shard: dropping `staged` on an error unlinks it there.
  StagedData staged(files_, file_id_, size_);
  // The index will name this file once we return: its directory entry and its bytes must be
  // durable first, in either order. A flush that covered every byte (and succeeded) stands for
  // the file's fsync; while it may still run, the directory goes first, beside it. Otherwise
  // the file goes first, so that its fsync commits the rename as said above.
  const bool flush_covers_all = flush_started_ && flushed_upto_ == size_;
  Status synced = Status::Ok();
  if (files_->fsync_ && flush_covers_all) {
    synced = FsyncFd(files_->ShardFd(file_id_), "objects shard directory");
  }
  // Joined whatever happened: the flush thread uses fd_.
  if (Status flushed = JoinFlush(); synced.ok()) synced = std::move(flushed);
  if (synced.ok() && files_->fsync_ && !flush_covers_all) {
    synced = FsyncFd(fd_.get(), "data file " + file_id_);
    if (synced.ok()) synced = FsyncFd(files_->ShardFd(file_id_), "objects shard directory");
  }
  fd_.Reset();
  TL_RETURN_IF_ERROR(synced);
  return staged;
}

Result<std::shared_ptr<DataFiles>> DataFiles::Open(const std::filesystem::path& root,
                                                   uint64_t generation, bool fsync) {
  std::shared_ptr<DataFiles> files(new DataFiles(root, generation, fsync));
  TL_ASSIGN_OR_RETURN(files->spare_dir_, OpenDirectory(root / "spare"));
  TL_ASSIGN_OR_RETURN(files->tmp_dir_, OpenDirectory(root / "tmp"));
  for (size_t i = 0; i < files->shard_dirs_.size(); ++i) {
    std::string shard{kHexDigits[i >> 4], kHexDigits[i & 0xf]};
    TL_ASSIGN_OR_RETURN(files->shard_dirs_[i], OpenDirectory(root / "objects" / shard));
  }
  // Enough for the uploads of a busy server to start between two wake-ups of the thread.
  constexpr size_t kSpareFiles = 16;
  DataFiles* raw = files.get();
  files->spares_ = std::make_unique<SpareFiles>(
      files->spare_dir_.get(), [raw] { return raw->NewId(); }, kSpareFiles);
  return files;
}

std::string DataFiles::NewId() {
  return Hex16(generation_) + Hex16(next_sequence_.fetch_add(1, std::memory_order_relaxed));
}

Result<std::unique_ptr<DataWriter>> DataFiles::NewWriter() {
  if (std::optional<SpareFiles::Spare> spare = spares_->Take()) {
    const char* name = spare->id.c_str();
    if (::renameat(spare_dir_.get(), name, tmp_dir_.get(), name) == 0) {
      return std::unique_ptr<DataWriter>(
          new DataWriter(shared_from_this(), std::move(spare->id), std::move(spare->fd)));
    }
    ::unlinkat(spare_dir_.get(), name, 0);  // and make one below, which reports any error
  }
  std::string id = NewId();
  int fd = ::openat(tmp_dir_.get(), id.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Error(ErrnoStatus("create data file tmp/" + id, errno));
  return std::unique_ptr<DataWriter>(
      new DataWriter(shared_from_this(), std::move(id), UniqueFd(fd)));
}

int DataFiles::ShardFd(std::string_view file_id) const {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  size_t n = file_id.size();
  return shard_dirs_[(nibble(file_id[n - 2]) << 4) | nibble(file_id[n - 1])].get();
}

// Enough descriptors for a hot set of small objects, well inside the default RLIMIT_NOFILE
// headroom the server raises at start.
constexpr size_t kOpenFileCacheEntries = 4096;

DataFiles::DataFiles(std::filesystem::path root, uint64_t generation, bool fsync)
    : root_(std::move(root)),
      generation_(generation),
      fsync_(fsync),
      open_files_(std::make_unique<OpenFileCache>(
          kOpenFileCacheEntries, [this](std::string_view id) { return OpenObject(id); })) {}

DataFiles::~DataFiles() = default;

Result<std::shared_ptr<const UniqueFd>> DataFiles::OpenObjectShared(
    std::string_view file_id) const {
  return open_files_->Get(file_id);
}

Result<UniqueFd> DataFiles::OpenObject(std::string_view file_id) const {
  if (!IsValidId(file_id)) {
    return Error(InvalidArgument("malformed data file id \"" + std::string(file_id) + "\""));
  }
  std::string name(file_id);
  int fd = ::openat(ShardFd(file_id), name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error(ErrnoStatus("open data file " + name, errno));
  return UniqueFd(fd);
}

Status DataFiles::UnlinkObject(std::string_view file_id) const {
  if (!IsValidId(file_id)) {
    return InvalidArgument("malformed data file id \"" + std::string(file_id) + "\"");
  }
  std::string name(file_id);
  open_files_->Forget(file_id);
  if (::unlinkat(ShardFd(file_id), name.c_str(), 0) != 0 && errno != ENOENT) {
    return ErrnoStatus("unlink data file " + name, errno);
  }
  return Status::Ok();
}

Result<size_t> DataFiles::ClearTmp() const {
  TL_RETURN_IF_ERROR(StatusOf(ClearDirectory(spare_dir_.get(), "spare")));
  return ClearDirectory(tmp_dir_.get(), "tmp");
}

Result<size_t> DataFiles::ClearDirectory(int dir_fd, const std::string& name) const {
  TL_ASSIGN_OR_RETURN(auto names, ListDirectory(dir_fd, name + "/"));
  size_t removed = 0;
  for (const std::string& entry : names) {
    if (::unlinkat(dir_fd, entry.c_str(), 0) == 0) {
      ++removed;
    } else if (errno == EISDIR || errno == EPERM) {
      // Nothing we create is a directory, but do not let a stray one block startup.
      std::error_code ec;
      removed += std::filesystem::remove_all(root_ / name / entry, ec) > 0 ? 1 : 0;
    } else if (errno != ENOENT) {
      return Error(ErrnoStatus("remove " + name + "/" + entry, errno));
    }
  }
  return removed;
}

Status DataFiles::ForEachObjectFile(
    const std::function<bool(std::string_view file_id)>& visit) const {
  for (size_t i = 0; i < shard_dirs_.size(); ++i) {
    TL_ASSIGN_OR_RETURN(auto names, ListDirectory(shard_dirs_[i].get(), "objects/ shard"));
    for (const std::string& name : names) {
      if (!IsValidId(name)) continue;
      if (!visit(name)) return Status::Ok();
    }
  }
  return Status::Ok();
}

Result<size_t> DataFiles::CountTmpFiles() const {
  TL_ASSIGN_OR_RETURN(auto names, ListDirectory(tmp_dir_.get(), "tmp/"));
  return names.size();
}

Result<size_t> DataFiles::CountObjectFiles() const {
  size_t count = 0;
  for (const UniqueFd& shard : shard_dirs_) {
    TL_ASSIGN_OR_RETURN(auto names, ListDirectory(shard.get(), "objects/ shard"));
    count += names.size();
  }
  return count;
}

std::filesystem::path DataFiles::ObjectPath(std::string_view file_id) const {
  return root_ / "objects" / std::string(file_id.substr(file_id.size() - 2)) / std::string(file_id);
}

bool DataFiles::IsValidId(std::string_view file_id) {
  return file_id.size() == kIdLength && ParseHex16(file_id.substr(0, 16)).has_value() &&
         ParseHex16(file_id.substr(16)).has_value();
}

std::optional<uint64_t> DataFiles::GenerationOf(std::string_view file_id) {
  if (!IsValidId(file_id)) return std::nullopt;
  return ParseHex16(file_id.substr(0, 16));
}

}  // namespace trainload::storage
