// `trainload stage s3://bucket/prefix DIR`: the File-mode download of a whole prefix (stage.h).
// Exit code 0 when every object is in DIR, 1 when any failed (each listed on stderr).
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/client_flags.h"
#include "cli/command_support.h"
#include "cli/commands.h"
#include "cli/s3_uri.h"
#include "cli/stage.h"

namespace trainload::cli {
namespace {

struct StageFlags {
  ClientFlags client;
  std::string uri;
  std::string dir;
  size_t concurrency = 64;
  bool force = false;
  bool quiet = false;
  std::string record = "auto";
};

int RunStage(const StageFlags& flags) {
  const std::string command = "stage";
  auto uri = ParseS3Uri(flags.uri);
  if (!uri.has_value()) return ReportError(command, uri.error());
  auto client = OpenClient(flags.client);
  if (!client.has_value()) return ReportError(command, client.error());

  StageOptions options;
  options.bucket = uri->bucket;
  options.prefix = uri->key;
  options.dir = flags.dir;
  options.concurrency = flags.concurrency;
  options.force = flags.force;
  options.record = flags.record == "xattr"      ? EtagRecordMode::kXattr
                   : flags.record == "manifest" ? EtagRecordMode::kManifest
                                                : EtagRecordMode::kAuto;
  Progress::Options progress_options;
  progress_options.verb = "staged";
  progress_options.tty = StderrIsTerminal();
  progress_options.quiet = flags.quiet;
  Progress progress(progress_options);
  progress.Start();
  auto report = Stage(**client, options, progress);
  progress.Finish();
  if (!report.has_value()) return ReportError(command, report.error());
  if (report->failures.empty()) return 0;
  for (const StageFailure& failure : report->failures) {
    std::cerr << "trainload stage: failed: "
              << (failure.key.empty() ? "" : "s3://" + uri->bucket + "/" + failure.key + ": ")
              << Describe(failure.status) << "\n";
  }
  std::cerr << "trainload stage: " << report->failures.size() << " of " << report->listed
            << " objects failed" << std::endl;
  return kExitFailure;
}

}  // namespace

CommandMain RegisterStageCommand(CLI::App& app) {
  auto flags = std::make_shared<StageFlags>();
  CLI::App* cmd = app.add_subcommand(
      "stage",
      "Download a whole prefix to a local directory as fast as possible (File mode); "
      "resumable");
  cmd->add_option("uri", flags->uri, "s3://bucket/prefix")->required();
  cmd->add_option("dir", flags->dir, "Local directory (created if missing)")->required();
  cmd->add_option("--concurrency", flags->concurrency, "Objects downloaded at once")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{4096}));
  cmd->add_flag("--force", flags->force,
                "Download every object again, ignoring files already staged");
  cmd->add_option("--etag-record", flags->record,
                  "Where to record staged ETags: auto (xattr, else a manifest), xattr, manifest")
      ->check(CLI::IsMember({"auto", "xattr", "manifest"}))
      ->capture_default_str();
  cmd->add_flag("--quiet,-q", flags->quiet, "No progress bar and no summary");
  AddClientFlags(*cmd, flags->client);
  return [flags] { return RunStage(*flags); };
}

}  // namespace trainload::cli
