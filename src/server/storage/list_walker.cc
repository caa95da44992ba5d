#include "server/storage/list_walker.h"

namespace trainload::storage {

Result<WalkResult> WalkListing(ListCursor& cursor, const WalkOptions& options,
                               const std::function<Status(const ListCursor&)>& on_row,
                               const std::function<void(std::string)>& on_prefix) {
  WalkResult result;
  // S3 answers max-keys=0 with an empty, untruncated page.
  if (options.max_entries == 0) return result;
  while (cursor.Valid()) {
    std::string_view key = cursor.Key();
    if (!key.starts_with(options.prefix)) break;
    if (!options.delimiter.empty()) {
      size_t pos = key.find(options.delimiter, options.prefix.size());
      if (pos != std::string_view::npos) {
        std::string common(key.substr(0, pos + options.delimiter.size()));
        // A group <= start_after was returned by an earlier page (its last entry was this very
        // prefix, or a key inside the group): skip it whole.
        if (common > options.start_after) {
          if (result.entries == options.max_entries) {
            result.truncated = true;
            break;
          }
          ++result.entries;
          on_prefix(common);
        }
        cursor.SeekPastPrefix(common);
        continue;
      }
    }
    if (result.entries == options.max_entries) {
      result.truncated = true;
      break;
    }
    ++result.entries;
    TL_RETURN_IF_ERROR(on_row(cursor));
    cursor.Next();
  }
  return result;
}

}  // namespace trainload::storage
