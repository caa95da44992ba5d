#include "cli/command_support.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <ctime>
#include <iostream>

namespace trainload::cli {

std::string Describe(const Status& status) {
  std::string out = status.message();
  if (!status.reason().empty() && out.find(status.reason()) == std::string::npos) {
    out += " (" + status.reason() + ")";
  }
  return out;
}

int ReportError(std::string_view command, const Status& status) {
  std::cerr << "trainload " << command << ": " << Describe(status) << std::endl;
  return status.code() == StatusCode::kInvalidArgument && status.reason().empty() ? kExitUsage
                                                                                  : kExitFailure;
}

void FailureList::Add(std::string what, const Status& status) {
  std::string detail = Describe(status);
  // The client's own messages often start with the same words ("Upload a to s3://b/a"): say
  // them once.
  auto lower = [](std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
  };
  std::string line = lower(detail).starts_with(lower(what)) ? detail : what + ": " + detail;
  std::lock_guard lock(mu_);
  lines_.push_back(std::move(line));
}

size_t FailureList::size() const {
  std::lock_guard lock(mu_);
  return lines_.size();
}

int FailureList::Report(std::string_view command) const {
  std::lock_guard lock(mu_);
  if (lines_.empty()) return 0;
  std::vector<std::string> sorted = lines_;
  std::sort(sorted.begin(), sorted.end());
  for (const std::string& line : sorted) {
    std::cerr << "trainload " << command << ": failed: " << line << "\n";
  }
  std::cerr << "trainload " << command << ": " << sorted.size()
            << (sorted.size() == 1 ? " failure" : " failures") << std::endl;
  return kExitFailure;
}

void AddFilterFlags(CLI::App& command) {
  // One value per occurrence: "--include '*.txt' SRC DST" must not swallow SRC and DST.
  command
      .add_option("--include",
                  "Include paths matching this pattern (repeatable; in order "
                  "with --exclude, the last matching filter wins)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  command.add_option("--exclude", "Exclude paths matching this pattern (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

PathFilter FiltersFromCommandLine(const CLI::App& command) {
  PathFilter filter;
  const CLI::Option* include = command.get_option_no_throw("--include");
  const CLI::Option* exclude = command.get_option_no_throw("--exclude");
  size_t next_include = 0;
  size_t next_exclude = 0;
  // parse_order() has one entry per value parsed, which interleaves the two options exactly as
  // they were written.
  for (const CLI::Option* option : command.parse_order()) {
    if (option == include && next_include < include->results().size()) {
      filter.Add(PathFilter::Kind::kInclude, include->results()[next_include++]);
    } else if (option == exclude && next_exclude < exclude->results().size()) {
      filter.Add(PathFilter::Kind::kExclude, exclude->results()[next_exclude++]);
    }
  }
  return filter;
}

Result<std::map<std::string, std::string>> ParseMetadata(std::string_view text) {
  std::map<std::string, std::string> metadata;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find(',', begin);
    if (end == std::string_view::npos) end = text.size();
    std::string_view pair = text.substr(begin, end - begin);
    size_t equals = pair.find('=');
    if (equals == std::string_view::npos || equals == 0) {
      return Error(InvalidArgument("--metadata \"" + std::string(text) + "\": \"" +
                                   std::string(pair) + "\" is not KEY=VALUE"));
    }
    std::string name(pair.substr(0, equals));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    metadata[name] = std::string(pair.substr(equals + 1));
    begin = end + 1;
  }
  return metadata;
}

std::string GuessContentType(std::string_view file_name) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {"txt", "text/plain"},        {"csv", "text/csv"},          {"html", "text/html"},
      {"htm", "text/html"},         {"css", "text/css"},          {"js", "text/javascript"},
      {"md", "text/markdown"},      {"json", "application/json"}, {"xml", "application/xml"},
      {"pdf", "application/pdf"},   {"zip", "application/zip"},   {"gz", "application/gzip"},
      {"tar", "application/x-tar"}, {"png", "image/png"},         {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},       {"gif", "image/gif"},         {"webp", "image/webp"},
      {"svg", "image/svg+xml"},     {"mp4", "video/mp4"},         {"wav", "audio/wav"},
      {"mp3", "audio/mpeg"},
  };
  size_t dot = file_name.rfind('.');
  size_t slash = file_name.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) return "";
  std::string extension(file_name.substr(dot + 1));
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& [ext, type] : kTypes) {
    if (ext == extension) return std::string(type);
  }
  return "";
}

std::string FormatLocalTime(int64_t unix_millis) {
  std::time_t seconds = static_cast<std::time_t>(unix_millis / 1000);
  std::tm local{};
  ::localtime_r(&seconds, &local);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S", &local);
  return buffer;
}

bool StderrIsTerminal() { return ::isatty(STDERR_FILENO) == 1; }

}  // namespace trainload::cli
