// Progress of a transfer command (cp, sync, stage): a bar redrawn on a terminal a few times a
// second (bytes, rate, ETA, files done of total) and a one-line summary at the end:
//
//   staged 2000 objects, 500.0 MiB in 1.23 s (406 MiB/s), 0 skipped, 0 failed
//
// Totals may grow while the command is still walking its source (cp -r, sync); the ETA is shown
// once PlanComplete() says they are final.
//
// Thread-safe: transfer threads call AddBytes/FileDone/FileSkipped/FileFailed concurrently; one
// thread calls Start and Finish. The bar goes to `bar_out` only when `tty` is set (so piping
// the output never fills a log with carriage returns); the summary goes to `summary_out`.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "trainload/client.h"

namespace trainload::cli {

// "0 B", "1023 B", "1.0 KiB", "500.0 MiB", "2.50 GiB" (binary units, as aws --human-readable).
std::string FormatBytes(uint64_t bytes);
// "406 MiB/s" (whole units from 100 up, else one decimal).
std::string FormatRate(double bytes_per_second);

class Progress {
 public:
  struct Options {
    std::string verb = "copied";  // first word of the summary
    bool tty = false;             // draw the bar
    bool quiet = false;           // neither bar nor summary
    std::FILE* bar_out = stderr;
    std::FILE* summary_out = stdout;
  };

  struct Snapshot {
    uint64_t planned_bytes = 0;
    uint64_t planned_files = 0;
    bool plan_complete = false;
    uint64_t moved_bytes = 0;  // as reported by transfers while they run
    uint64_t done_bytes = 0;   // sizes of completed files
    uint64_t done_files = 0;
    uint64_t skipped_files = 0;
    uint64_t failed_files = 0;
    double seconds = 0;
  };

  explicit Progress(Options options);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Work the command intends to do: files it will transfer (each later ends in FileDone or
  // FileFailed) and their total size. Skipped files are not planned.
  void AddPlanned(uint64_t bytes, uint64_t files);
  void PlanComplete();

  void AddBytes(uint64_t bytes);
  void FileDone(uint64_t size);
  void FileSkipped();
  void FileFailed();
  // A ProgressFn for GetOptions/PutOptions that feeds AddBytes; valid while *this lives.
  ProgressFn BytesCallback();

  // Starts the clock and, on a TTY, the redraw thread.
  void Start();
  // Stops the bar (erasing it) and prints the summary unless quiet. Idempotent.
  void Finish();

  Snapshot snapshot() const;
  // The summary line (no newline) for `snapshot`.
  std::string Summary(const Snapshot& snapshot) const;
  // The bar line (no carriage return) for `snapshot`, at most about 100 columns.
  static std::string Bar(const Snapshot& snapshot);

 private:
  void Redraw();

  const Options options_;
  std::atomic<uint64_t> planned_bytes_{0};
  std::atomic<uint64_t> planned_files_{0};
  std::atomic<bool> plan_complete_{false};
  std::atomic<uint64_t> moved_bytes_{0};
  std::atomic<uint64_t> done_bytes_{0};
  std::atomic<uint64_t> done_files_{0};
  std::atomic<uint64_t> skipped_files_{0};
  std::atomic<uint64_t> failed_files_{0};
  std::chrono::steady_clock::time_point start_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  bool finished_ = false;  // guarded by mu_
  std::thread drawer_;
};

}  // namespace trainload::cli
