// Crash safety: a child process runs a random storage workload (puts, multi-segment puts,
// appends, multipart uploads, deletes, conditional puts) and is SIGKILLed at a random moment,
// many times over the same directory. After each kill the parent reopens the store and checks:
//   - every object's bytes are complete blocks written for that key, one block per segment
//     (no torn or mixed version), and every pending part is a complete block;
//   - tmp/ is empty (the child always had a half-written file in it when killed);
//   - after the sweep, objects/ holds exactly the files the index references (the child always
//     left an orphan: a finished file that was never committed).
//
// The child is this test binary re-executed with a disabled test selected, so it starts with a
// fresh process image (forking a process that has LevelDB's background thread is not safe).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <set>
#include <thread>

#include "server/storage/object_store.h"
#include "server/storage/storage_test_support.h"

namespace trainload::storage {
namespace {

using testing::Record;

constexpr char kDirVar[] = "TRAINLOAD_CRASH_CHILD_DIR";
constexpr char kSeedVar[] = "TRAINLOAD_CRASH_CHILD_SEED";
constexpr char kReadyFdVar[] = "TRAINLOAD_CRASH_CHILD_READY_FD";

// A self-checking block: "<key>|<version>|<length>|" + <length> pattern bytes + "$".
std::string Block(const std::string& key, uint64_t version, size_t length) {
  std::string block = key + "|" + std::to_string(version) + "|" + std::to_string(length) + "|";
  for (size_t i = 0; i < length; ++i)
    block.push_back(static_cast<char>((version * 31 + i * 7) & 0xff));
  block.push_back('$');
  return block;
}

// Splits `content` into complete blocks of `key`; returns how many, or -1 if anything is off.
int CountBlocks(std::string_view content, const std::string& key) {
  int blocks = 0;
  while (!content.empty()) {
    size_t a = content.find('|');
    size_t b = a == std::string::npos ? a : content.find('|', a + 1);
    size_t c = b == std::string::npos ? b : content.find('|', b + 1);
    if (c == std::string::npos || content.substr(0, a) != key) return -1;
    uint64_t version = std::stoull(std::string(content.substr(a + 1, b - a - 1)));
    size_t length = std::stoull(std::string(content.substr(b + 1, c - b - 1)));
    std::string expected = Block(key, version, length);
    if (content.substr(0, expected.size()) != expected) return -1;
    content.remove_prefix(expected.size());
    ++blocks;
  }
  return blocks;
}

// Streams a block through a writer in 4 KiB appends, as an HTTP body would arrive.
Result<StagedData> StageBlock(ObjectStore& store, const std::string& key, uint64_t version,
                              size_t length) {
  std::string block = Block(key, version, length);
  TL_ASSIGN_OR_RETURN(auto writer, store.NewWriter());
  for (size_t pos = 0; pos < block.size(); pos += 4096) {
    TL_RETURN_IF_ERROR(writer->Append(std::string_view(block).substr(pos, 4096)));
  }
  return writer->Finish();
}

// The child's endless workload. Never returns normally: it is killed.
void RunWorkload(const std::filesystem::path& dir, uint64_t seed, int ready_fd) {
  testing::FakeClock clock(static_cast<int64_t>(seed) * 1000);
  auto opened = ObjectStore::Open({dir, /*fsync=*/false}, clock);
  if (!opened) std::_Exit(2);
  ObjectStore& store = **opened;
  (void)store.CreateBucket("crash", "r", BucketKind::kGeneralPurpose);
  // An orphan (finished, never committed) and a half-written temp file, always present.
  if (auto orphan = StageBlock(store, "orphan", seed, 100)) (void)orphan->Release();
  auto in_flight = store.NewWriter();
  if (!in_flight || !(*in_flight)->Append("half a body").ok()) std::_Exit(3);
  char ready = 'r';
  if (::write(ready_fd, &ready, 1) != 1) std::_Exit(4);

  std::mt19937_64 rng(seed);
  uint64_t version = seed * 1'000'000;
  auto size = [&] { return static_cast<size_t>(rng() % 3 == 0 ? rng() % 200000 : rng() % 5000); };
  auto key = [&] { return "k" + std::to_string(rng() % 12); };
  while (true) {
    clock.Advance(1);
    ++version;
    switch (rng() % 8) {
      case 0:
      case 1: {  // plain PUT
        std::string k = key();
        if (auto data = StageBlock(store, k, version, size())) {
          (void)store.Commit("crash", Record(k, std::to_string(version)), std::move(*data));
        }
        break;
      }
      case 2: {  // multi-segment PUT (as a copy would make)
        std::string k = key();
        std::vector<StagedData> pieces;
        for (int i = 0, n = 1 + rng() % 3; i < n; ++i) {
          if (auto data = StageBlock(store, k, version + i * 1000, size())) {
            pieces.push_back(std::move(*data));
          }
        }
        (void)store.CommitSegments("crash", Record(k), std::move(pieces), CommitMode::kReplace);
        break;
      }
      case 3: {  // append
        std::string k = "log" + std::to_string(rng() % 3);
        if (auto data = StageBlock(store, k, version, size())) {
          std::vector<StagedData> pieces;
          pieces.push_back(std::move(*data));
          (void)store.CommitSegments("crash", Record(k), std::move(pieces), CommitMode::kAppend);
        }
        break;
      }
      case 4: {  // multipart: complete all, a subset, abort, or leave pending
        std::string k = "mp" + std::to_string(rng() % 4);
        auto upload = store.CreateUpload("crash", k, {});
        if (!upload) break;
        std::vector<CompletedPart> parts;
        for (uint32_t n = 1, count = 1 + rng() % 4; n <= count; ++n) {
          // Sometimes a part is uploaded twice; the second upload replaces the first.
          for (int upload_count = rng() % 4 == 0 ? 2 : 1; upload_count > 0; --upload_count) {
            auto data = StageBlock(store, k, ++version, size());
            if (!data) continue;
            PartRecord fields;
            fields.etag = "p" + std::to_string(version);
            if (!store.PutPart("crash", k, upload->upload_id, n, fields, std::move(*data)))
              continue;
            if (parts.empty() || parts.back().part_number != n) parts.push_back({n, ""});
            parts.back().etag = fields.etag;
          }
        }
        switch (rng() % 4) {
          case 0:
            (void)store.AbortUpload("crash", k, upload->upload_id);
            break;
          case 1:
            break;  // left pending
          case 2:
            if (parts.size() > 1) parts.erase(parts.begin());  // subset
            [[fallthrough]];
          default:
            (void)store.CompleteUpload("crash", k, upload->upload_id, parts, Record(k));
        }
        break;
      }
      case 5:
        (void)store.Delete("crash", key());
        break;
      case 6: {  // If-None-Match: *
        std::string k = key();
        if (auto data = StageBlock(store, k, version, size())) {
          (void)store.Commit("crash", Record(k), std::move(*data), [](const ObjectRecord* c) {
            return c ? FailedPrecondition("exists") : Status::Ok();
          });
        }
        break;
      }
      default: {  // a writer abandoned mid-body
        auto writer = store.NewWriter();
        if (writer) (void)(*writer)->Append(Block("abandoned", version, size()));
        break;
      }
    }
  }
}

TEST(CrashRecoveryTest, DISABLED_ChildWorkload) {
  const char* dir = std::getenv(kDirVar);
  if (dir == nullptr) GTEST_SKIP() << "only run as the child of CrashRecoveryTest";
  RunWorkload(dir, std::stoull(std::getenv(kSeedVar)), std::atoi(std::getenv(kReadyFdVar)));
}

// Starts the child workload, waits until it is ready, lets it run `run_for`, kills it.
void RunAndKill(const std::filesystem::path& dir, uint64_t seed,
                std::chrono::microseconds run_for) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  ::setenv(kDirVar, dir.c_str(), 1);
  ::setenv(kSeedVar, std::to_string(seed).c_str(), 1);
  ::setenv(kReadyFdVar, std::to_string(pipe_fds[1]).c_str(), 1);
  const char* argv[] = {"/proc/self/exe", "--gtest_filter=CrashRecoveryTest.DISABLED_ChildWorkload",
                        "--gtest_also_run_disabled_tests", nullptr};
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int null_fd = ::open("/dev/null", O_WRONLY);
    ::dup2(null_fd, STDOUT_FILENO);
    ::dup2(null_fd, STDERR_FILENO);
    ::close(pipe_fds[0]);
    ::execv(argv[0], const_cast<char* const*>(argv));
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  ::unsetenv(kDirVar);
  char ready = 0;
  ssize_t n = ::read(pipe_fds[0], &ready, 1);
  ::close(pipe_fds[0]);
  std::this_thread::sleep_for(run_for);
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_EQ(n, 1) << "the child never got ready; exit status " << status;
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
}

struct Checked {
  size_t objects = 0;
  size_t pending_parts = 0;
};

// Reopens the store and checks every invariant listed at the top of the file.
void CheckStore(const std::filesystem::path& dir, Checked& totals) {
  testing::FakeClock clock;
  auto opened = ObjectStore::Open({dir, /*fsync=*/false}, clock);
  ASSERT_TRUE(opened) << opened.error().ToString();
  ObjectStore& store = **opened;
  EXPECT_EQ(*store.CountTmpFiles(), 0u) << "temp files survived the restart";

  std::set<std::string> referenced;
  auto buckets = store.ListBuckets("", "", 100);
  ASSERT_TRUE(buckets);
  for (const BucketInfo& bucket : buckets->buckets) {
    ListQuery query;
    while (true) {
      auto page = store.List(bucket.name, query);
      ASSERT_TRUE(page) << page.error().ToString();
      for (const ObjectRecord& listed : page->objects) {
        auto reader = store.OpenObject(bucket.name, listed.key);
        ASSERT_TRUE(reader) << listed.key << ": " << reader.error().ToString();
        auto content = testing::ReadAll(**reader);
        ASSERT_TRUE(content) << listed.key;
        const ObjectRecord& record = (*reader)->record();
        EXPECT_EQ(CountBlocks(*content, record.key), static_cast<int>(record.segments.size()))
            << "object " << record.key << " is torn or mixed";
        for (const Segment& s : record.segments) referenced.insert(s.file_id);
        ++totals.objects;
      }
      if (!page->truncated) break;
      query.start_after = page->next_marker;
    }
    auto uploads = store.ListUploads(bucket.name, {});
    ASSERT_TRUE(uploads);
    for (const UploadInfo& upload : uploads->uploads) {
      auto parts = store.ListParts(bucket.name, upload.key, upload.upload_id, 0, 1000);
      ASSERT_TRUE(parts);
      for (const PartRecord& part : parts->parts) {
        auto fd = store.files().OpenObject(part.file_id);
        ASSERT_TRUE(fd) << "part file of " << upload.key << " missing";
        std::string content(part.size, '\0');
        ASSERT_EQ(::pread(fd->get(), content.data(), part.size, 0),
                  static_cast<ssize_t>(part.size));
        EXPECT_EQ(CountBlocks(content, upload.key), 1) << "torn part of " << upload.key;
        referenced.insert(part.file_id);
        ++totals.pending_parts;
      }
    }
  }

  auto swept = store.WaitForSweep();
  ASSERT_TRUE(swept) << swept.error().ToString();
  EXPECT_GE(*swept, 1u) << "the child's orphan was not swept";
  std::set<std::string> on_disk;
  ASSERT_TRUE(store.files()
                  .ForEachObjectFile([&](std::string_view id) {
                    on_disk.insert(std::string(id));
                    return true;
                  })
                  .ok());
  EXPECT_EQ(on_disk, referenced) << "objects/ differs from what the index references";
}

TEST(CrashRecoveryTest, RandomKillsNeverLeaveTornObjectsOrStrayFiles) {
  testing::TempDir dir;
  std::mt19937 rng(20240601);
  Checked totals;
  constexpr int kKills = 30;
  for (int i = 0; i < kKills; ++i) {
    auto run_for = std::chrono::microseconds(rng() % 60000);
    RunAndKill(dir.path(), static_cast<uint64_t>(i) + 1, run_for);
    if (HasFatalFailure()) return;
    CheckStore(dir.path(), totals);
    if (HasFatalFailure() || HasFailure()) {
      ADD_FAILURE() << "after kill " << i << " (" << run_for.count() << " us into the workload)";
      return;
    }
  }
  // The workload really ran: objects and pending parts survived the kills.
  EXPECT_GT(totals.objects, 0u);
  std::cout << "checked " << totals.objects << " objects and " << totals.pending_parts
            << " pending parts over " << kKills << " kills\n";
}

}  // namespace
}  // namespace trainload::storage
