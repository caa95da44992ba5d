// What `trainload stage` remembers about the files it wrote, so that a rerun can skip them: the
// ETag of the object each file was downloaded from.
//
// The record lives on the file itself, in the extended attribute `user.trainload.etag`, so it
// follows the file's inode: replacing the file (a rename over it) drops the record, and a
// half-written download (a temp file) never has one. Where the file system has no user xattrs
// (some tmpfs, NFS, overlay setups) the record goes to a manifest, DIR/.trainload-stage.json,
// mapping each relative path to {etag, size, mtime_ms}; a manifest entry counts only while the
// file still has the recorded size and modification time.
//
// A record is trusted: a resumed stage compares the file's size and the recorded ETag with the
// listing, and does not re-read the file's bytes. A file corrupted in place with its size kept
// is therefore not noticed (use `stage --force` to download everything again).
//
// Thread-safe: Lookup and Record may be called from many transfer threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "trainload/status.h"

namespace trainload::cli {

enum class EtagRecordMode {
  kAuto,      // xattrs when DIR's file system takes them, else the manifest
  kXattr,     // xattrs only (an error where unsupported)
  kManifest,  // the manifest only
};

inline constexpr char kEtagXattr[] = "user.trainload.etag";
inline constexpr char kManifestName[] = ".trainload-stage.json";

class EtagRecords {
 public:
  // Probes xattr support in `dir` (kAuto) and loads the manifest when there is one. Errors: an
  // unreadable or malformed manifest (naming it), kXattr where xattrs are unsupported.
  static Result<std::unique_ptr<EtagRecords>> Open(const std::string& dir, EtagRecordMode mode);
  ~EtagRecords();

  // The ETag recorded for the regular file at dir/`relative` with `size` bytes and `mtime_ms`;
  // nullopt when there is none or the manifest entry no longer describes the file.
  std::optional<std::string> Lookup(const std::string& relative, uint64_t size,
                                    int64_t mtime_ms) const;

  // Records `etag` for dir/`relative`, which has `size` bytes and `mtime_ms` now. Manifest
  // entries reach the disk at Flush (and every few hundred records), so a killed stage loses at
  // most those: their files are downloaded again, never trusted wrongly.
  Status Record(const std::string& relative, uint64_t size, int64_t mtime_ms,
                const std::string& etag);

  // Writes the manifest (temp file + rename) when it has changed.
  Status Flush();

  bool uses_xattrs() const { return use_xattrs_; }
  const std::string& manifest_path() const { return manifest_path_; }

 private:
  struct ManifestEntry {
    std::string etag;
    uint64_t size = 0;
    int64_t mtime_ms = 0;
  };
  EtagRecords(std::string dir, bool use_xattrs);
  Status LoadManifest();
  Status FlushLocked();

  const std::string dir_;
  const std::string manifest_path_;
  const bool use_xattrs_;

  mutable std::mutex mu_;
  std::map<std::string, ManifestEntry> manifest_;  // guarded by mu_
  size_t unsaved_ = 0;                             // guarded by mu_
};

}  // namespace trainload::cli
