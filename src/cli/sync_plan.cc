#include "cli/sync_plan.h"

namespace trainload::cli {
namespace {

int64_t Seconds(int64_t ms) { return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000); }

// A stream that remembers its last entry so it can check the order.
class OrderedStream {
 public:
  OrderedStream(const EntryStream& next, const std::string& name) : next_(next), name_(name) {}

  Status Advance() {
    TL_ASSIGN_OR_RETURN(std::optional<TreeEntry> entry, next_());
    if (entry && current_ && !(current_->relative < entry->relative)) {
      return FailedPrecondition(name_ + " is not listed in byte order (\"" + entry->relative +
                                "\" after \"" + current_->relative + "\"), so it cannot be synced");
    }
    current_ = std::move(entry);
    return Status::Ok();
  }
  const std::optional<TreeEntry>& current() const { return current_; }

 private:
  const EntryStream& next_;
  const std::string& name_;
  std::optional<TreeEntry> current_;
};

}  // namespace

bool NeedsCopy(const TreeEntry& source, const TreeEntry& destination, const SyncRules& rules) {
  if (source.size != destination.size) return true;
  if (rules.size_only) return false;
  int64_t source_seconds = Seconds(source.mtime_ms);
  int64_t destination_seconds = Seconds(destination.mtime_ms);
  if (rules.exact_timestamps) return source_seconds != destination_seconds;
  return source_seconds > destination_seconds;
}

Status MergeTrees(const EntryStream& source, const std::string& source_name,
                  const EntryStream& destination, const std::string& destination_name,
                  const std::function<Status(const TreeEntry*, const TreeEntry*)>& visit) {
  OrderedStream src(source, source_name);
  OrderedStream dst(destination, destination_name);
  TL_RETURN_IF_ERROR(src.Advance());
  TL_RETURN_IF_ERROR(dst.Advance());
  while (src.current() || dst.current()) {
    if (src.current() && dst.current() && src.current()->relative == dst.current()->relative) {
      TL_RETURN_IF_ERROR(visit(&*src.current(), &*dst.current()));
      TL_RETURN_IF_ERROR(src.Advance());
      TL_RETURN_IF_ERROR(dst.Advance());
    } else if (!dst.current() ||
               (src.current() && src.current()->relative < dst.current()->relative)) {
      TL_RETURN_IF_ERROR(visit(&*src.current(), nullptr));
      TL_RETURN_IF_ERROR(src.Advance());
    } else {
      TL_RETURN_IF_ERROR(visit(nullptr, &*dst.current()));
      TL_RETURN_IF_ERROR(dst.Advance());
    }
  }
  return Status::Ok();
}

}  // namespace trainload::cli
