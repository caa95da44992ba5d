#include "prefetch/read_window.h"

#include <algorithm>

namespace trainload::prefetch {

ReadWindow::ReadWindow(const ReadWindowConfig& config)
    : config_(config),
      mode_(config.object_size <= config.whole_object_threshold ? Mode::kWhole : Mode::kStreaming),
      window_(config.first_request_size) {
  // Most files are read from the start to the end: a new reader expects offset 0 and opens the
  // stream with the small first request, as Mountpoint does.
  stream_start_pending_ = mode_ == Mode::kStreaming;
}

uint64_t ReadWindow::AlignDown(uint64_t offset) const {
  return offset / config_.alignment * config_.alignment;
}

uint64_t ReadWindow::AlignUp(uint64_t offset) const {
  uint64_t up = (offset + config_.alignment - 1) / config_.alignment * config_.alignment;
  return std::min(up, config_.object_size);
}

void ReadWindow::RestartAt(uint64_t offset) { held_begin_ = fetch_next_ = AlignDown(offset); }

ReadWindow::Access ReadWindow::BeginRead(uint64_t offset, uint64_t length) {
  const bool first_read = !started_;
  started_ = true;
  if (mode_ == Mode::kWhole) {
    return offset == next_expected_ ? Access::kSequential : Access::kWithinHeld;
  }
  if (offset == next_expected_) {
    if (mode_ == Mode::kRandom) {
      // Only reads that continue a previous one count: one large random read is not a stream.
      sequential_run_ += length;
      if (sequential_run_ >= config_.first_request_size) {
        mode_ = Mode::kStreaming;
        window_ = config_.first_request_size;
        stream_start_pending_ = true;
      }
    }
    return Access::kSequential;
  }
  if (held_begin_ <= offset && offset < fetch_next_) return Access::kWithinHeld;
  if (mode_ == Mode::kStreaming && offset > next_expected_) {
    // The kernel sends a FUSE file's reads concurrently, so they may arrive a little out of
    // order, even the very first ones: a first read inside the first request still opens the
    // stream at 0. Any other first read is no skip within a stream (there is none yet), and a
    // handle opened to read one record in the middle must not pull in a part.
    uint64_t distance = first_read ? config_.first_request_size - 1 : config_.forward_seek_distance;
    if (offset - next_expected_ <= distance) {
      // The stream goes on from where it is: the bytes skipped are fetched as they would have
      // been anyway (Mountpoint consumes them), so the reads that were overtaken find them held.
      return Access::kForwardSkip;
    }
  }
  mode_ = Mode::kRandom;
  window_ = config_.first_request_size;
  stream_start_pending_ = false;
  sequential_run_ = 0;
  RestartAt(offset);
  return Access::kReset;
}

std::optional<FetchPlan> ReadWindow::NextFetch(uint64_t pos, uint64_t read_end) const {
  const uint64_t size = config_.object_size;
  if (fetch_next_ >= size) return std::nullopt;
  const bool required = fetch_next_ <= pos;
  switch (mode_) {
    case Mode::kWhole:
      if (fetch_next_ != 0) return std::nullopt;
      return FetchPlan{0, size, required};
    case Mode::kRandom: {
      uint64_t target = AlignUp(read_end);
      if (fetch_next_ >= target) return std::nullopt;
      return FetchPlan{fetch_next_, std::min(target - fetch_next_, config_.part_size), required};
    }
    case Mode::kStreaming:
      break;
  }
  if (stream_start_pending_) {
    uint64_t end = AlignUp(fetch_next_ + config_.first_request_size);
    return FetchPlan{fetch_next_, end - fetch_next_, required};
  }
  // Parts end on multiples of part_size, so after a first request or a skip the stream falls
  // back onto the same part grid (and cache block grid) as every other reader of the object.
  uint64_t part_end =
      std::min(fetch_next_ / config_.part_size * config_.part_size + config_.part_size, size);
  if (required || fetch_next_ < read_end) {
    return FetchPlan{fetch_next_, part_end - fetch_next_, required};
  }
  // Nothing beyond the first request until half of it has been read: a reader that only looks
  // at a file's first bytes (a header, a magic number) costs one small GET, not a part.
  if (pos < read_ahead_from_) return std::nullopt;
  if (part_end <= pos + window_) {
    return FetchPlan{fetch_next_, part_end - fetch_next_, required};
  }
  return std::nullopt;
}

void ReadWindow::FetchIssued(const FetchPlan& plan) {
  fetch_next_ = plan.first + plan.length;
  if (mode_ == Mode::kStreaming && stream_start_pending_) {
    stream_start_pending_ = false;
    read_ahead_from_ = plan.first + plan.length / 2;
  }
}

void ReadWindow::MemoryRefused() {
  if (mode_ != Mode::kStreaming) return;
  window_ = std::max(window_ / 2, std::min(window_, config_.part_size));
}

void ReadWindow::Stalled() {
  if (mode_ != Mode::kStreaming) return;
  window_ = std::clamp(window_ * 2, config_.part_size, config_.max_window);
}

void ReadWindow::EndRead(uint64_t end) { next_expected_ = end; }

uint64_t ReadWindow::RetainFrom() const {
  if (mode_ == Mode::kWhole) return 0;
  return next_expected_ > config_.backward_seek_window
             ? next_expected_ - config_.backward_seek_window
             : 0;
}

void ReadWindow::DroppedFront(uint64_t begin) { held_begin_ = std::min(begin, fetch_next_); }

void ReadWindow::DroppedFrom(uint64_t offset) { fetch_next_ = std::max(offset, held_begin_); }

void ReadWindow::DroppedAll() {
  if (mode_ == Mode::kWhole) {
    held_begin_ = fetch_next_ = 0;
    return;
  }
  RestartAt(next_expected_);
  window_ = std::max(window_ / 2, std::min(window_, config_.part_size));
}

}  // namespace trainload::prefetch
