#include "cli/etag_record.h"

#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace trainload::cli {
namespace {

// Manifest entries are flushed after this many new records, bounding what a kill loses.
constexpr size_t kFlushEvery = 256;

bool Unsupported(int error) { return error == ENOTSUP || error == EOPNOTSUPP; }

std::string JoinPath(const std::string& dir, const std::string& relative) {
  return dir.ends_with('/') ? dir + relative : dir + "/" + relative;
}

// Whether user xattrs can be set on files in `dir`: tried on a scratch file, since the answer
// depends on the file system (and its mount options), not on the platform.
Result<bool> ProbeXattrs(const std::string& dir) {
  std::string name = JoinPath(dir, ".xattr-probe.trainload-XXXXXX");
  int fd = ::mkstemp(name.data());
  if (fd < 0) return Error(ErrnoStatus("cannot create a file in " + dir, errno));
  int rc = ::fsetxattr(fd, kEtagXattr, "probe", 5, 0);
  int saved = errno;
  ::close(fd);
  ::unlink(name.c_str());
  if (rc == 0) return true;
  if (Unsupported(saved)) return false;
  return Error(ErrnoStatus(
      "cannot set the extended attribute " + std::string(kEtagXattr) + " in " + dir, saved));
}

}  // namespace

EtagRecords::EtagRecords(std::string dir, bool use_xattrs)
    : dir_(std::move(dir)),
      manifest_path_(JoinPath(dir_, kManifestName)),
      use_xattrs_(use_xattrs) {}

EtagRecords::~EtagRecords() { (void)Flush(); }

Result<std::unique_ptr<EtagRecords>> EtagRecords::Open(const std::string& dir,
                                                       EtagRecordMode mode) {
  bool use_xattrs = false;
  if (mode != EtagRecordMode::kManifest) {
    TL_ASSIGN_OR_RETURN(use_xattrs, ProbeXattrs(dir));
    if (!use_xattrs && mode == EtagRecordMode::kXattr) {
      return Error(FailedPrecondition("the file system of " + dir +
                                      " does not support user extended attributes (" + kEtagXattr +
                                      ")"));
    }
  }
  std::unique_ptr<EtagRecords> records(new EtagRecords(dir, use_xattrs));
  TL_RETURN_IF_ERROR(records->LoadManifest());
  return records;
}

Status EtagRecords::LoadManifest() {
  std::FILE* in = std::fopen(manifest_path_.c_str(), "r");
  if (in == nullptr) {
    if (errno == ENOENT) return Status::Ok();
    return ErrnoStatus("cannot read " + manifest_path_, errno);
  }
  std::string text;
  char buffer[65536];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, in)) > 0) text.append(buffer, n);
  bool read_failed = std::ferror(in) != 0;
  std::fclose(in);
  if (read_failed) return Internal("cannot read " + manifest_path_);
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("objects") ||
      !doc["objects"].is_object()) {
    return DataLoss(manifest_path_ +
                    " is not a trainload stage manifest (delete it to start over)");
  }
  std::lock_guard lock(mu_);
  for (const auto& [relative, entry] : doc["objects"].items()) {
    if (!entry.is_object() || !entry.contains("etag") || !entry["etag"].is_string() ||
        !entry.contains("size") || !entry["size"].is_number_unsigned() ||
        !entry.contains("mtime_ms") || !entry["mtime_ms"].is_number_integer()) {
      return DataLoss(manifest_path_ + ": malformed entry for \"" + relative + "\"");
    }
    manifest_[relative] =
        ManifestEntry{entry["etag"].get<std::string>(), entry["size"].get<uint64_t>(),
                      entry["mtime_ms"].get<int64_t>()};
  }
  return Status::Ok();
}

std::optional<std::string> EtagRecords::Lookup(const std::string& relative, uint64_t size,
                                               int64_t mtime_ms) const {
  if (use_xattrs_) {
    char value[512];
    ssize_t n = ::getxattr(JoinPath(dir_, relative).c_str(), kEtagXattr, value, sizeof value);
    if (n >= 0) return std::string(value, static_cast<size_t>(n));
  }
  std::lock_guard lock(mu_);
  auto it = manifest_.find(relative);
  if (it == manifest_.end() || it->second.size != size || it->second.mtime_ms != mtime_ms) {
    return std::nullopt;
  }
  return it->second.etag;
}

Status EtagRecords::Record(const std::string& relative, uint64_t size, int64_t mtime_ms,
                           const std::string& etag) {
  if (use_xattrs_) {
    std::string path = JoinPath(dir_, relative);
    if (::setxattr(path.c_str(), kEtagXattr, etag.data(), etag.size(), 0) == 0) {
      std::lock_guard lock(mu_);
      // A stale manifest entry must not outlive the xattr that replaces it.
      if (manifest_.erase(relative) > 0) ++unsaved_;
      return Status::Ok();
    }
    // A sub-directory may be a mount of a file system without xattrs: use the manifest there.
    if (!Unsupported(errno)) {
      return ErrnoStatus("cannot set " + std::string(kEtagXattr) + " on " + path, errno);
    }
  }
  std::lock_guard lock(mu_);
  manifest_[relative] = ManifestEntry{etag, size, mtime_ms};
  if (++unsaved_ >= kFlushEvery) return FlushLocked();
  return Status::Ok();
}

Status EtagRecords::Flush() {
  std::lock_guard lock(mu_);
  return FlushLocked();
}

Status EtagRecords::FlushLocked() {
  if (unsaved_ == 0) return Status::Ok();
  nlohmann::json objects = nlohmann::json::object();
  for (const auto& [relative, entry] : manifest_) {
    objects[relative] = {{"etag", entry.etag}, {"size", entry.size}, {"mtime_ms", entry.mtime_ms}};
  }
  nlohmann::json doc = {{"version", 1}, {"objects", std::move(objects)}};
  // Keys that are not valid UTF-8 are written with U+FFFD rather than failing the dump; their
  // entries then never match and those files are simply downloaded again.
  std::string text = doc.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::string temp = manifest_path_ + ".tmp";
  std::FILE* out = std::fopen(temp.c_str(), "w");
  if (out == nullptr) return ErrnoStatus("cannot write " + temp, errno);
  bool ok = std::fwrite(text.data(), 1, text.size(), out) == text.size();
  ok = std::fflush(out) == 0 && ok;
  ok = ::fsync(::fileno(out)) == 0 && ok;
  int saved = errno;
  ok = std::fclose(out) == 0 && ok;
  if (!ok) {
    ::unlink(temp.c_str());
    return ErrnoStatus("cannot write " + temp, saved);
  }
  if (::rename(temp.c_str(), manifest_path_.c_str()) != 0) {
    saved = errno;
    ::unlink(temp.c_str());
    return ErrnoStatus("cannot replace " + manifest_path_, saved);
  }
  unsaved_ = 0;
  return Status::Ok();
}

}  // namespace trainload::cli
