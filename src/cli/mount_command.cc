// `trainload mount s3://bucket[/prefix/] MOUNTPOINT`: the FUSE file system over a bucket
// (src/fs, docs/mount.md). In the background by default: the command returns once the mount is
// live, or fails with the reason. Exit codes: 0 mounted (or, with -f, unmounted cleanly), 1 the
// mount failed, 2 bad usage.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>

#include "cli/client_flags.h"
#include "cli/command_support.h"
#include "cli/commands.h"
#include "cli/s3_uri.h"
#include "fs/mount.h"

namespace trainload::cli {
namespace {

struct MountFlags {
  ClientFlags client;
  std::string uri;
  std::string mountpoint;
  std::string prefix;
  bool foreground = false;
  uint32_t uid = getuid();
  uint32_t gid = getgid();
  std::string file_mode = "0644";
  std::string dir_mode = "0755";
  bool allow_other = false;
  bool read_only = false;
  std::string metadata_ttl = "1";
  bool immutable = false;
  bool allow_overwrite = false;
  bool allow_delete = false;
  std::string cache_dir;
  std::string max_cache_size;
  size_t max_threads = 16;
  uint32_t read_ahead_kb = 1024;
};

Result<uint32_t> ParseMode(const std::string& flag, const std::string& text) {
  uint32_t mode = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), mode, 8);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || mode > 07777) {
    return Error(InvalidArgument(flag + " " + text + ": not an octal mode such as 0644"));
  }
  return mode;
}

Result<std::chrono::milliseconds> ParseTtl(const std::string& text) {
  if (text == "indefinite") return fs::kIndefiniteTtl;
  double seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || end != text.data() + text.size() || !(seconds >= 0) || seconds > 1e9) {
    return Error(InvalidArgument("--metadata-ttl " + text +
                                 ": expected seconds (e.g. 1, 0.5, 60) or \"indefinite\""));
  }
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(seconds * 1000)));
}

Result<fs::MountOptions> MountOptionsFromFlags(const MountFlags& flags,
                                               const ClientOptions& client) {
  TL_ASSIGN_OR_RETURN(S3Uri uri, ParseS3Uri(flags.uri));
  fs::MountOptions options;
  options.bucket = uri.bucket;
  if (!flags.prefix.empty() && !uri.key.empty()) {
    return Error(InvalidArgument("give the prefix either in the URI (" + flags.uri +
                                 ") or with --prefix, not both"));
  }
  options.prefix = DirectoryPrefix(flags.prefix.empty() ? uri.key : flags.prefix);
  options.mountpoint = flags.mountpoint;
  options.uid = flags.uid;
  options.gid = flags.gid;
  TL_ASSIGN_OR_RETURN(options.file_mode, ParseMode("--file-mode", flags.file_mode));
  TL_ASSIGN_OR_RETURN(options.dir_mode, ParseMode("--dir-mode", flags.dir_mode));
  options.allow_other = flags.allow_other;
  options.read_only = flags.read_only;
  TL_ASSIGN_OR_RETURN(options.metadata_ttl, ParseTtl(flags.metadata_ttl));
  options.immutable = flags.immutable;
  options.allow_overwrite = flags.allow_overwrite;
  options.allow_delete = flags.allow_delete;
  if (options.immutable && (options.allow_overwrite || options.allow_delete)) {
    return Error(InvalidArgument(
        "--immutable promises that objects never change: it cannot go with --allow-overwrite "
        "or --allow-delete"));
  }
  options.cache_dir = flags.cache_dir;
  if (!flags.max_cache_size.empty()) {
    if (flags.cache_dir.empty()) {
      return Error(InvalidArgument("--max-cache-size needs --cache DIR"));
    }
    TL_ASSIGN_OR_RETURN(options.max_cache_size, ParseByteSize(flags.max_cache_size));
    if (options.max_cache_size == 0) {
      return Error(
          InvalidArgument("--max-cache-size " + flags.max_cache_size + ": must be above 0"));
    }
  }
  // One budget for read-ahead as for the client's transfers, and the same part size.
  options.prefetch.max_memory = client.max_memory;
  options.prefetch.part_size = client.part_size;
  options.prefetch.first_request_size =
      std::min(options.prefetch.first_request_size, client.part_size);
  options.prefetch.whole_object_threshold =
      std::min(options.prefetch.whole_object_threshold, client.part_size);
  options.foreground = flags.foreground;
  options.max_threads = flags.max_threads;
  options.kernel_read_ahead_kb = flags.read_ahead_kb;
  return options;
}

int RunMount(const MountFlags& flags) {
  const std::string command = "mount";
  auto client_options = ClientOptionsFromFlags(flags.client);
  if (!client_options.has_value()) return ReportError(command, client_options.error());
  auto options = MountOptionsFromFlags(flags, *client_options);
  if (!options.has_value()) return ReportError(command, options.error());
  Status status = fs::MountAndServe(*options, *client_options);
  if (!status.ok()) return ReportError(command, status);
  return 0;
}

}  // namespace

CommandMain RegisterMountCommand(CLI::App& app) {
  auto flags = std::make_shared<MountFlags>();
  CLI::App* cmd = app.add_subcommand(
      "mount",
      "Mount a bucket (or a prefix of it) as a file system (Fast File mode); returns once the "
      "mount is live, unmount with fusermount3 -u or umount");
  cmd->add_option("uri", flags->uri, "s3://bucket[/prefix/]")->required();
  cmd->add_option("mountpoint", flags->mountpoint, "An existing directory")->required();
  cmd->add_flag("-f,--foreground", flags->foreground,
                "Stay in the foreground (log errors to stderr) until unmounted");
  cmd->add_option("--prefix", flags->prefix, "Key prefix to mount (instead of in the URI)");
  const char* view = "What the mount shows";
  cmd->add_option("--uid", flags->uid, "Owner of every file and directory (default: yours)")
      ->group(view);
  cmd->add_option("--gid", flags->gid, "Group of every file and directory (default: yours)")
      ->group(view);
  cmd->add_option("--file-mode", flags->file_mode, "Permission bits of files, octal")
      ->capture_default_str()
      ->group(view);
  cmd->add_option("--dir-mode", flags->dir_mode, "Permission bits of directories, octal")
      ->capture_default_str()
      ->group(view);
  cmd->add_flag("--allow-other", flags->allow_other,
                "Let other users use the mount (needs user_allow_other in /etc/fuse.conf "
                "unless root)")
      ->group(view);
  const char* behaviour = "Caching and writes";
  cmd->add_option("--metadata-ttl", flags->metadata_ttl,
                  "Seconds to trust lookups, listings and attributes, or \"indefinite\"")
      ->capture_default_str()
      ->group(behaviour);
  cmd->add_flag("--immutable", flags->immutable,
                "The bucket never changes: cache metadata and file pages for the mount's life")
      ->group(behaviour);
  cmd->add_flag("--read-only", flags->read_only, "Refuse every change (EROFS)")->group(behaviour);
  cmd->add_flag("--allow-overwrite", flags->allow_overwrite,
                "Let open(O_TRUNC) replace an existing object")
      ->group(behaviour);
  cmd->add_flag("--allow-delete", flags->allow_delete, "Let unlink delete objects")
      ->group(behaviour);
  cmd->add_option("--cache", flags->cache_dir,
                  "Directory for a local block cache of object data (kept across mounts)")
      ->group(behaviour);
  cmd->add_option("--max-cache-size", flags->max_cache_size,
                  "Size limit of --cache (default: its disk's free space less 5%)")
      ->group(behaviour);
  cmd->add_option("--max-threads", flags->max_threads, "FUSE requests served at once")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1024}))
      ->group(behaviour);
  cmd->add_option("--read-ahead-kb", flags->read_ahead_kb,
                  "Kernel read-ahead of the mount in KiB, the size of FUSE reads (needs root; "
                  "0: the system default)")
      ->capture_default_str()
      ->check(CLI::Range(uint32_t{0}, uint32_t{1} << 20))
      ->group(behaviour);
  AddClientFlags(*cmd, flags->client);
  return [flags] { return RunMount(*flags); };
}

}  // namespace trainload::cli
