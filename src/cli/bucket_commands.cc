// `trainload ls`, `mb` and `rb`: listing buckets and objects, creating and removing buckets.
//
//   ls [s3://bucket[/prefix]] [--recursive] [--human-readable] [--summarize]
//   mb s3://bucket            rb s3://bucket [--force]
//
// `ls` prints what `aws s3 ls` prints: "DATE TIME NAME" per bucket; per object "DATE TIME SIZE
// NAME" with NAME relative to the prefix's directory, and "PRE dir/" for each common prefix
// unless --recursive.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "cli/client_flags.h"
#include "cli/command_support.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "cli/s3_uri.h"

namespace trainload::cli {
namespace {

struct BucketFlags {
  ClientFlags client;
  std::string uri;
  bool recursive = false;
  bool human_readable = false;
  bool summarize = false;
  bool force = false;
};

std::string SizeColumn(uint64_t size, bool human_readable) {
  std::string text = human_readable ? FormatBytes(size) : std::to_string(size);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%10s", text.c_str());
  return buffer;
}

int RunLs(const BucketFlags& flags) {
  const std::string command = "ls";
  std::optional<S3Uri> uri;
  if (!flags.uri.empty()) {
    auto parsed = ParseS3Uri(flags.uri);
    if (!parsed.has_value()) return ReportError(command, parsed.error());
    uri = std::move(*parsed);
  }
  auto client = OpenClient(flags.client);
  if (!client.has_value()) return ReportError(command, client.error());

  if (!uri) {
    auto buckets = (*client)->ListBuckets();
    if (!buckets.has_value()) return ReportError(command, buckets.error());
    for (const BucketInfo& bucket : *buckets) {
      std::cout << FormatLocalTime(bucket.created_ms) << " " << bucket.name << "\n";
    }
    std::cout << std::flush;
    return 0;
  }

  ListOptions list;
  list.prefix = uri->key;
  if (!flags.recursive) list.delimiter = "/";
  // Names are shown relative to the directory the prefix is in, as `aws s3 ls` does:
  // "ls s3://b/data/tr" shows "train.bin", "ls s3://b/data/" shows "train.bin" too.
  const size_t shown_from = flags.recursive ? 0 : uri->key.rfind('/') + 1;
  uint64_t objects = 0;
  uint64_t bytes = 0;
  bool listed_anything = false;
  Status status = (*client)->ListAll(uri->bucket, list, [&](const ListPage& page) {
    for (const std::string& prefix : page.common_prefixes) {
      std::cout << std::string(27, ' ') << "PRE " << prefix.substr(shown_from) << "\n";
      listed_anything = true;
    }
    for (const ObjectInfo& object : page.objects) {
      std::cout << FormatLocalTime(object.last_modified_ms) << " "
                << SizeColumn(object.size, flags.human_readable) << " "
                << (flags.recursive ? object.key : object.key.substr(shown_from)) << "\n";
      ++objects;
      bytes += object.size;
      listed_anything = true;
    }
    return true;
  });
  if (!status.ok()) {
    std::cout << std::flush;
    return ReportError(command, status);
  }
  if (flags.summarize) {
    std::cout << "\nTotal Objects: " << objects << "\n   Total Size: "
              << (flags.human_readable ? FormatBytes(bytes) : std::to_string(bytes)) << "\n";
  }
  std::cout << std::flush;
  // As `aws s3 ls`: a prefix that matches nothing is an error a script can test for.
  if (!listed_anything && !uri->key.empty()) {
    std::cerr << "trainload ls: nothing under " << uri->ToString() << std::endl;
    return kExitFailure;
  }
  return 0;
}

Result<S3Uri> BucketUri(const std::string& text) {
  TL_ASSIGN_OR_RETURN(S3Uri uri, ParseS3Uri(text));
  if (!uri.key.empty()) {
    return Error(InvalidArgument(text + " names an object or prefix, not just a bucket"));
  }
  return uri;
}

int RunMb(const BucketFlags& flags) {
  const std::string command = "mb";
  auto uri = BucketUri(flags.uri);
  if (!uri.has_value()) return ReportError(command, uri.error());
  auto client = OpenClient(flags.client);
  if (!client.has_value()) return ReportError(command, client.error());
  Status created = (*client)->CreateBucket(uri->bucket);
  if (!created.ok()) return ReportError(command, created);
  std::cout << "make_bucket: " << uri->bucket << std::endl;
  return 0;
}

int RunRb(const BucketFlags& flags) {
  const std::string command = "rb";
  auto uri = BucketUri(flags.uri);
  if (!uri.has_value()) return ReportError(command, uri.error());
  auto client = OpenClient(flags.client);
  if (!client.has_value()) return ReportError(command, client.error());
  if (flags.force) {
    FailureList failures;
    uint64_t deleted = 0;
    Status emptied = (*client)->ListAll(uri->bucket, ListOptions{}, [&](const ListPage& page) {
      std::vector<std::string> keys;
      for (const ObjectInfo& object : page.objects) keys.push_back(object.key);
      if (keys.empty()) return true;
      auto result = (*client)->DeleteMany(uri->bucket, keys);
      if (!result.has_value()) {
        failures.Add("delete " + std::to_string(keys.size()) + " objects from s3://" + uri->bucket,
                     result.error());
        return false;
      }
      for (const DeleteError& error : *result) {
        failures.Add("delete s3://" + uri->bucket + "/" + error.key, error.status);
      }
      deleted += keys.size() - result->size();
      return true;
    });
    if (deleted > 0) {
      std::cout << "deleted " << deleted << (deleted == 1 ? " object" : " objects") << " from s3://"
                << uri->bucket << std::endl;
    }
    if (failures.size() > 0) return failures.Report(command);
    if (!emptied.ok())
      return ReportError(command, emptied.WithContext("rb --force s3://" + uri->bucket));
  }
  Status removed = (*client)->DeleteBucket(uri->bucket);
  if (!removed.ok()) return ReportError(command, removed);
  std::cout << "remove_bucket: " << uri->bucket << std::endl;
  return 0;
}

}  // namespace

CommandMain RegisterLsCommand(CLI::App& app) {
  auto flags = std::make_shared<BucketFlags>();
  CLI::App* cmd = app.add_subcommand("ls", "List buckets, or objects and prefixes under a URI");
  cmd->add_option("uri", flags->uri, "s3://bucket[/prefix]; none: list buckets");
  cmd->add_flag("--recursive,-r", flags->recursive, "Every object under the prefix, no PRE lines");
  cmd->add_flag("--human-readable", flags->human_readable, "Sizes in KiB, MiB, GiB");
  cmd->add_flag("--summarize", flags->summarize, "End with the object count and total size");
  AddClientFlags(*cmd, flags->client);
  return [flags] { return RunLs(*flags); };
}

CommandMain RegisterMbCommand(CLI::App& app) {
  auto flags = std::make_shared<BucketFlags>();
  CLI::App* cmd = app.add_subcommand("mb", "Create a bucket");
  cmd->add_option("uri", flags->uri, "s3://bucket")->required();
  AddClientFlags(*cmd, flags->client);
  return [flags] { return RunMb(*flags); };
}

CommandMain RegisterRbCommand(CLI::App& app) {
  auto flags = std::make_shared<BucketFlags>();
  CLI::App* cmd = app.add_subcommand("rb", "Remove an empty bucket (--force: empty it first)");
  cmd->add_option("uri", flags->uri, "s3://bucket")->required();
  cmd->add_flag("--force", flags->force, "Delete every object in the bucket first");
  AddClientFlags(*cmd, flags->client);
  return [flags] { return RunRb(*flags); };
}

}  // namespace trainload::cli
