#define FUSE_USE_VERSION 314
#include "fs/mount.h"

#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <malloc.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <vector>

#include "cache/block_cache.h"
#include "fs/filesystem.h"
#include "fs/fuse_filesystem.h"
#include "fs/kernel_read_ahead.h"
#include "prefetch/prefetcher.h"

namespace trainload::fs {
namespace {

std::string MountUri(const MountOptions& options) {
  return "s3://" + options.bucket + "/" + options.prefix;
}

// fuse_opt splits options at ',' and unescapes '\': a prefix may hold either.
std::string EscapeOption(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == ',' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// Mountpoint's default: use the cache disk's free space, leaving 5% of the disk free.
Result<uint64_t> DefaultCacheSize(const std::string& dir) {
  struct statvfs st {};
  if (statvfs(dir.c_str(), &st) != 0) return Error(ErrnoStatus("statvfs " + dir, errno));
  const uint64_t total = static_cast<uint64_t>(st.f_blocks) * st.f_frsize;
  const uint64_t available = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  const uint64_t reserve = total / 20;
  return available > reserve ? available - reserve : 0;
}

Result<std::unique_ptr<cache::BlockCache>> OpenCache(const MountOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.cache_dir, ec);
  if (ec) {
    return Error(Status(StatusCode::kInvalidArgument,
                        "--cache " + options.cache_dir + ": cannot create: " + ec.message()));
  }
  cache::CacheOptions cache_options;
  cache_options.directory = options.cache_dir;
  cache_options.max_size_bytes = options.max_cache_size;
  if (cache_options.max_size_bytes == 0) {
    TL_ASSIGN_OR_RETURN(cache_options.max_size_bytes, DefaultCacheSize(options.cache_dir));
  }
  if (cache_options.max_size_bytes < cache_options.block_size) {
    return Error(InvalidArgument(
        "--cache " + options.cache_dir + ": " + std::to_string(cache_options.max_size_bytes) +
        " bytes is less than one block (" + std::to_string(cache_options.block_size) +
        "); set --max-cache-size or free some space"));
  }
  auto cache = cache::BlockCache::Open(cache_options);
  if (!cache.has_value()) return Error(cache.error().WithContext("--cache " + options.cache_dir));
  return std::move(*cache);
}

}  // namespace

Mount::Mount(const MountOptions& options) : options_(options) {}

Result<std::unique_ptr<Mount>> Mount::Create(const MountOptions& options,
                                             const ClientOptions& client_options) {
  const std::string uri = MountUri(options);
  struct stat st {};
  if (stat(options.mountpoint.c_str(), &st) != 0) {
    return Error(ErrnoStatus("mount point " + options.mountpoint, errno));
  }
  if (!S_ISDIR(st.st_mode)) {
    return Error(InvalidArgument("mount point " + options.mountpoint + " is not a directory"));
  }
  std::unique_ptr<Mount> mount(new Mount(options));
  TL_ASSIGN_OR_RETURN(mount->client_, Client::Create(client_options));

  // Fail now, with S3's reason, rather than at the first `ls` of the mount.
  ListOptions probe;
  probe.prefix = options.prefix;
  probe.delimiter = "/";
  probe.max_keys = 1;
  if (auto listed = mount->client_->List(options.bucket, probe); !listed.has_value()) {
    return Error(listed.error().WithContext("cannot mount " + uri));
  }
  if (!options.cache_dir.empty()) {
    TL_ASSIGN_OR_RETURN(mount->cache_, OpenCache(options));
  }
  TL_ASSIGN_OR_RETURN(
      mount->prefetcher_,
      prefetch::Prefetcher::Create(*mount->client_, mount->cache_.get(), options.prefetch));
  mount->filesystem_ = std::make_unique<Filesystem>(mount->options_, *mount->client_,
                                                    *mount->prefetcher_, mount->clock_);
  mount->fuse_filesystem_ =
      std::make_unique<FuseFilesystem>(*mount->filesystem_, /*log_errors=*/options.foreground);

  std::string fuse_options = "fsname=" + EscapeOption(uri) + ",subtype=trainload";
  // The kernel checks permissions against the modes and owner the mount shows.
  fuse_options += ",default_permissions";
  if (options.allow_other) fuse_options += ",allow_other";
  if (options.read_only) fuse_options += ",ro";
  std::vector<std::string> argv_storage = {"trainload", "-o", fuse_options};
  std::vector<char*> argv;
  for (std::string& arg : argv_storage) argv.push_back(arg.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  mount->session_ = fuse_session_new(&args, &FuseFilesystem::Operations(),
                                     sizeof(fuse_lowlevel_ops), mount->fuse_filesystem_.get());
  fuse_opt_free_args(&args);
  if (mount->session_ == nullptr) {
    return Error(
        Internal("cannot mount " + uri + ": libfuse rejected the options " + fuse_options));
  }
  mount->fuse_filesystem_->set_session(mount->session_);
  mount->filesystem_->set_kernel_cache(mount->fuse_filesystem_.get());
  if (fuse_set_signal_handlers(mount->session_) != 0) {
    return Error(Internal("cannot mount " + uri + ": cannot install signal handlers"));
  }
  mount->signal_handlers_ = true;
  if (fuse_session_mount(mount->session_, options.mountpoint.c_str()) != 0) {
    return Error(Status(StatusCode::kFailedPrecondition,
                        "cannot mount " + uri + " at " + options.mountpoint +
                            ": the kernel refused (is /dev/fuse there and usable, is something "
                            "already mounted there, does --allow-other need user_allow_other in "
                            "/etc/fuse.conf?)"));
  }
  mount->mounted_ = true;
  if (options.kernel_read_ahead_kb > 0) {
    Status read_ahead = SetKernelReadAhead(options.mountpoint, options.kernel_read_ahead_kb);
    if (!read_ahead.ok()) {
      mount->warning_ = read_ahead.message() + " (FUSE reads stay at the system default size)";
    }
  }
  return mount;
}

Mount::~Mount() {
  if (session_ != nullptr) {
    if (signal_handlers_) fuse_remove_signal_handlers(session_);
    if (mounted_) fuse_session_unmount(session_);
    fuse_session_destroy(session_);
  }
  // Members go in reverse order: FUSE glue, file system (its handles are gone with the
  // session), prefetcher, cache, client.
}

Status Mount::Run() {
  fuse_loop_config* config = fuse_loop_cfg_create();
  fuse_loop_cfg_set_max_threads(config, static_cast<unsigned>(options_.max_threads));
  fuse_loop_cfg_set_clone_fd(config, 0);
  int result = fuse_session_loop_mt(session_, config);
  fuse_loop_cfg_destroy(config);
  fuse_session_unmount(session_);
  mounted_ = false;
  // A positive result is the signal that ended the loop: a clean stop.
  if (result < 0) {
    return Status(StatusCode::kInternal, "serving " + MountUri(options_) + " at " +
                                             options_.mountpoint + ": " + std::strerror(-result));
  }
  return Status::Ok();
}

std::string Mount::Summary() const {
  std::string out = "trainload mount: " + MountUri(options_) + " at " + options_.mountpoint + ":";
  auto add = [&out](std::string_view name, uint64_t value) {
    out.append(" ").append(name).append("=").append(std::to_string(value));
  };
  if (prefetcher_) {
    prefetch::PrefetchStats p = prefetcher_->stats();
    add("get_requests", p.get_requests);
    add("bytes_fetched", p.bytes_fetched);
    add("bytes_from_cache", p.bytes_from_cache);
    add("window_resets", p.window_resets);
    add("memory_peak", p.memory_peak);
    add("buffers_mapped", p.buffers_mapped);
    add("buffers_reused", p.buffers_reused);
  }
  if (cache_) {
    cache::CacheStats c = cache_->stats();
    add("cache_hits", c.hits);
    add("cache_misses", c.misses);
    add("cache_evictions", c.evictions);
    add("cache_corrupt_blocks", c.corrupt_blocks);
    add("cache_blocks", c.blocks);
    add("cache_bytes", c.bytes_used);
  }
  return out;
}

namespace {

// The background child's report to its parent: "O<warning>" when mounted (the warning may be
// empty), or "E<status code>\n<reason>\n<message>" on failure.
void Report(int fd, const std::string& message) {
  const char* p = message.data();
  size_t left = message.size();
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

// Stdio of a daemon: nothing, so that whoever ran the command (a script reading its output)
// is not kept waiting for the mount to end.
void DetachStdio() {
  int null = open("/dev/null", O_RDWR);
  if (null < 0) return;
  dup2(null, STDIN_FILENO);
  dup2(null, STDOUT_FILENO);
  dup2(null, STDERR_FILENO);
  if (null > STDERR_FILENO) close(null);
}

Status ServeInForeground(const MountOptions& options, const ClientOptions& client_options) {
  TL_ASSIGN_OR_RETURN(std::unique_ptr<Mount> mount, Mount::Create(options, client_options));
  std::cerr << "trainload mount: " << MountUri(options) << " mounted at " << options.mountpoint
            << std::endl;
  if (!mount->warning().empty()) std::cerr << "trainload mount: " << mount->warning() << std::endl;
  Status status = mount->Run();
  std::cerr << mount->Summary() << std::endl;
  return status;
}

}  // namespace

Status MountAndServe(const MountOptions& given, const ClientOptions& client_options) {
  // An absolute path: the daemon leaves its start directory, and unmounting at exit must find
  // the same mount point.
  MountOptions options = given;
  char resolved[PATH_MAX];
  if (realpath(given.mountpoint.c_str(), resolved) == nullptr) {
    return ErrnoStatus("mount point " + given.mountpoint, errno);
  }
  options.mountpoint = resolved;
  // Read-ahead and upload buffers are large and short-lived. With glibc's default, a freed
  // buffer raises the mmap threshold and later buffers come from per-thread heaps that keep
  // their pages: the process grew to twice --max-memory and more under 4 readers. Buffers of
  // 1 MiB and up are always mapped and unmapped instead, so the resident size follows the
  // budget (measured: 4 readers, --max-memory 256MiB, peak RSS 690 MB before, 270 MB after,
  // same speed).
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  if (options.foreground) return ServeInForeground(options, client_options);
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return ErrnoStatus("pipe", errno);
  pid_t child = fork();
  if (child < 0) return ErrnoStatus("fork", errno);
  if (child == 0) {
    close(pipe_fds[0]);
    setsid();
    auto mount = Mount::Create(options, client_options);
    if (!mount.has_value()) {
      const Status& error = mount.error();
      Report(pipe_fds[1], "E" + std::to_string(static_cast<int>(error.code())) + "\n" +
                              error.reason() + "\n" + error.message());
      _exit(1);
    }
    if (chdir("/") != 0) {
      // Harmless: the daemon only keeps its start directory busy.
    }
    DetachStdio();
    Report(pipe_fds[1], "O" + (*mount)->warning());
    close(pipe_fds[1]);
    Status status = (*mount)->Run();
    mount->reset();
    _exit(status.ok() ? 0 : 1);
  }
  close(pipe_fds[1]);
  std::string message;
  char buffer[4096];
  while (true) {
    ssize_t n = read(pipe_fds[0], buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    message.append(buffer, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  if (!message.empty() && message[0] == 'O') {
    if (message.size() > 1) std::cerr << "trainload mount: " << message.substr(1) << std::endl;
    return Status::Ok();
  }
  if (!message.empty() && message[0] == 'E') {
    waitpid(child, nullptr, 0);
    size_t code_end = message.find('\n');
    size_t reason_end = code_end == std::string::npos ? code_end : message.find('\n', code_end + 1);
    if (reason_end != std::string::npos) {
      int code = std::atoi(message.substr(1, code_end - 1).c_str());
      return Status(static_cast<StatusCode>(code), message.substr(reason_end + 1),
                    message.substr(code_end + 1, reason_end - code_end - 1));
    }
    return Status(StatusCode::kUnavailable, message.substr(1));
  }
  int wait_status = 0;
  waitpid(child, &wait_status, 0);
  return Internal("the mount process for " + MountUri(options) + " ended before mounting (" +
                  (WIFSIGNALED(wait_status)
                       ? "killed by signal " + std::to_string(WTERMSIG(wait_status))
                       : "exit status " + std::to_string(WEXITSTATUS(wait_status))) +
                  ")");
}

}  // namespace trainload::fs
