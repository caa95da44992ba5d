// The client against s3rver (npm `s3rver` 3.x), an S3 implementation written independently of
// trainload, so that the client is not only ever checked against the server it was built with.
// The operations of s3_client_component_test run here too and must return exactly the stored
// bytes. s3rver keeps no checksums and ignores several S3 features (docs/client.md, "Tested
// against"): the tests assert only what s3rver implements, and that the client still works
// without what it lacks (no stored checksum: nothing to verify).
//
// s3rver is installed by `./trainload.sh build` into tests/s3rver/node_modules (npm ci). When
// node or s3rver is missing the suite fails, saying how to install it; it never skips.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "client/test_data_testing.h"
#include "trainload/client.h"

namespace trainload {
namespace {

// s3rver's built-in account.
constexpr const char* kAccessKey = "S3RVER";
constexpr const char* kSecretKey = "S3RVER";

using test_support::Listing;
using test_support::Pattern;
using test_support::ReadFile;

std::span<const std::byte> Bytes(const std::string& s) { return test_support::AsBytes(s); }

// The repository root, from the build (a compiler launcher such as ccache may make __FILE__
// relative).
std::filesystem::path RepoRoot() { return TRAINLOAD_SOURCE_DIR; }

// The first executable `name` on PATH, or "".
std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string_view rest = path != nullptr ? path : "";
  while (!rest.empty()) {
    size_t colon = rest.find(':');
    std::filesystem::path candidate = std::filesystem::path(rest.substr(0, colon)) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    rest = colon == std::string_view::npos ? "" : rest.substr(colon + 1);
  }
  return {};
}

// A running s3rver on 127.0.0.1 and an ephemeral port, stopped on destruction.
class S3rverProcess {
 public:
  static Result<std::unique_ptr<S3rverProcess>> Start(const std::filesystem::path& data_dir) {
    std::string node = FindOnPath("node");
    if (node.empty()) {
      return Error(FailedPrecondition(
          "node is not installed: install nodejs and npm (./trainload.sh build does)"));
    }
    std::filesystem::path script = RepoRoot() / "tests/s3rver/node_modules/.bin/s3rver";
    if (!std::filesystem::exists(script)) {
      return Error(FailedPrecondition(script.string() + " is missing: run `npm ci` in tests/s3rver "
                                                        "(./trainload.sh build does)"));
    }
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return Error(ErrnoStatus("pipe", errno));
    std::string dir = data_dir.string();
    pid_t pid = ::fork();
    if (pid < 0) return Error(ErrnoStatus("fork", errno));
    if (pid == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      ::dup2(out[1], STDERR_FILENO);
      // The port is chosen by the kernel (-p 0); s3rver prints it on its listening line.
      // s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node 17
      // and later) offers only through its legacy provider.
      const char* argv[] = {node.c_str(),
                            "--openssl-legacy-provider",
                            script.c_str(),
                            "--directory",
                            dir.c_str(),
                            "--address",
                            "127.0.0.1",
                            "--port",
                            "0",
                            "--silent",
                            nullptr};
      ::execv(node.c_str(), const_cast<char* const*>(argv));
      ::_exit(127);
    }
    ::close(out[1]);
    std::unique_ptr<S3rverProcess> process(new S3rverProcess(pid, out[0]));
    TL_RETURN_IF_ERROR(process->WaitForPort());
    return process;
  }

  ~S3rverProcess() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    if (drain_.joinable()) drain_.join();
    ::close(out_fd_);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  S3rverProcess(pid_t pid, int out_fd) : pid_(pid), out_fd_(out_fd) {}

  Status WaitForPort() {
    constexpr std::string_view kListening = "S3rver listening on 127.0.0.1:";
    std::string output;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{out_fd_, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      char buffer[4096];
      ssize_t n = ::read(out_fd_, buffer, sizeof buffer);
      if (n <= 0) break;
      output.append(buffer, static_cast<size_t>(n));
      size_t at = output.find(kListening);
      if (at != std::string::npos && output.find('\n', at) != std::string::npos) {
        port_ = std::atoi(output.c_str() + at + kListening.size());
        // Keep reading so s3rver never blocks on a full pipe.
        drain_ = std::thread([fd = out_fd_] {
          char sink[4096];
          while (::read(fd, sink, sizeof sink) > 0) {
          }
        });
        return Status::Ok();
      }
    }
    return Unavailable("s3rver did not report its port within 60 s; its output: " + output);
  }

  const pid_t pid_;
  const int out_fd_;
  int port_ = 0;
  std::thread drain_;
};

class S3rverTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/trainload_s3rver_testXXXXXX";
    dir_ = mkdtemp(tmpl);
    std::filesystem::create_directories(dir_ / "data");
    auto process = S3rverProcess::Start(dir_ / "data");
    if (!process.has_value()) {
      start_error_ = process.error().ToString();
      return;
    }
    s3rver_ = std::move(*process).release();
  }
  static void TearDownTestSuite() {
    delete s3rver_;
    std::filesystem::remove_all(dir_);
  }

  void SetUp() override {
    ASSERT_NE(s3rver_, nullptr) << "cannot start s3rver: " << start_error_;
    ClientOptions options;
    options.endpoint = s3rver_->url();
    options.region = "us-east-1";
    options.credentials = Credentials{kAccessKey, kSecretKey, ""};
    options.part_size = 1 << 20;
    options.first_part_size = 100 * 1024;
    options.max_connections = 8;
    options.max_memory = 32 << 20;
    options.backoff_base = std::chrono::milliseconds(1);
    auto client = Client::Create(options);
    ASSERT_TRUE(client.has_value()) << client.error().ToString();
    client_ = std::move(*client);
    bucket_ = "s3rver-" + std::to_string(++bucket_counter_);
    Status created = client_->CreateBucket(bucket_);
    ASSERT_TRUE(created.ok()) << created.ToString();
  }

  std::string Put(const std::string& key, const std::string& data) {
    auto put = client_->Put(bucket_, key, Bytes(data));
    EXPECT_TRUE(put.has_value()) << key << ": " << put.error().ToString();
    return put.has_value() ? put->etag : "";
  }

  static inline std::filesystem::path dir_;
  static inline S3rverProcess* s3rver_ = nullptr;
  static inline std::string start_error_;
  static inline int bucket_counter_ = 0;
  std::unique_ptr<Client> client_;
  std::string bucket_;
};

TEST_F(S3rverTest, PutThenGetHeadAndRangesReturnExactBytes) {
  std::string data = Pattern((3 << 20) + 17, 1);
  std::string etag = Put("dir/object.bin", data);
  EXPECT_FALSE(etag.empty());
  auto head = client_->Head(bucket_, "dir/object.bin");
  ASSERT_TRUE(head.has_value()) << head.error().ToString();
  EXPECT_EQ(head->size, data.size());
  EXPECT_EQ(head->etag, etag);
  // s3rver stores no checksum: there is none to report, and reads do not need one.
  EXPECT_EQ(head->checksum, "");

  auto whole = client_->Get(bucket_, "dir/object.bin");
  ASSERT_TRUE(whole.has_value()) << whole.error().ToString();
  EXPECT_TRUE(*whole == data);

  for (ByteRange r : {ByteRange{0, 0}, ByteRange{1, 1000},
                      ByteRange{data.size() - 10, data.size() - 1}, ByteRange{12345, 2'000'000}}) {
    std::vector<std::byte> buffer(r.length());
    auto n = client_->GetRange(bucket_, "dir/object.bin", r, buffer);
    ASSERT_TRUE(n.has_value()) << n.error().ToString();
    ASSERT_EQ(*n, r.length());
    EXPECT_EQ(std::memcmp(buffer.data(), data.data() + r.first, r.length()), 0);
  }

  Put("empty", "");
  EXPECT_EQ(client_->Get(bucket_, "empty").value_or("<error>"), "");
}

TEST_F(S3rverTest, DownloadWritesTheWholeObject) {
  std::string data = Pattern((5 << 20) + 12345, 2);
  Put("big", data);
  auto path = dir_ / "download.bin";
  uint64_t progress = 0;
  GetOptions options;
  options.progress = [&](uint64_t n) { progress += n; };
  auto info = client_->Download(bucket_, "big", path.string(), options);
  ASSERT_TRUE(info.has_value()) << info.error().ToString();
  EXPECT_TRUE(ReadFile(path) == data);
  EXPECT_EQ(progress, data.size());

  // The one-GET path for objects known to be small.
  std::string small = Pattern(50'000, 3);
  Put("small", small);
  GetOptions hinted;
  hinted.size_hint = small.size();
  auto small_path = dir_ / "small.bin";
  auto small_info = client_->Download(bucket_, "small", small_path.string(), hinted);
  ASSERT_TRUE(small_info.has_value()) << small_info.error().ToString();
  EXPECT_TRUE(ReadFile(small_path) == small);

  auto missing_path = dir_ / "missing.bin";
  auto missing = client_->Download(bucket_, "no-such-key", missing_path.string());
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().reason(), "NoSuchKey");
  EXPECT_FALSE(std::filesystem::exists(missing_path));
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    EXPECT_EQ(entry.path().string().find(".trainload-"), std::string::npos) << entry.path();
  }
}

TEST_F(S3rverTest, ReaderStreamsInOrder) {
  std::string data = Pattern((6 << 20) + 777, 4);
  Put("stream", data);
  auto reader = client_->OpenReader(bucket_, "stream");
  ASSERT_TRUE(reader.has_value()) << reader.error().ToString();
  std::string got;
  std::vector<std::byte> buffer(300 * 1000);
  for (int i = 0; i < 1000; ++i) {
    auto n = (*reader)->Read(buffer);
    ASSERT_TRUE(n.has_value()) << n.error().ToString();
    if (*n == 0) break;
    got.append(reinterpret_cast<const char*>(buffer.data()), *n);
  }
  EXPECT_TRUE(got == data);
}

TEST_F(S3rverTest, ListingIsCompleteOrderedAndPaged) {
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "p/%02d/k%04d", i % 7, i);
    keys.push_back(name);
  }
  keys.push_back("a");
  keys.push_back("a/b");
  keys.push_back("top/x");
  for (const std::string& k : keys) Put(k, "x");
  std::sort(keys.begin(), keys.end());

  // Every key exactly once over pages of 40. s3rver orders "a/b" before "a" (it walks its
  // directory tree), so the whole listing is compared as a set; the ordering within p/ below
  // is S3's.
  std::vector<std::string> listed;
  int pages = 0;
  Status status = client_->ListAll(bucket_, Listing("", "", 40), [&](const ListPage& page) {
    ++pages;
    for (const ObjectInfo& o : page.objects) listed.push_back(o.key);
    return true;
  });
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(pages, (303 + 39) / 40);
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(listed, keys);

  // A prefix, paged: complete and in order.
  std::vector<std::string> under;
  status = client_->ListAll(bucket_, Listing("p/", "", 13), [&](const ListPage& page) {
    for (const ObjectInfo& o : page.objects) under.push_back(o.key);
    return true;
  });
  ASSERT_TRUE(status.ok()) << status.ToString();
  std::vector<std::string> expected;
  std::copy_if(keys.begin(), keys.end(), std::back_inserter(expected),
               [](const std::string& k) { return k.starts_with("p/"); });
  EXPECT_EQ(under, expected);

  // Prefix and delimiter: the seven "directories" under p/, nothing else.
  auto page = client_->List(bucket_, Listing("p/", "/"));
  ASSERT_TRUE(page.has_value()) << page.error().ToString();
  EXPECT_TRUE(page->objects.empty());
  EXPECT_EQ(page->common_prefixes, (std::vector<std::string>{"p/00/", "p/01/", "p/02/", "p/03/",
                                                             "p/04/", "p/05/", "p/06/"}));
  // At the top, s3rver reports only the prefixes with an object directly below them ("a/",
  // "top/"), not "p/" whose objects are all deeper: assert what it does report.
  auto top = client_->List(bucket_, Listing("", "/"));
  ASSERT_TRUE(top.has_value()) << top.error().ToString();
  ASSERT_EQ(top->objects.size(), 1u);
  EXPECT_EQ(top->objects[0].key, "a");
  for (const char* prefix : {"a/", "top/"}) {
    EXPECT_NE(std::find(top->common_prefixes.begin(), top->common_prefixes.end(), prefix),
              top->common_prefixes.end())
        << prefix;
  }
}

TEST_F(S3rverTest, DeleteAndDeleteManyAndErrors) {
  std::vector<std::string> keys;
  for (int i = 0; i < 120; ++i) {
    keys.push_back("d/" + std::to_string(i));
    Put(keys.back(), "x");
  }
  keys.push_back("d/never-existed");
  auto failed = client_->DeleteMany(bucket_, keys);
  ASSERT_TRUE(failed.has_value()) << failed.error().ToString();
  EXPECT_TRUE(failed->empty());
  auto page = client_->List(bucket_, Listing("d/"));
  ASSERT_TRUE(page.has_value());
  EXPECT_TRUE(page->objects.empty());

  Put("single", "x");
  EXPECT_TRUE(client_->Delete(bucket_, "single").ok());
  auto gone = client_->Head(bucket_, "single");
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().reason(), "NoSuchKey");
  EXPECT_NE(gone.error().message().find(bucket_), std::string::npos) << gone.error().ToString();
  auto get_gone = client_->Get(bucket_, "single");
  ASSERT_FALSE(get_gone.has_value());
  EXPECT_EQ(get_gone.error().reason(), "NoSuchKey");

  auto no_bucket = client_->Get("no-such-bucket-here", "k");
  ASSERT_FALSE(no_bucket.has_value());
  EXPECT_EQ(no_bucket.error().reason(), "NoSuchBucket");

  auto buckets = client_->ListBuckets();
  ASSERT_TRUE(buckets.has_value()) << buckets.error().ToString();
  EXPECT_TRUE(std::any_of(buckets->begin(), buckets->end(),
                          [&](const BucketInfo& b) { return b.name == bucket_; }));
  EXPECT_TRUE(client_->HeadBucket(bucket_).ok());
}

TEST_F(S3rverTest, KeysWithSpecialCharactersRoundTrip) {
  // Not "a//b": s3rver's router does not match an empty path segment (404 NoSuchKey). Not "."
  // or ".." segments: s3rver maps keys to file paths, so "d/./x" is listed as "d/x" and "../x"
  // lands outside the bucket's directory (readable, never listed).
  std::vector<std::string> keys = {"with space",
                                   "plus+sign",
                                   "percent%41",
                                   "caf\xc3\xa9/\xe4\xb8\xad",
                                   "tilde~star*",
                                   "q?mark#hash",
                                   "semi;colon,comma=equals&amp",
                                   "quote'paren(s)",
                                   "dots.in.names/x.y",
                                   "trailing/"};
  for (const std::string& key : keys) {
    std::string data = "content of " + key;
    Put(key, data);
    auto got = client_->Get(bucket_, key);
    ASSERT_TRUE(got.has_value()) << key << ": " << got.error().ToString();
    EXPECT_EQ(*got, data) << key;
  }
  std::vector<std::string> listed;
  ASSERT_TRUE(client_
                  ->ListAll(bucket_, ListOptions{},
                            [&](const ListPage& page) {
                              for (const ObjectInfo& o : page.objects) listed.push_back(o.key);
                              return true;
                            })
                  .ok());
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(listed, keys);
}

TEST_F(S3rverTest, MultipartUploadAndCopyReturnExactBytes) {
  // Over 5 MiB: a multipart upload of 5 MiB parts.
  std::string data = Pattern((11 << 20) + 99, 5);
  auto path = dir_ / "upload.bin";
  {
    std::ofstream out(path, std::ios::binary);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
  }
  auto uploaded = client_->Upload(bucket_, "multi", path.string());
  ASSERT_TRUE(uploaded.has_value()) << uploaded.error().ToString();
  EXPECT_EQ(uploaded->checksum, "");  // s3rver keeps none
  auto got = client_->Get(bucket_, "multi");
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  EXPECT_TRUE(*got == data);
  auto head = client_->Head(bucket_, "multi");
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->size, data.size());

  auto writer = client_->OpenWriter(bucket_, "streamed");
  ASSERT_TRUE(writer.has_value()) << writer.error().ToString();
  for (size_t at = 0; at < data.size(); at += 777'777) {
    std::string_view piece = std::string_view(data).substr(at, 777'777);
    ASSERT_TRUE((*writer)->Write(std::as_bytes(std::span(piece.data(), piece.size()))).ok());
  }
  auto closed = (*writer)->Close();
  ASSERT_TRUE(closed.has_value()) << closed.error().ToString();
  EXPECT_TRUE(client_->Get(bucket_, "streamed").value_or("") == data);

  auto copied = client_->Copy(bucket_, "multi", bucket_, "copy of multi");
  ASSERT_TRUE(copied.has_value()) << copied.error().ToString();
  auto copy = client_->Get(bucket_, "copy of multi");
  ASSERT_TRUE(copy.has_value()) << copy.error().ToString();
  EXPECT_TRUE(*copy == data);
}

}  // namespace
}  // namespace trainload
