// `trainload stage s3://bucket/prefix DIR`: SageMaker File mode — the whole prefix copied to local
// disk as fast as the machine allows, as a library function the command (and tests) call.
//
//  1. One listing of the prefix (taken as a directory: "data" means "data/").
//  2. Plan: each key maps to DIR/<key relative to the prefix> (StagePathForKey refuses keys that
//     would escape DIR or alias another key; they are reported as failures, nothing is written
//     for them). A file already there with the object's size and a recorded ETag equal to the
//     listed one (etag_record.h) is skipped; everything else is downloaded. Temp files left by an
//     interrupted run (`*.trainload-XXXXXX`) are removed.
//  3. Download on a pool of `concurrency` threads, objects larger than the client's part size
//     first: each of those is parallel ranged GETs inside the client, while the other threads
//     fetch small objects with one GET each (GetOptions::size_hint from the listing, no HEAD), so
//     the connections stay busy until the end instead of finishing on one big straggler.
//     The client verifies checksums and renames a temp file into place only when complete; the
//     file then gets the object's LastModified as mtime (so `sync` sees it as current) and its
//     ETag recorded.
//
// Errors: only what stops the whole stage (the listing fails, DIR cannot be created or holds a
// broken manifest); per-object failures are in StageReport::failures. Thread-compatible: one call
// runs its own threads and returns when they are done.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cli/etag_record.h"
#include "cli/progress.h"
#include "trainload/client.h"
#include "trainload/status.h"

namespace trainload::cli {

struct StageOptions {
  std::string bucket;
  std::string prefix;  // used as a directory prefix
  std::string dir;
  size_t concurrency = 64;  // objects in flight
  bool force = false;       // ignore ETag records: download every object again
  EtagRecordMode record = EtagRecordMode::kAuto;
};

struct StageFailure {
  std::string key;
  Status status;
};

struct StageReport {
  uint64_t listed = 0;  // objects under the prefix (directory markers included)
  uint64_t downloaded = 0;
  uint64_t downloaded_bytes = 0;
  uint64_t skipped = 0;      // already present and recorded with the listed ETag
  uint64_t directories = 0;  // directory markers ("prefix/sub/") created as directories
  uint64_t temp_files_removed = 0;
  std::vector<StageFailure> failures;
};

// The path, relative to DIR, for a key whose part after the prefix is `relative_key`. It is the
// relative key itself when that is a clean relative path; errors (kInvalidArgument, naming the
// key) for an empty key, an absolute path ('/' first), a "..", "." or empty ("a//b") component,
// a NUL byte, or a name stage reserves for itself (its manifest).
Result<std::string> StagePathForKey(std::string_view relative_key);

// Whether `name` (a file name, no directory) is a temp file the client or stage leaves while
// writing: "<name>.trainload-XXXXXX" (six letters or digits).
bool IsStageTempName(std::string_view name);

Result<StageReport> Stage(Client& client, const StageOptions& options, Progress& progress);

}  // namespace trainload::cli
