#include "cli/stage.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <unordered_set>

#include "cli/local_tree.h"
#include "cli/s3_uri.h"
#include "cli/worker_pool.h"

namespace trainload::cli {
namespace {

namespace fs = std::filesystem;

std::string JoinPath(const std::string& dir, std::string_view relative) {
  return dir.ends_with('/') ? dir + std::string(relative) : dir + "/" + std::string(relative);
}

std::string Uri(const StageOptions& options, std::string_view key) {
  return "s3://" + options.bucket + "/" + std::string(key);
}

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// One object the plan downloads.
struct Planned {
  ObjectInfo object;
  std::string relative;
};

// Collects failures from the transfer threads.
class Failures {
 public:
  void Add(std::string key, Status status) {
    std::lock_guard lock(mu_);
    failures_.push_back(StageFailure{std::move(key), std::move(status)});
  }
  std::vector<StageFailure> Take() {
    std::lock_guard lock(mu_);
    return std::move(failures_);
  }

 private:
  std::mutex mu_;
  std::vector<StageFailure> failures_;  // guarded by mu_
};

// Removes temp files an interrupted run left (the client's "<file>.trainload-XXXXXX"), except a
// path that is itself an object being staged. Symbolic links are not followed: nothing outside
// DIR is touched.
uint64_t SweepTempFiles(const std::string& dir, const std::unordered_set<std::string>& keep) {
  uint64_t removed = 0;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    std::error_code type_ec;
    if (!entry.is_regular_file(type_ec) || entry.is_symlink(type_ec)) continue;
    if (!IsStageTempName(entry.path().filename().native())) continue;
    std::string relative = entry.path().lexically_relative(dir).generic_string();
    if (keep.contains(relative)) continue;
    if (fs::remove(entry.path(), type_ec)) ++removed;
  }
  return removed;
}

}  // namespace

Result<std::string> StagePathForKey(std::string_view relative_key) {
  auto refuse = [&](std::string_view why) {
    return Error(InvalidArgument("key \"" + std::string(relative_key) + "\" " + std::string(why)));
  };
  if (relative_key.empty()) return refuse("is the prefix itself, not a file under it");
  if (relative_key.front() == '/')
    return refuse("is an absolute path: it would escape the directory");
  if (relative_key.find('\0') != std::string_view::npos) return refuse("holds a NUL byte");
  size_t begin = 0;
  while (begin <= relative_key.size()) {
    size_t end = relative_key.find('/', begin);
    if (end == std::string_view::npos) end = relative_key.size();
    std::string_view component = relative_key.substr(begin, end - begin);
    if (component == "..") return refuse("has a \"..\" component: it would escape the directory");
    if (component == ".") return refuse("has a \".\" component: it would alias another path");
    if (component.empty()) return refuse("has an empty path component (\"//\" or a trailing '/')");
    begin = end + 1;
  }
  if (relative_key == kManifestName || relative_key == std::string(kManifestName) + ".tmp") {
    return refuse("is the name of stage's own manifest");
  }
  return std::string(relative_key);
}

bool IsStageTempName(std::string_view name) {
  constexpr std::string_view kMarker = ".trainload-";
  if (name == std::string(kManifestName) + ".tmp") return true;
  if (name.size() < kMarker.size() + 6 + 1) return false;
  std::string_view tail = name.substr(name.size() - 6);
  std::string_view marker = name.substr(name.size() - 6 - kMarker.size(), kMarker.size());
  return marker == kMarker && std::all_of(tail.begin(), tail.end(), IsAlnum);
}

Result<StageReport> Stage(Client& client, const StageOptions& options, Progress& progress) {
  const std::string prefix = DirectoryPrefix(options.prefix);
  const std::string root_uri = Uri(options, prefix);
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) return Error(InvalidArgument("cannot create " + options.dir + ": " + ec.message()));
  TL_ASSIGN_OR_RETURN(std::unique_ptr<EtagRecords> records,
                      EtagRecords::Open(options.dir, options.record));

  // 1. One listing, kept whole: the plan needs the totals, and big objects go first.
  std::vector<ObjectInfo> objects;
  ListOptions list;
  list.prefix = prefix;
  Status listed = client.ListAll(options.bucket, list, [&](const ListPage& page) {
    objects.insert(objects.end(), page.objects.begin(), page.objects.end());
    return true;
  });
  if (!listed.ok()) return Error(listed.WithContext("stage: cannot list " + root_uri));

  // 2. Plan.
  StageReport report;
  report.listed = objects.size();
  Failures failures;
  std::vector<Planned> plan;
  std::unordered_set<std::string> object_paths;
  std::unordered_set<std::string> made_dirs;
  auto make_dirs = [&](const std::string& relative_dir) -> Status {
    if (relative_dir.empty() || made_dirs.contains(relative_dir)) return Status::Ok();
    std::error_code mkdir_ec;
    fs::create_directories(JoinPath(options.dir, relative_dir), mkdir_ec);
    if (mkdir_ec) {
      return ErrnoStatus("cannot create directory " + JoinPath(options.dir, relative_dir),
                         mkdir_ec.value());
    }
    made_dirs.insert(relative_dir);
    return Status::Ok();
  };
  auto fail_unplanned = [&](const std::string& key, Status status) {
    progress.AddPlanned(0, 1);
    progress.FileFailed();
    failures.Add(key, std::move(status));
  };
  for (ObjectInfo& object : objects) {
    std::string_view relative_key = std::string_view(object.key).substr(prefix.size());
    if (relative_key.ends_with('/') && object.size == 0) {
      // A directory marker ("prefix/sub/", as consoles create): a directory, not a file.
      relative_key.remove_suffix(1);
      if (relative_key.empty()) continue;  // the marker of the prefix itself
      auto relative = StagePathForKey(relative_key);
      Status made = relative.has_value() ? make_dirs(*relative) : relative.error();
      if (!made.ok()) {
        fail_unplanned(object.key, made);
      } else {
        ++report.directories;
      }
      continue;
    }
    auto relative = StagePathForKey(relative_key);
    if (!relative.has_value()) {
      fail_unplanned(object.key, relative.error().WithContext("not staged"));
      continue;
    }
    object_paths.insert(*relative);
    std::string path = JoinPath(options.dir, *relative);
    struct stat st;
    if (!options.force && ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        static_cast<uint64_t>(st.st_size) == object.size) {
      int64_t mtime_ms =
          static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
      std::optional<std::string> recorded = records->Lookup(*relative, object.size, mtime_ms);
      if (recorded && *recorded == object.etag) {
        ++report.skipped;
        progress.FileSkipped();
        continue;
      }
    }
    size_t slash = relative->rfind('/');
    if (Status made = make_dirs(slash == std::string::npos ? "" : relative->substr(0, slash));
        !made.ok()) {
      fail_unplanned(object.key, made);
      continue;
    }
    progress.AddPlanned(object.size, 1);
    plan.push_back(Planned{std::move(object), std::move(*relative)});
  }
  objects.clear();
  objects.shrink_to_fit();
  progress.PlanComplete();
  report.temp_files_removed = SweepTempFiles(options.dir, object_paths);

  // Objects the client splits into parts go first, largest first (longest job first keeps the
  // tail short); the small ones keep their listing order behind them.
  const uint64_t part_size = client.options().part_size;
  std::stable_partition(plan.begin(), plan.end(),
                        [&](const Planned& p) { return p.object.size > part_size; });
  auto big_end = std::find_if(plan.begin(), plan.end(),
                              [&](const Planned& p) { return p.object.size <= part_size; });
  std::stable_sort(plan.begin(), big_end, [](const Planned& a, const Planned& b) {
    return a.object.size > b.object.size;
  });

  // 3. Download.
  std::atomic<uint64_t> downloaded{0};
  std::atomic<uint64_t> downloaded_bytes{0};
  {
    ProgressFn on_bytes = progress.BytesCallback();
    WorkerPool pool(options.concurrency, options.concurrency * 4);
    for (Planned& item : plan) {
      pool.Submit([&, item = &item] {
        const ObjectInfo& object = item->object;
        std::string path = JoinPath(options.dir, item->relative);
        GetOptions get;
        get.size_hint = object.size;
        get.progress = on_bytes;
        auto result = client.Download(options.bucket, object.key, path, get);
        Status status = StatusOf(result);
        if (status.ok()) {
          // The listing's time has milliseconds where the server keeps them; GET's has seconds.
          int64_t mtime_ms =
              object.last_modified_ms != 0 ? object.last_modified_ms : result->last_modified_ms;
          status = SetFileMtimeMs(path, mtime_ms);
          // Record the ETag of the bytes actually fetched: if the object was replaced after
          // the listing, the file holds the new version and the record says so.
          const std::string& etag = result->etag.empty() ? object.etag : result->etag;
          if (status.ok() && !etag.empty()) {
            status = records->Record(item->relative, result->size, mtime_ms, etag);
          }
        }
        if (!status.ok()) {
          progress.FileFailed();
          failures.Add(object.key, status);
          return;
        }
        ++downloaded;
        downloaded_bytes += result->size;
        progress.FileDone(result->size);
      });
    }
    pool.Wait();
  }
  if (Status flushed = records->Flush(); !flushed.ok()) {
    failures.Add("", flushed.WithContext("stage: the ETag manifest was not saved"));
  }
  report.downloaded = downloaded;
  report.downloaded_bytes = downloaded_bytes;
  report.failures = failures.Take();
  std::sort(report.failures.begin(), report.failures.end(),
            [](const StageFailure& a, const StageFailure& b) { return a.key < b.key; });
  return report;
}

}  // namespace trainload::cli
