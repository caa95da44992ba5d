// One page of an S3-style listing (prefix, delimiter, marker, page size) over rows that come in
// byte order of their keys.
//
// The walker emits rows and common prefixes interleaved in byte order; both count against
// `max_entries` (S3 KeyCount). A common prefix is the key up to and including the first
// `delimiter` after `prefix`; once emitted (or skipped because it is <= start_after, i.e. an
// earlier page returned it) the whole group is passed with ONE seek to the group's successor,
// never by stepping through its keys, so listing a level of a deep tree costs O(page), not
// O(keys below it). Memory is O(page): nothing is buffered beyond what the callbacks keep.
//
// The cursor abstracts the index so the walker is testable without LevelDB; several rows may
// share a key (multipart uploads of one key). Not thread-safe; one walk per cursor.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "trainload/status.h"

namespace trainload::storage {

class ListCursor {
 public:
  virtual ~ListCursor() = default;
  virtual bool Valid() const = 0;
  // The key of the current row. REQUIRES: Valid(). Stays valid until the next move.
  virtual std::string_view Key() const = 0;
  virtual void Next() = 0;
  // Positions at the first row whose key does not start with `prefix` and sorts after it
  // (invalid if none).
  virtual void SeekPastPrefix(std::string_view prefix) = 0;
};

struct WalkOptions {
  std::string_view prefix;
  std::string_view delimiter;  // empty: no grouping
  // Common prefixes <= start_after are not emitted (their group was on an earlier page).
  std::string_view start_after;
  size_t max_entries = 1000;
};

struct WalkResult {
  bool truncated = false;  // more entries follow
  size_t entries = 0;      // rows + prefixes emitted
};

// Walks from the cursor's current position (the caller seeks it to the first row after the
// marker) while keys start with `prefix`. `on_row` is called with the cursor on each row to
// emit and may fail (e.g. a corrupt record), which stops the walk with that status.
// `on_prefix` receives each common prefix.
Result<WalkResult> WalkListing(ListCursor& cursor, const WalkOptions& options,
                               const std::function<Status(const ListCursor&)>& on_row,
                               const std::function<void(std::string)>& on_prefix);

}  // namespace trainload::storage
