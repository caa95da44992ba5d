// `trainload cp`, `sync` and `cat`: moving objects between local files, S3 and stdin/stdout.
//
//   cp SRC DST [--recursive] [--include P] [--exclude P] [--content-type T] [--metadata k=v,..]
//   sync SRC DST [--delete] [--size-only] [--exact-timestamps] [--include P] [--exclude P]
//   cat s3://bucket/key
//
// SRC and DST are local paths, s3:// URIs, or "-" (cp only: stdin as SRC, stdout as DST). The
// semantics follow `aws s3 cp/sync`.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <filesystem>
#include <iostream>
#include <vector>

#include "cli/client_flags.h"
#include "cli/command_support.h"
#include "cli/commands.h"
#include "cli/s3_uri.h"
#include "cli/stage.h"
#include "cli/sync_plan.h"
#include "cli/transfer_set.h"

namespace trainload::cli {
namespace {

namespace fs = std::filesystem;

constexpr size_t kDefaultConcurrency = 64;

struct TransferFlags {
  ClientFlags client;
  std::string source;
  std::string destination;
  bool recursive = false;
  std::string content_type;
  std::string metadata;
  size_t concurrency = kDefaultConcurrency;
  bool quiet = false;
  bool delete_extra = false;
  bool size_only = false;
  bool exact_timestamps = false;
  CLI::App* command = nullptr;
};

std::string JoinPath(const std::string& dir, std::string_view relative) {
  return dir.ends_with('/') ? dir + std::string(relative) : dir + "/" + std::string(relative);
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Status WriteAll(int fd, const std::byte* data, size_t size, const std::string& what) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot write " + what, errno);
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

// The object's bytes, in order, to `fd` (stdout, or a device or pipe named as the
// destination): prefetched parts from OpenReader.
Status StreamToFd(Client& client, const S3Uri& uri, int fd, const std::string& what) {
  TL_ASSIGN_OR_RETURN(std::unique_ptr<ObjectReader> reader, client.OpenReader(uri.bucket, uri.key));
  // Written straight from the reader's part buffers.
  bool write_failed = false;
  Status status = reader->ReadAll([&](std::span<const std::byte> data) {
    Status written = WriteAll(fd, data.data(), data.size(), what);
    write_failed = !written.ok();
    return written;
  });
  if (status.ok() || write_failed) return status;
  return status.WithContext("reading " + uri.ToString());
}

Status StreamToStdout(Client& client, const S3Uri& uri) {
  return StreamToFd(client, uri, STDOUT_FILENO, "to stdout");
}

// A destination that exists and is neither a regular file nor a directory (/dev/null, a FIFO):
// it is written in place, as `cat` would. A download into a temp file renamed over it would
// replace the device node itself.
bool IsSpecialFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

Status StreamToSpecialFile(Client& client, const S3Uri& uri, const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open " + path + " for writing", errno);
  Status streamed = StreamToFd(client, uri, fd, "to " + path);
  if (::close(fd) != 0 && streamed.ok()) streamed = ErrnoStatus("closing " + path, errno);
  return streamed;
}

// stdin to one object of unknown length: parts are uploaded as they fill.
Status UploadStdin(Client& client, const S3Uri& uri, PutOptions put) {
  // See TransferSet::Upload: the multipart POST would otherwise carry curl's form type.
  if (put.content_type.empty()) put.content_type = "binary/octet-stream";
  TL_ASSIGN_OR_RETURN(std::unique_ptr<ObjectWriter> writer,
                      client.OpenWriter(uri.bucket, uri.key, put));
  std::vector<std::byte> buffer(std::min<uint64_t>(client.options().part_size, 64ull << 20));
  while (true) {
    ssize_t n = ::read(STDIN_FILENO, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      Status error = ErrnoStatus("cannot read stdin for " + uri.ToString(), errno);
      writer->Abort();
      return error;
    }
    if (n == 0) break;
    if (Status written = writer->Write(std::span(buffer.data(), static_cast<size_t>(n)));
        !written.ok()) {
      writer->Abort();
      return written;
    }
  }
  return StatusOf(writer->Close());
}

Result<PutOptions> PutOptionsFromFlags(const TransferFlags& flags) {
  PutOptions put;
  put.content_type = flags.content_type;
  if (!flags.metadata.empty()) {
    TL_ASSIGN_OR_RETURN(put.metadata, ParseMetadata(flags.metadata));
  }
  return put;
}

Progress::Options ProgressOptions(const TransferFlags& flags, std::string verb) {
  Progress::Options options;
  options.verb = std::move(verb);
  options.tty = StderrIsTerminal();
  options.quiet = flags.quiet;
  return options;
}

// cp of one object or file.
int CopyOne(Client& client, const Location& source, const Location& destination,
            const PutOptions& put, Progress& progress) {
  const std::string command = "cp";
  if (source.is_s3() && source.s3.IsPrefix()) {
    return ReportError(command, InvalidArgument(source.ToString() +
                                                " is a prefix, not an object (use --recursive)"));
  }
  if (destination.is_stdio()) {
    Status streamed = StreamToStdout(client, source.s3);
    return streamed.ok() ? 0 : ReportError(command, streamed);
  }
  if (source.is_stdio()) {
    if (destination.s3.IsPrefix()) {
      return ReportError(command, InvalidArgument("cp - " + destination.ToString() +
                                                  ": name the object to write stdin to"));
    }
    Status uploaded = UploadStdin(client, destination.s3, put);
    return uploaded.ok() ? 0 : ReportError(command, uploaded);
  }

  TransferSet transfers(client, 1, put, progress);
  progress.Start();
  if (source.is_local()) {
    struct stat st;
    if (::stat(source.path.c_str(), &st) != 0) {
      return ReportError(command, ErrnoStatus("cannot read " + source.path, errno));
    }
    if (S_ISDIR(st.st_mode)) {
      return ReportError(command,
                         InvalidArgument(source.path + " is a directory (use --recursive)"));
    }
    std::string key = destination.s3.key;
    if (destination.s3.IsPrefix()) key += fs::path(source.path).filename().string();
    transfers.Upload(source.path, static_cast<uint64_t>(st.st_size), destination.s3.bucket, key);
  } else if (destination.is_local()) {
    std::string path = destination.path;
    if (path.ends_with('/') || IsDirectory(path)) {
      path = JoinPath(path, KeyBaseName(source.s3.key));
    }
    if (IsSpecialFile(path)) {
      Status streamed = StreamToSpecialFile(client, source.s3, path);
      return streamed.ok() ? 0 : ReportError(command, streamed);
    }
    auto head = client.Head(source.s3.bucket, source.s3.key);
    if (!head.has_value()) return ReportError(command, head.error());
    transfers.Download(source.s3.bucket, source.s3.key, head->size, head->last_modified_ms, path);
  } else {
    std::string key = destination.s3.key;
    if (destination.s3.IsPrefix()) key += std::string(KeyBaseName(source.s3.key));
    transfers.Copy(source.s3.bucket, source.s3.key, 0, destination.s3.bucket, key);
  }
  progress.PlanComplete();
  transfers.Wait();
  progress.Finish();
  return transfers.failures().Report(command);
}

// cp --recursive: every file or object under SRC to the same relative path under DST.
int CopyTree(Client& client, const TransferFlags& flags, const Location& source,
             const Location& destination, const PutOptions& put, Progress& progress) {
  const std::string command = "cp";
  PathFilter filter = FiltersFromCommandLine(*flags.command);
  TransferSet transfers(client, flags.concurrency, put, progress);
  EntryStream entries;
  std::string source_prefix;
  if (source.is_local()) {
    if (!IsDirectory(source.path)) {
      return ReportError(command, InvalidArgument(source.path + " is not a directory"));
    }
    entries = LocalEntries(source.path, filter, transfers.failures());
  } else {
    source_prefix = DirectoryPrefix(source.s3.key);
    entries = ObjectEntries(client, source.s3.bucket, source_prefix, filter);
  }
  const std::string destination_prefix =
      destination.is_s3() ? DirectoryPrefix(destination.s3.key) : "";
  progress.Start();
  Status walked = Status::Ok();
  while (true) {
    auto next = entries();
    if (!next.has_value()) {
      walked = next.error();
      break;
    }
    if (!next->has_value()) break;
    const TreeEntry& entry = **next;
    if (source.is_local()) {
      transfers.Upload(JoinPath(source.path, entry.relative), entry.size, destination.s3.bucket,
                       destination_prefix + entry.relative);
    } else if (destination.is_s3()) {
      transfers.Copy(source.s3.bucket, source_prefix + entry.relative, entry.size,
                     destination.s3.bucket, destination_prefix + entry.relative);
    } else {
      auto relative = StagePathForKey(entry.relative);
      if (!relative.has_value()) {
        transfers.failures().Add(
            "download " + source.s3.bucket + "/" + source_prefix + entry.relative,
            relative.error());
        progress.AddPlanned(0, 1);
        progress.FileFailed();
        continue;
      }
      transfers.Download(source.s3.bucket, source_prefix + entry.relative, entry.size,
                         entry.mtime_ms, JoinPath(destination.path, *relative));
    }
  }
  progress.PlanComplete();
  transfers.Wait();
  progress.Finish();
  int failed = transfers.failures().Report(command);
  if (!walked.ok()) return ReportError(command, walked);
  return failed;
}

int RunCp(const TransferFlags& flags) {
  const std::string command = "cp";
  auto source = ParseLocation(flags.source);
  if (!source.has_value()) return ReportError(command, source.error());
  auto destination = ParseLocation(flags.destination);
  if (!destination.has_value()) return ReportError(command, destination.error());
  if (!source->is_s3() && !destination->is_s3()) {
    return ReportError(command,
                       InvalidArgument("cp " + source->ToString() + " " + destination->ToString() +
                                       ": one side must be an s3:// URI"));
  }
  if (source->is_stdio() && destination->is_stdio()) {
    return ReportError(command, InvalidArgument("cp - -: nothing to copy"));
  }
  if (flags.recursive && (source->is_stdio() || destination->is_stdio())) {
    return ReportError(command, InvalidArgument("--recursive cannot read stdin or write stdout"));
  }
  auto put = PutOptionsFromFlags(flags);
  if (!put.has_value()) return ReportError(command, put.error());
  auto client = OpenClient(flags.client);
  if (!client.has_value()) return ReportError(command, client.error());
  Progress progress(ProgressOptions(flags, "copied"));
  if (flags.recursive) return CopyTree(**client, flags, *source, *destination, *put, progress);
  return CopyOne(**client, *source, *destination, *put, progress);
}

int RunSync(const TransferFlags& flags) {
  const std::string command = "sync";
  auto source = ParseLocation(flags.source);
  if (!source.has_value()) return ReportError(command, source.error());
  auto destination = ParseLocation(flags.destination);
  if (!destination.has_value()) return ReportError(command, destination.error());
  if (source->is_stdio() || destination->is_stdio() ||
      (!source->is_s3() && !destination->is_s3())) {
    return ReportError(
        command, InvalidArgument("sync " + source->ToString() + " " + destination->ToString() +
                                 ": sync a local directory and an s3:// prefix, "
                                 "or two prefixes"));
  }
  if (source->is_local() && !IsDirectory(source->path)) {
    return ReportError(command, InvalidArgument(source->path + " is not a directory"));
  }
  auto put = PutOptionsFromFlags(flags);
  if (!put.has_value()) return ReportError(command, put.error());
  auto opened = OpenClient(flags.client);
  if (!opened.has_value()) return ReportError(command, opened.error());
  Client& client = **opened;

  PathFilter filter = FiltersFromCommandLine(*flags.command);
  Progress progress(ProgressOptions(flags, "synced"));
  TransferSet transfers(client, flags.concurrency, *put, progress);
  const std::string source_prefix = source->is_s3() ? DirectoryPrefix(source->s3.key) : "";
  const std::string destination_prefix =
      destination->is_s3() ? DirectoryPrefix(destination->s3.key) : "";
  EntryStream source_entries = source->is_s3()
                                   ? ObjectEntries(client, source->s3.bucket, source_prefix, filter)
                                   : LocalEntries(source->path, filter, transfers.failures());
  EntryStream destination_entries =
      destination->is_s3()
          ? ObjectEntries(client, destination->s3.bucket, destination_prefix, filter)
          : LocalEntries(destination->path, filter, transfers.failures());
  SyncRules rules{.size_only = flags.size_only,
                  .exact_timestamps = flags.exact_timestamps && destination->is_local()};
  const std::string source_name =
      source->is_s3() ? source->s3.bucket + "/" + source_prefix : source->path;
  const std::string destination_name =
      destination->is_s3() ? destination->s3.bucket + "/" + destination_prefix : destination->path;

  auto visit = [&](const TreeEntry* from, const TreeEntry* to) -> Status {
    if (from == nullptr) {
      if (!flags.delete_extra) return Status::Ok();
      if (destination->is_s3()) {
        transfers.DeleteObject(destination->s3.bucket, destination_prefix + to->relative);
      } else {
        transfers.RemoveLocal(JoinPath(destination->path, to->relative));
      }
      return Status::Ok();
    }
    if (to != nullptr && !NeedsCopy(*from, *to, rules)) {
      progress.FileSkipped();
      return Status::Ok();
    }
    if (source->is_local()) {
      transfers.Upload(JoinPath(source->path, from->relative), from->size, destination->s3.bucket,
                       destination_prefix + from->relative);
    } else if (destination->is_s3()) {
      transfers.Copy(source->s3.bucket, source_prefix + from->relative, from->size,
                     destination->s3.bucket, destination_prefix + from->relative);
    } else {
      auto relative = StagePathForKey(from->relative);
      if (!relative.has_value()) {
        progress.AddPlanned(0, 1);
        progress.FileFailed();
        transfers.failures().Add(
            "download s3://" + source->s3.bucket + "/" + source_prefix + from->relative,
            relative.error());
        return Status::Ok();
      }
      transfers.Download(source->s3.bucket, source_prefix + from->relative, from->size,
                         from->mtime_ms, JoinPath(destination->path, *relative));
    }
    return Status::Ok();
  };
  progress.Start();
  Status merged =
      MergeTrees(source_entries, source_name, destination_entries, destination_name, visit);
  progress.PlanComplete();
  transfers.Wait();
  progress.Finish();
  if (flags.delete_extra && !flags.quiet && transfers.deleted() > 0) {
    std::cout << "deleted " << transfers.deleted() << " extra "
              << (transfers.deleted() == 1 ? "file" : "files") << " from "
              << destination->ToString() << std::endl;
  }
  int failed = transfers.failures().Report(command);
  if (!merged.ok()) return ReportError(command, merged);
  return failed;
}

int RunCat(const ClientFlags& client_flags, const std::string& uri_text) {
  const std::string command = "cat";
  auto uri = ParseS3Uri(uri_text);
  if (!uri.has_value()) return ReportError(command, uri.error());
  if (uri->IsPrefix()) {
    return ReportError(command, InvalidArgument(uri->ToString() + " names no object"));
  }
  auto client = OpenClient(client_flags);
  if (!client.has_value()) return ReportError(command, client.error());
  Status streamed = StreamToStdout(**client, *uri);
  return streamed.ok() ? 0 : ReportError(command, streamed);
}

void AddCommonTransferFlags(CLI::App& cmd, TransferFlags& flags) {
  cmd.add_option("source", flags.source, "Local path, s3://bucket/key, or -")->required();
  cmd.add_option("destination", flags.destination, "Local path, s3://bucket/key, or -")->required();
  AddFilterFlags(cmd);
  cmd.add_option("--content-type", flags.content_type, "Content-Type of uploaded objects");
  cmd.add_option("--metadata", flags.metadata, "User metadata of uploaded objects: k=v,k2=v2");
  cmd.add_option("--concurrency", flags.concurrency, "Objects transferred at once")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{4096}));
  cmd.add_flag("--quiet,-q", flags.quiet, "No progress bar and no summary");
  AddClientFlags(cmd, flags.client);
}

}  // namespace

CommandMain RegisterCpCommand(CLI::App& app) {
  auto flags = std::make_shared<TransferFlags>();
  CLI::App* cmd = app.add_subcommand("cp",
                                     "Copy files and objects (local <-> S3, S3 -> S3, "
                                     "stdin/stdout as -)");
  flags->command = cmd;
  AddCommonTransferFlags(*cmd, *flags);
  cmd->add_flag("--recursive,-r", flags->recursive, "Copy every file or object under SRC");
  return [flags] { return RunCp(*flags); };
}

CommandMain RegisterSyncCommand(CLI::App& app) {
  auto flags = std::make_shared<TransferFlags>();
  CLI::App* cmd = app.add_subcommand(
      "sync", "Copy what is new or changed from SRC to DST (sizes differ, or SRC is newer)");
  flags->command = cmd;
  AddCommonTransferFlags(*cmd, *flags);
  cmd->add_flag("--delete", flags->delete_extra, "Delete files in DST that are not in SRC");
  cmd->add_flag("--size-only", flags->size_only, "Compare sizes only, not times");
  cmd->add_flag("--exact-timestamps", flags->exact_timestamps,
                "Downloads: copy when times differ at all, not only when SRC is newer");
  return [flags] { return RunSync(*flags); };
}

CommandMain RegisterCatCommand(CLI::App& app) {
  auto flags = std::make_shared<ClientFlags>();
  auto uri = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("cat", "Write an object to stdout");
  cmd->add_option("uri", *uri, "s3://bucket/key")->required();
  AddClientFlags(*cmd, *flags);
  return [flags, uri] { return RunCat(*flags, *uri); };
}

}  // namespace trainload::cli
