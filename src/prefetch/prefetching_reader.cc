#include "prefetch/prefetching_reader.h"

#include <algorithm>
#include <cstring>

namespace trainload::prefetch {
namespace {

using std::chrono::milliseconds;

// A reader waiting for memory first takes buffers from readers idle for this long, and after
// waiting kPatience from any reader that is not inside a Read() right now.
constexpr milliseconds kIdleAge{20};
constexpr milliseconds kPatience{10};
constexpr milliseconds kWaitSlice{2};

ReadWindowConfig WindowConfig(const PrefetchContext& context, uint64_t object_size) {
  const PrefetchOptions& o = context.options;
  return ReadWindowConfig{.object_size = object_size,
                          .part_size = o.part_size,
                          .first_request_size = o.first_request_size,
                          .max_window = o.max_window,
                          .whole_object_threshold = o.whole_object_threshold,
                          .backward_seek_window = o.backward_seek_window,
                          .forward_seek_distance = o.forward_seek_distance,
                          .alignment = context.alignment};
}

class Reader final : public PrefetchingReader {
 public:
  explicit Reader(std::shared_ptr<ReaderCore> core) : core_(std::move(core)) {}
  ~Reader() override { core_->Close(); }

  Result<size_t> Read(uint64_t offset, std::span<std::byte> out) override {
    return core_->Read(offset, out);
  }
  Result<size_t> ReadPinned(uint64_t offset, uint64_t length, PinnedBytes& out) override {
    return core_->ReadPinned(offset, length, out);
  }
  const ObjectRef& object() const override { return core_->object(); }

 private:
  std::shared_ptr<ReaderCore> core_;
};

}  // namespace

ReaderCore::ReaderCore(PrefetchContext& context, const ObjectRef& object)
    : context_(context),
      object_(object),
      // Without an etag a cached block could belong to an older version of the object.
      target_{&context.client, object.etag.empty() ? nullptr : context.cache, &object_,
              &context.counters},
      last_active_(Clock::now().time_since_epoch().count()),
      window_(WindowConfig(context, object.size)) {}

ReaderCore::~ReaderCore() = default;

void ReaderCore::Touch() {
  last_active_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
}

void ReaderCore::Start() {
  std::lock_guard call(call_mu_);
  if (window_.mode() == ReadWindow::Mode::kWhole) Schedule(0, 0, /*may_wait=*/false);
}

void ReaderCore::Close() {
  closed_ = true;
  std::lock_guard call(call_mu_);
  DropParts(0);
}

bool ReaderCore::TryReclaim(Clock::time_point idle_before) {
  std::unique_lock call(call_mu_, std::try_to_lock);
  if (!call.owns_lock() || parts_.empty() || last_active() >= idle_before) return false;
  DropParts(0);
  window_.DroppedAll();
  return true;
}

std::shared_ptr<Part> ReaderCore::FindPart(uint64_t offset) const {
  auto it =
      std::upper_bound(parts_.begin(), parts_.end(), offset,
                       [](uint64_t o, const std::shared_ptr<Part>& p) { return o < p->first; });
  if (it == parts_.begin()) return nullptr;
  --it;
  return offset < (*it)->end() ? *it : nullptr;
}

void ReaderCore::DropParts(size_t from_index) {
  for (size_t i = from_index; i < parts_.size(); ++i) {
    parts_[i]->dropped.store(true, std::memory_order_relaxed);
  }
  parts_.erase(parts_.begin() + static_cast<std::ptrdiff_t>(from_index), parts_.end());
}

void ReaderCore::TrimBehind() {
  uint64_t retain_from = window_.RetainFrom();
  size_t n = 0;
  while (n < parts_.size() && parts_[n]->end() <= retain_from) {
    parts_[n]->dropped.store(true, std::memory_order_relaxed);
    ++n;
  }
  if (n == 0) return;
  parts_.erase(parts_.begin(), parts_.begin() + static_cast<std::ptrdiff_t>(n));
  window_.DroppedFront(parts_.empty() ? window_.fetch_next() : parts_.front()->first);
}

void ReaderCore::ReserveRequired(uint64_t bytes) {
  if (context_.memory.ReserveWaiting(bytes, milliseconds(0))) return;
  // Nothing is held at the read position, so every part this reader holds lies behind it (the
  // backward-seek window): those go first.
  DropParts(0);
  window_.DroppedFront(window_.fetch_next());
  const Clock::time_point start = Clock::now();
  for (;;) {
    Clock::time_point now = Clock::now();
    Clock::time_point idle_before = now - start < kPatience ? now - kIdleAge : now;
    context_.registry.ReclaimIdle(this, bytes, context_.memory, idle_before);
    if (context_.memory.ReserveWaiting(bytes, kWaitSlice)) return;
  }
}

void ReaderCore::Schedule(uint64_t pos, uint64_t read_end, bool may_wait) {
  while (std::optional<FetchPlan> plan = window_.NextFetch(pos, read_end)) {
    const uint64_t bytes = plan->length;
    if (plan->required && may_wait) {
      ReserveRequired(bytes);
    } else if (!context_.memory.TryReserve(bytes)) {
      window_.MemoryRefused();
      return;
    }
    auto part = std::make_shared<Part>(
        plan->first, context_.buffers.Take(bytes, MemoryCharge(&context_.memory, bytes)));
    parts_.push_back(part);
    window_.FetchIssued(*plan);
    context_.pool.Submit([core = shared_from_this(), part] { core->RunFetch(part); },
                         /*urgent=*/plan->required);
  }
}

void ReaderCore::RunFetch(const std::shared_ptr<Part>& part) {
  Result<uint64_t> filled = Error(Status(StatusCode::kCancelled, "the reader dropped the part"));
  if (!closed_ && !part->dropped.load(std::memory_order_relaxed)) {
    filled = FillPart(target_, *part);
  }
  {
    std::lock_guard lock(done_mu_);
    part->done = true;
    part->status = StatusOf(filled);
  }
  done_cv_.notify_all();
  // After delivery, so the reader does not wait for the disk writes. Even a dropped part holds
  // good data by now: store it all the same.
  if (filled.has_value()) StoreBlocks(target_, *part, *filled);
}

Result<size_t> ReaderCore::Read(uint64_t offset, std::span<std::byte> out) {
  PinnedBytes pinned;
  TL_ASSIGN_OR_RETURN(size_t n, ReadPinned(offset, out.size(), pinned));
  size_t copied = 0;
  for (std::span<const std::byte> piece : pinned.pieces) {
    std::memcpy(out.data() + copied, piece.data(), piece.size());
    copied += piece.size();
  }
  return n;
}

Result<size_t> ReaderCore::ReadPinned(uint64_t offset, uint64_t requested, PinnedBytes& out) {
  out.Clear();
  if (offset >= object_.size || requested == 0) return 0;
  const uint64_t length = std::min<uint64_t>(requested, object_.size - offset);
  const uint64_t end = offset + length;
  std::lock_guard call(call_mu_);
  Touch();
  ReadWindow::Access access = window_.BeginRead(offset, length);
  if (access == ReadWindow::Access::kReset) {
    DropParts(0);
    context_.counters.window_resets.fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t pos = offset;
  while (pos < end) {
    Schedule(pos, end, /*may_wait=*/true);
    std::shared_ptr<Part> part = FindPart(pos);
    if (part == nullptr) {
      return Error(Internal("prefetch s3://" + object_.bucket + "/" + object_.key +
                            ": no part planned for offset " + std::to_string(pos)));
    }
    bool ready;
    {
      std::lock_guard lock(done_mu_);
      ready = part->done;
    }
    if (!ready) {
      // The reader caught up with the fetches: widen the window and fetch further ahead
      // before waiting.
      window_.Stalled();
      Schedule(pos, end, /*may_wait=*/false);
      std::unique_lock lock(done_mu_);
      done_cv_.wait(lock, [&] { return part->done; });
    }
    if (!part->status.ok()) {
      // Forget this part and what follows, so a later read fetches them again.
      auto it = std::find(parts_.begin(), parts_.end(), part);
      DropParts(static_cast<size_t>(it - parts_.begin()));
      window_.DroppedFrom(part->first);
      Touch();
      out.Clear();
      return Error(part->status);
    }
    // Done parts are immutable: the caller may read them without a lock, for as long as it
    // holds them (even after the reader trims or drops them).
    uint64_t n = std::min(end, part->end()) - pos;
    out.pieces.emplace_back(part->data() + (pos - part->first), n);
    out.holds.push_back(std::move(part));
    pos += n;
  }
  window_.EndRead(end);
  TrimBehind();
  // Read-ahead for the next call; never waits, the caller has its bytes.
  Schedule(end, end, /*may_wait=*/false);
  Touch();
  return length;
}

std::unique_ptr<PrefetchingReader> OpenPrefetchingReader(PrefetchContext& context,
                                                         const ObjectRef& object) {
  auto core = std::make_shared<ReaderCore>(context, object);
  context.registry.Register(core);
  core->Start();
  return std::make_unique<Reader>(std::move(core));
}

}  // namespace trainload::prefetch
