#include "cli/progress.h"

#include <algorithm>
#include <cinttypes>

namespace trainload::cli {
namespace {

constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};

std::string Printf(const char* format, auto... args) {
  char buffer[128];
  std::snprintf(buffer, sizeof buffer, format, args...);
  return buffer;
}

std::string FormatSeconds(double seconds) {
  auto s = static_cast<uint64_t>(seconds + 0.5);
  if (s >= 3600)
    return Printf("%" PRIu64 ":%02" PRIu64 ":%02" PRIu64, s / 3600, s / 60 % 60, s % 60);
  return Printf("%" PRIu64 ":%02" PRIu64, s / 60, s % 60);
}

}  // namespace

std::string FormatBytes(uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  return Printf(value < 10 && unit >= 3 ? "%.2f %s" : "%.1f %s", value, kUnits[unit]);
}

std::string FormatRate(double bytes_per_second) {
  double value = std::max(bytes_per_second, 0.0);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  return Printf(value >= 100 || unit == 0 ? "%.0f %s/s" : "%.1f %s/s", value, kUnits[unit]);
}

Progress::Progress(Options options) : options_(std::move(options)) {
  start_ = std::chrono::steady_clock::now();
}

Progress::~Progress() {
  std::unique_lock lock(mu_);
  stopping_ = true;
  lock.unlock();
  wake_.notify_all();
  if (drawer_.joinable()) drawer_.join();
}

void Progress::AddPlanned(uint64_t bytes, uint64_t files) {
  planned_bytes_ += bytes;
  planned_files_ += files;
}

void Progress::PlanComplete() { plan_complete_ = true; }

void Progress::AddBytes(uint64_t bytes) { moved_bytes_ += bytes; }

void Progress::FileDone(uint64_t size) {
  done_bytes_ += size;
  ++done_files_;
}

void Progress::FileSkipped() { ++skipped_files_; }

void Progress::FileFailed() { ++failed_files_; }

ProgressFn Progress::BytesCallback() {
  return [this](uint64_t bytes) { AddBytes(bytes); };
}

void Progress::Start() {
  start_ = std::chrono::steady_clock::now();
  if (!options_.tty || options_.quiet) return;
  drawer_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      wake_.wait_for(lock, std::chrono::milliseconds(200));
      if (stopping_) break;
      Redraw();
    }
  });
}

void Progress::Redraw() {
  std::string line = Bar(snapshot());
  // "\x1b[K" erases what a longer previous line left.
  std::fprintf(options_.bar_out, "\r%s\x1b[K", line.c_str());
  std::fflush(options_.bar_out);
}

void Progress::Finish() {
  std::unique_lock lock(mu_);
  if (finished_) return;
  finished_ = true;
  stopping_ = true;
  lock.unlock();
  wake_.notify_all();
  if (drawer_.joinable()) {
    drawer_.join();
    std::fprintf(options_.bar_out, "\r\x1b[K");
    std::fflush(options_.bar_out);
  }
  if (options_.quiet) return;
  std::fprintf(options_.summary_out, "%s\n", Summary(snapshot()).c_str());
  std::fflush(options_.summary_out);
}

Progress::Snapshot Progress::snapshot() const {
  Snapshot s;
  s.planned_bytes = planned_bytes_;
  s.planned_files = planned_files_;
  s.plan_complete = plan_complete_;
  s.moved_bytes = moved_bytes_;
  s.done_bytes = done_bytes_;
  s.done_files = done_files_;
  s.skipped_files = skipped_files_;
  s.failed_files = failed_files_;
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return s;
}

std::string Progress::Summary(const Snapshot& s) const {
  double rate = s.seconds > 0 ? static_cast<double>(s.done_bytes) / s.seconds : 0;
  return options_.verb + " " + std::to_string(s.done_files) +
         (s.done_files == 1 ? " object, " : " objects, ") + FormatBytes(s.done_bytes) + " in " +
         Printf("%.2f s", s.seconds) + " (" + FormatRate(rate) + "), " +
         std::to_string(s.skipped_files) + " skipped, " + std::to_string(s.failed_files) +
         " failed";
}

std::string Progress::Bar(const Snapshot& s) {
  // Retried parts report their bytes twice: never show more than what is planned.
  uint64_t bytes = std::max(s.moved_bytes, s.done_bytes);
  if (s.plan_complete) bytes = std::min(bytes, s.planned_bytes);
  double rate = s.seconds > 0 ? static_cast<double>(bytes) / s.seconds : 0;
  uint64_t files = s.done_files + s.failed_files;
  std::string line;
  if (s.plan_complete && s.planned_bytes > 0) {
    constexpr int kWidth = 24;
    double fraction = static_cast<double>(bytes) / static_cast<double>(s.planned_bytes);
    int filled = static_cast<int>(fraction * kWidth);
    line = "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] " +
           Printf("%3d%% ", static_cast<int>(fraction * 100));
  }
  line += FormatBytes(bytes) + " / " + (s.plan_complete ? "" : "~") + FormatBytes(s.planned_bytes) +
          "  " + FormatRate(rate);
  if (s.plan_complete && rate > 0 && bytes < s.planned_bytes) {
    line += "  ETA " + FormatSeconds(static_cast<double>(s.planned_bytes - bytes) / rate);
  }
  line += "  " + std::to_string(files) + "/" + std::to_string(s.planned_files) +
          (s.plan_complete ? "" : "+") + " files";
  if (s.skipped_files > 0) line += ", " + std::to_string(s.skipped_files) + " skipped";
  if (s.failed_files > 0) line += ", " + std::to_string(s.failed_files) + " failed";
  return line;
}

}  // namespace trainload::cli
