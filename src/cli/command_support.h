// Pieces the S3 subcommands share: reporting errors on stderr in one format, collecting the
// per-object failures of a many-object command, reading --include/--exclude in the order given,
// parsing --metadata, guessing a Content-Type, and the local-time format of `ls`.
//
// FailureList is thread-safe; the rest are pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "cli/path_filter.h"
#include "trainload/status.h"

namespace CLI {
class App;
}

namespace trainload::cli {

// Exit codes: 0 success, 1 an operation failed, 2 bad usage (as the AWS CLI's 1 and 252).
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Prints "trainload <command>: <status>" to stderr and returns kExitFailure (kExitUsage for
// kInvalidArgument, which this CLI uses only for bad arguments).
int ReportError(std::string_view command, const Status& status);

// A Status as one line: its message, then the S3 error code when the message lacks it.
std::string Describe(const Status& status);

// Failures of single objects within a command (cp -r, sync, rm, stage).
class FailureList {
 public:
  // `what` names the operation and the URI/paths, e.g. "download s3://b/k to ./k".
  void Add(std::string what, const Status& status);
  size_t size() const;
  // Prints every failure to stderr as "trainload <command>: failed: <what>: <status>", sorted,
  // then a count line; returns kExitFailure, or 0 when there were none.
  int Report(std::string_view command) const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;  // guarded by mu_
};

// Adds repeatable --include and --exclude options to `command`.
void AddFilterFlags(CLI::App& command);
// The filters of a parsed `command`, in the order they appeared on the command line.
PathFilter FiltersFromCommandLine(const CLI::App& command);

// "k=v,k2=v2" (names lowercased, as S3 stores them). Errors name the text.
Result<std::map<std::string, std::string>> ParseMetadata(std::string_view text);

// A Content-Type from a file name's extension ("x.json" -> "application/json"); empty when
// unknown (the server's default then applies).
std::string GuessContentType(std::string_view file_name);

// "2024-05-01 13:45:12" in the local time zone, as `aws s3 ls` prints times.
std::string FormatLocalTime(int64_t unix_millis);

// Whether stderr is a terminal (the progress bar is drawn only then).
bool StderrIsTerminal();

}  // namespace trainload::cli
