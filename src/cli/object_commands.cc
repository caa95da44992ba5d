// `trainload rm`, `stat` and `presign`: single-object operations (and rm --recursive).
//
//   rm s3://bucket/key              rm s3://bucket/prefix --recursive [--include P] [--exclude P]
//   stat s3://bucket/key            presign s3://bucket/key [--expires-in 3600]
#include <CLI/CLI.hpp>
#include <iostream>
#include <variant>

#include "cli/client_flags.h"
#include "cli/command_support.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "cli/s3_uri.h"
#include "common/time_format.h"

namespace trainload::cli {
namespace {

struct ObjectFlags {
  ClientFlags client;
  std::string uri;
  bool recursive = false;
  bool quiet = false;
  int64_t expires_in = 3600;
  CLI::App* command = nullptr;
};

// Parses the URI and opens the client, or returns the exit code of the failure.
struct Opened {
  S3Uri uri;
  std::unique_ptr<Client> client;
};
std::variant<Opened, int> Open(std::string_view command, const ObjectFlags& flags,
                               bool object_required) {
  auto uri = ParseS3Uri(flags.uri);
  if (!uri.has_value()) return ReportError(command, uri.error());
  if (object_required && uri->IsPrefix()) {
    return ReportError(command, InvalidArgument(uri->ToString() + " names no object"));
  }
  auto client = OpenClient(flags.client);
  if (!client.has_value()) return ReportError(command, client.error());
  return Opened{std::move(*uri), std::move(*client)};
}

int RunRm(const ObjectFlags& flags) {
  const std::string command = "rm";
  auto opened = Open(command, flags, /*object_required=*/!flags.recursive);
  if (auto* code = std::get_if<int>(&opened)) return *code;
  auto& [uri, client] = std::get<Opened>(opened);
  if (!flags.recursive) {
    Status deleted = client->Delete(uri.bucket, uri.key);
    if (!deleted.ok()) return ReportError(command, deleted);
    if (!flags.quiet) std::cout << "delete: " << uri.ToString() << std::endl;
    return 0;
  }
  // One DeleteObjects per listing page (1000 keys). Deleting keys already listed does not
  // disturb the continuation token, which points past them.
  PathFilter filter = FiltersFromCommandLine(*flags.command);
  const std::string prefix = DirectoryPrefix(uri.key);
  FailureList failures;
  uint64_t deleted = 0;
  ListOptions list;
  list.prefix = prefix;
  Status walked = client->ListAll(uri.bucket, list, [&](const ListPage& page) {
    std::vector<std::string> keys;
    for (const ObjectInfo& object : page.objects) {
      if (filter.Includes(object.key.substr(prefix.size()))) keys.push_back(object.key);
    }
    if (keys.empty()) return true;
    auto result = client->DeleteMany(uri.bucket, keys);
    if (!result.has_value()) {
      for (const std::string& key : keys) {
        failures.Add("delete s3://" + uri.bucket + "/" + key, result.error());
      }
      return true;
    }
    for (const DeleteError& error : *result) {
      failures.Add("delete s3://" + uri.bucket + "/" + error.key, error.status);
    }
    deleted += keys.size() - result->size();
    return true;
  });
  if (!flags.quiet) {
    std::cout << "deleted " << deleted << (deleted == 1 ? " object" : " objects") << " under "
              << S3Uri{uri.bucket, prefix}.ToString() << std::endl;
  }
  int failed = failures.Report(command);
  if (!walked.ok()) return ReportError(command, walked.WithContext("rm " + uri.ToString()));
  return failed;
}

int RunStat(const ObjectFlags& flags) {
  const std::string command = "stat";
  auto opened = Open(command, flags, /*object_required=*/true);
  if (auto* code = std::get_if<int>(&opened)) return *code;
  auto& [uri, client] = std::get<Opened>(opened);
  auto info = client->Head(uri.bucket, uri.key);
  if (!info.has_value()) return ReportError(command, info.error());
  std::cout << uri.ToString() << "\n"
            << "  Size:          " << info->size << " (" << FormatBytes(info->size) << ")\n"
            << "  ETag:          \"" << info->etag << "\"\n"
            << "  Last modified: " << FormatIso8601Millis(info->last_modified_ms) << "\n"
            << "  Content type:  " << info->content_type << "\n"
            << "  Storage class: "
            << (info->storage_class.empty() ? "STANDARD" : info->storage_class) << "\n";
  if (!info->checksum.empty()) {
    std::cout << "  Checksum:      " << info->checksum_algorithm << " " << info->checksum << "\n";
  }
  if (info->parts_count > 0) std::cout << "  Parts:         " << info->parts_count << "\n";
  for (const auto& [name, value] : info->metadata) {
    std::cout << "  Metadata:      " << name << "=" << value << "\n";
  }
  std::cout << std::flush;
  return 0;
}

int RunPresign(const ObjectFlags& flags) {
  const std::string command = "presign";
  if (flags.expires_in < 1 || flags.expires_in > 604800) {
    return ReportError(command, InvalidArgument("--expires-in " + std::to_string(flags.expires_in) +
                                                ": must be 1..604800 seconds (7 days)"));
  }
  auto opened = Open(command, flags, /*object_required=*/true);
  if (auto* code = std::get_if<int>(&opened)) return *code;
  auto& [uri, client] = std::get<Opened>(opened);
  auto url = client->Presign("GET", uri.bucket, uri.key, flags.expires_in);
  if (!url.has_value()) return ReportError(command, url.error().WithContext(uri.ToString()));
  std::cout << *url << std::endl;
  return 0;
}

}  // namespace

CommandMain RegisterRmCommand(CLI::App& app) {
  auto flags = std::make_shared<ObjectFlags>();
  CLI::App* cmd = app.add_subcommand("rm", "Delete an object, or every object under a prefix");
  flags->command = cmd;
  cmd->add_option("uri", flags->uri, "s3://bucket/key or, with --recursive, s3://bucket/prefix")
      ->required();
  cmd->add_flag("--recursive,-r", flags->recursive, "Delete every object under the prefix");
  cmd->add_flag("--quiet,-q", flags->quiet, "Print nothing on success");
  AddFilterFlags(*cmd);
  AddClientFlags(*cmd, flags->client);
  return [flags] { return RunRm(*flags); };
}

CommandMain RegisterStatCommand(CLI::App& app) {
  auto flags = std::make_shared<ObjectFlags>();
  CLI::App* cmd = app.add_subcommand(
      "stat", "Show an object's size, ETag, time, content type, checksum and metadata");
  cmd->add_option("uri", flags->uri, "s3://bucket/key")->required();
  AddClientFlags(*cmd, flags->client);
  return [flags] { return RunStat(*flags); };
}

CommandMain RegisterPresignCommand(CLI::App& app) {
  auto flags = std::make_shared<ObjectFlags>();
  CLI::App* cmd = app.add_subcommand("presign", "Print a presigned GET URL for an object");
  cmd->add_option("uri", flags->uri, "s3://bucket/key")->required();
  cmd->add_option("--expires-in", flags->expires_in, "Seconds the URL stays valid (1..604800)")
      ->capture_default_str();
  AddClientFlags(*cmd, flags->client);
  return [flags] { return RunPresign(*flags); };
}

}  // namespace trainload::cli
