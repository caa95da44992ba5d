// The decisions of `trainload sync`, kept pure so they can be tested without a server:
//
// - NeedsCopy: the AWS CLI's rule for a path present on both sides. Copy when the sizes differ,
//   or (unless --size-only) when the source is newer than the destination. Times are compared in
//   whole seconds, since S3 keeps LastModified to the second: a file uploaded within the second
//   of its mtime is not "newer". With --exact-timestamps (applied when the destination is local,
//   as in the AWS CLI) any difference in time copies.
//
// - MergeTrees: one pass over two sorted streams (a listing and a local tree, or two listings),
//   calling `visit` once per relative path with the entry of each side that has it. Memory stays
//   bounded by what the streams hold. A stream that goes backwards (a server whose listing is
//   not in byte order, such as an Express directory bucket) fails the merge rather than
//   producing wrong copies or deletions.
//
// Thread-compatible.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "trainload/status.h"

namespace trainload::cli {

struct TreeEntry {
  std::string relative;  // path below the root, '/'-separated
  uint64_t size = 0;
  int64_t mtime_ms = 0;  // local mtime, or the object's LastModified
};

struct SyncRules {
  bool size_only = false;
  bool exact_timestamps = false;
};

bool NeedsCopy(const TreeEntry& source, const TreeEntry& destination, const SyncRules& rules);

// Yields the next entry in strictly increasing byte order of `relative`, or nullopt at the end.
using EntryStream = std::function<Result<std::optional<TreeEntry>>()>;

// `visit(source, destination)`: either may be null, never both. Errors: the first error of a
// stream or of `visit`; an out-of-order stream (kFailedPrecondition naming `source_name` or
// `destination_name` and both paths).
Status MergeTrees(const EntryStream& source, const std::string& source_name,
                  const EntryStream& destination, const std::string& destination_name,
                  const std::function<Status(const TreeEntry*, const TreeEntry*)>& visit);

}  // namespace trainload::cli
