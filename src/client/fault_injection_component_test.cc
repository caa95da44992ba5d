// The client never delivers a wrong byte under faults. A FaultProxy sits between the client and
// an in-process trainload server and fails requests on purpose (503 SlowDown, 500, connection
// resets, stalls, truncated bodies, flipped bytes); a second, direct client sets up and checks
// the server's state. The tests prove that:
// - transient faults are retried into exactly the right bytes for every operation (Get,
//   GetRange, Download, OpenReader, Put, Upload, List, DeleteMany), and at least one fault of
//   each kind really happened, so no test passes vacuously;
// - permanent faults fail with an error naming the operation, bucket and key and saying that
//   retries ran out, and a failed Download leaves neither the file nor a temp file;
// - a corrupted byte on a checksummed path (full GET, Download) is caught, never delivered;
// - an object replaced between the parts of a Download or OpenReader is reported as changed
//   (kAborted, PreconditionFailed), never delivered as a mix of two versions.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "client/fault_proxy_testing.h"
#include "client/test_data_testing.h"
#include "client/test_server_testing.h"
#include "trainload/client.h"

namespace trainload {
namespace {

using client::FaultCounts;
using client::FaultPolicy;
using client::FaultProxy;
using client::ProxiedRequest;

constexpr int kMaxAttempts = 10;

using test_support::Listing;
using test_support::Pattern;
using test_support::ReadFile;
using test_support::WriteFile;

std::span<const std::byte> Bytes(const std::string& s) { return test_support::AsBytes(s); }

// Transient faults at about 11% of requests, every kind represented.
FaultPolicy Transient(uint64_t seed) {
  FaultPolicy policy;
  policy.seed = seed;
  policy.slow_down = 0.025;
  policy.internal_error = 0.02;
  policy.reset = 0.03;
  policy.stall = 0.003;
  policy.truncate = 0.03;
  return policy;
}

bool IsRangedGet(const ProxiedRequest& r) {
  return r.method == "GET" && !r.Header("range").empty();
}
bool IsWholeGet(const ProxiedRequest& r) {
  // A GET of an object (not a bucket listing: the target has a key after the bucket).
  return r.method == "GET" && r.Header("range").empty() &&
         r.target.find('/', 1) != std::string::npos;
}

// Retries ran out: the message says so (the attempt limit, or the shared retry budget).
bool SaysRetriesExhausted(const Status& status) {
  const std::string& m = status.message();
  return m.find("giving up after " + std::to_string(kMaxAttempts) + " attempts") !=
             std::string::npos ||
         m.find("retry budget exhausted") != std::string::npos;
}

class FaultInjectionTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto server = test_support::TestServer::Start();
    ASSERT_TRUE(server.has_value()) << server.error().ToString();
    server_ = std::move(*server).release();
    dir_ = server_->dir();
    auto proxy = FaultProxy::Start("127.0.0.1", server_->port(), FaultPolicy());
    ASSERT_TRUE(proxy.has_value()) << proxy.error().ToString();
    proxy_ = std::move(*proxy).release();
  }
  static void TearDownTestSuite() {
    std::fprintf(stderr, "fault injection totals: %s\n", totals_.ToString().c_str());
    delete proxy_;
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(proxy_, nullptr);
    proxy_->SetPolicy(FaultPolicy());
    proxy_->ResetCounts();
    direct_ = MakeClient(server_->url());
    faulty_ = MakeClient(proxy_->url());
    bucket_ = "faults-" + std::to_string(++bucket_counter_);
    ASSERT_TRUE(direct_->CreateBucket(bucket_).ok());
    work_ = dir_ / ("work-" + std::to_string(bucket_counter_));
    std::filesystem::create_directories(work_);
  }

  void TearDown() override {
    proxy_->SetPolicy(FaultPolicy());
    FaultCounts c = proxy_->counts();
    std::fprintf(stderr, "  %s: %s\n",
                 testing::UnitTest::GetInstance()->current_test_info()->name(),
                 c.ToString().c_str());
    totals_.requests += c.requests;
    totals_.passed += c.passed;
    totals_.slow_down += c.slow_down;
    totals_.internal_error += c.internal_error;
    totals_.reset += c.reset;
    totals_.stall += c.stall;
    totals_.truncate += c.truncate;
    totals_.corrupt += c.corrupt;
  }

  static std::unique_ptr<Client> MakeClient(const std::string& endpoint) {
    ClientOptions options = server_->client_options();
    options.endpoint = endpoint;
    options.part_size = 1 << 20;
    options.first_part_size = 256 << 10;
    options.max_connections = 8;
    options.max_memory = 32 << 20;
    options.max_attempts = kMaxAttempts;
    options.backoff_base = std::chrono::milliseconds(1);
    options.backoff_max = std::chrono::milliseconds(20);
    options.stall_timeout = std::chrono::seconds(1);
    auto client = Client::Create(options);
    EXPECT_TRUE(client.has_value()) << client.error().ToString();
    return client.has_value() ? std::move(*client) : nullptr;
  }

  void PutDirect(const std::string& key, const std::string& data) {
    auto put = direct_->Put(bucket_, key, Bytes(data));
    ASSERT_TRUE(put.has_value()) << put.error().ToString();
  }

  // Nothing under `path`, and no temp file of a download beside it.
  void ExpectNoDownloadLeftovers(const std::filesystem::path& path) {
    EXPECT_FALSE(std::filesystem::exists(path)) << path;
    for (const auto& entry : std::filesystem::directory_iterator(path.parent_path())) {
      EXPECT_EQ(entry.path().filename().string().find(".trainload-"), std::string::npos)
          << "temp file left behind: " << entry.path();
    }
  }

  // Every read of `reader` in odd-sized pieces; the error, if one ends it.
  static Status ReadAll(ObjectReader& reader, std::string& out, size_t piece = 300'001) {
    std::vector<std::byte> buffer(piece);
    for (int i = 0; i < 100'000; ++i) {
      auto n = reader.Read(buffer);
      if (!n.has_value()) return n.error();
      if (*n == 0) return Status::Ok();
      out.append(reinterpret_cast<const char*>(buffer.data()), *n);
    }
    return Internal("reader did not end");
  }

  static inline std::filesystem::path dir_;
  static inline test_support::TestServer* server_ = nullptr;
  static inline FaultProxy* proxy_ = nullptr;
  static inline int bucket_counter_ = 0;
  static inline FaultCounts totals_;
  std::unique_ptr<Client> direct_;
  std::unique_ptr<Client> faulty_;
  std::string bucket_;
  std::filesystem::path work_;
};

// --- Transient faults: every operation retries into exactly the right bytes. ---

TEST_F(FaultInjectionTest, PutGetAndDeleteManyAreExactUnderTransientFaults) {
  proxy_->SetPolicy(Transient(101));
  std::mt19937_64 rng(7);
  std::vector<std::string> keys;
  std::vector<std::string> contents;
  for (int i = 0; i < 400; ++i) {
    size_t size = i % 50 == 0 ? 0 : rng() % (96 << 10);
    keys.push_back("obj/" + std::to_string(i));
    contents.push_back(Pattern(size, 1000 + i));
    auto put = faulty_->Put(bucket_, keys.back(), Bytes(contents.back()));
    ASSERT_TRUE(put.has_value()) << keys.back() << ": " << put.error().ToString();
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    auto got = faulty_->Get(bucket_, keys[i]);
    ASSERT_TRUE(got.has_value()) << keys[i] << ": " << got.error().ToString();
    ASSERT_TRUE(*got == contents[i]) << keys[i] << ": wrong bytes through the proxy";
    auto stored = direct_->Get(bucket_, keys[i]);
    ASSERT_TRUE(stored.has_value()) << stored.error().ToString();
    ASSERT_TRUE(*stored == contents[i]) << keys[i] << ": wrong bytes stored";
  }
  auto failed = faulty_->DeleteMany(bucket_, keys);
  ASSERT_TRUE(failed.has_value()) << failed.error().ToString();
  EXPECT_TRUE(failed->empty());
  auto page = direct_->List(bucket_, Listing("obj/"));
  ASSERT_TRUE(page.has_value()) << page.error().ToString();
  EXPECT_TRUE(page->objects.empty());

  FaultCounts c = proxy_->counts();
  EXPECT_GE(c.requests, 800u);
  EXPECT_GT(c.slow_down, 0u);
  EXPECT_GT(c.internal_error, 0u);
  EXPECT_GT(c.reset, 0u);
  EXPECT_GT(c.truncate, 0u);
}

TEST_F(FaultInjectionTest, GetRangeIsExactUnderTransientFaults) {
  const std::string data = Pattern((3 << 20) + 333, 11);
  PutDirect("ranged", data);
  proxy_->SetPolicy(Transient(202));
  std::mt19937_64 rng(12);
  for (int i = 0; i < 600; ++i) {
    uint64_t first = rng() % data.size();
    uint64_t length = 1 + rng() % std::min<uint64_t>(data.size() - first, 200 << 10);
    ByteRange range{first, first + length - 1};
    std::vector<std::byte> buffer(length);
    auto n = faulty_->GetRange(bucket_, "ranged", range, buffer);
    ASSERT_TRUE(n.has_value()) << n.error().ToString();
    ASSERT_EQ(*n, length);
    ASSERT_EQ(std::memcmp(buffer.data(), data.data() + first, length), 0)
        << "range " << range.first << "-" << range.last;
  }
  FaultCounts c = proxy_->counts();
  EXPECT_GE(c.requests, 600u);
  EXPECT_GT(c.reset + c.truncate, 0u);
  EXPECT_GT(c.slow_down + c.internal_error, 0u);
}

TEST_F(FaultInjectionTest, DownloadIsExactUnderTransientFaults) {
  // Many 1 MiB parts per object, and small objects fetched with one GET (size_hint).
  std::vector<std::string> big;
  for (int i = 0; i < 6; ++i) {
    big.push_back(Pattern((5 << 20) + 4321 * i, 20 + i));
    PutDirect("big/" + std::to_string(i), big.back());
  }
  std::vector<std::string> small;
  for (int i = 0; i < 60; ++i) {
    small.push_back(Pattern(1 + 997 * i, 40 + i));
    PutDirect("small/" + std::to_string(i), small.back());
  }
  proxy_->SetPolicy(Transient(303));
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 0; i < big.size(); ++i) {
      auto path = work_ / ("big-" + std::to_string(i));
      uint64_t progress = 0;
      GetOptions options;
      options.progress = [&](uint64_t n) { progress += n; };
      auto info = faulty_->Download(bucket_, "big/" + std::to_string(i), path.string(), options);
      ASSERT_TRUE(info.has_value()) << info.error().ToString();
      ASSERT_TRUE(ReadFile(path) == big[i]) << path << ": wrong bytes";
      EXPECT_EQ(progress, big[i].size()) << "progress must count each byte once, retries or not";
      std::filesystem::remove(path);
    }
  }
  for (size_t i = 0; i < small.size(); ++i) {
    auto path = work_ / ("small-" + std::to_string(i));
    uint64_t progress = 0;
    GetOptions options;
    options.size_hint = small[i].size();
    options.progress = [&](uint64_t n) { progress += n; };
    auto info = faulty_->Download(bucket_, "small/" + std::to_string(i), path.string(), options);
    ASSERT_TRUE(info.has_value()) << info.error().ToString();
    ASSERT_TRUE(ReadFile(path) == small[i]) << path << ": wrong bytes";
    EXPECT_EQ(progress, small[i].size());
  }
  for (const auto& entry : std::filesystem::directory_iterator(work_)) {
    EXPECT_EQ(entry.path().filename().string().find(".trainload-"), std::string::npos)
        << entry.path();
  }
  FaultCounts c = proxy_->counts();
  EXPECT_GE(c.requests, 170u);
  EXPECT_GT(c.Faults(), 0u);
}

TEST_F(FaultInjectionTest, ReaderIsExactUnderTransientFaults) {
  const std::string data = Pattern((7 << 20) + 77, 30);
  PutDirect("stream", data);
  proxy_->SetPolicy(Transient(404));
  for (int round = 0; round < 12; ++round) {
    auto reader = faulty_->OpenReader(bucket_, "stream");
    ASSERT_TRUE(reader.has_value()) << reader.error().ToString();
    std::string got;
    Status status = ReadAll(**reader, got, 100'000 + 77'777 * round);
    ASSERT_TRUE(status.ok()) << status.ToString();
    ASSERT_TRUE(got == data) << "round " << round << ": wrong bytes";
  }
  FaultCounts c = proxy_->counts();
  EXPECT_GE(c.requests, 100u);
  EXPECT_GT(c.Faults(), 0u);
}

TEST_F(FaultInjectionTest, UploadIsExactUnderTransientFaults) {
  // Files over 5 MiB go up as multipart uploads (5 MiB parts), smaller ones as one PUT.
  FaultPolicy policy = Transient(505);
  policy.slow_down = policy.internal_error = policy.reset = policy.truncate = 0.05;
  proxy_->SetPolicy(policy);
  for (int i = 0; i < 6; ++i) {
    std::string data = Pattern((11 << 20) + 1234 * i, 50 + i);
    auto path = work_ / ("up-" + std::to_string(i));
    WriteFile(path, data);
    std::string key = "up/" + std::to_string(i);
    auto put = faulty_->Upload(bucket_, key, path.string());
    ASSERT_TRUE(put.has_value()) << put.error().ToString();
    auto stored = direct_->Get(bucket_, key);
    ASSERT_TRUE(stored.has_value()) << stored.error().ToString();
    ASSERT_TRUE(*stored == data) << key << ": wrong bytes stored";
  }
  for (int i = 0; i < 30; ++i) {
    std::string data = Pattern(3000 * i, 60 + i);
    auto path = work_ / ("small-up-" + std::to_string(i));
    WriteFile(path, data);
    std::string key = "small-up/" + std::to_string(i);
    auto put = faulty_->Upload(bucket_, key, path.string());
    ASSERT_TRUE(put.has_value()) << put.error().ToString();
    EXPECT_EQ(direct_->Get(bucket_, key).value_or("<error>"), data) << key;
  }
  FaultCounts c = proxy_->counts();
  EXPECT_GE(c.requests, 60u);
  EXPECT_GT(c.Faults(), 0u);
}

TEST_F(FaultInjectionTest, UploadWhoseCompleteResponseIsLostStillSucceeds) {
  // The server commits the object, then the connection is reset before the response: the retry
  // finds the upload gone (NoSuchUpload) and must recognise its own object by its ETag.
  std::string data = Pattern((11 << 20) + 7, 58);
  auto path = work_ / "lost-complete.bin";
  WriteFile(path, data);
  FaultPolicy policy;
  policy.reset = 1.0;
  policy.max_faults = 1;
  policy.eligible = [](const ProxiedRequest& r) {
    return r.method == "POST" && r.target.find("uploadId=") != std::string::npos;
  };
  proxy_->SetPolicy(policy);
  auto put = faulty_->Upload(bucket_, "lost-complete", path.string());
  ASSERT_TRUE(put.has_value()) << put.error().ToString();
  EXPECT_EQ(proxy_->counts().reset, 1u);
  auto head = direct_->Head(bucket_, "lost-complete");
  ASSERT_TRUE(head.has_value()) << head.error().ToString();
  EXPECT_EQ(head->etag, put->etag);
  EXPECT_TRUE(direct_->Get(bucket_, "lost-complete").value_or("") == data);
}

TEST_F(FaultInjectionTest, ListingIsCompleteUnderTransientFaults) {
  std::vector<std::string> keys;
  for (int i = 0; i < 500; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "l/%d/k%04d", i % 5, i);
    keys.push_back(name);
    PutDirect(name, "x");
  }
  std::sort(keys.begin(), keys.end());
  proxy_->SetPolicy(Transient(606));
  for (int round = 0; round < 12; ++round) {
    std::vector<std::string> listed;
    ListOptions options;
    options.max_keys = 40;
    Status status = faulty_->ListAll(bucket_, options, [&](const ListPage& page) {
      for (const ObjectInfo& o : page.objects) listed.push_back(o.key);
      return true;
    });
    ASSERT_TRUE(status.ok()) << status.ToString();
    ASSERT_EQ(listed, keys) << "round " << round;
    auto delimited = faulty_->List(bucket_, Listing("l/", "/"));
    ASSERT_TRUE(delimited.has_value()) << delimited.error().ToString();
    EXPECT_EQ(delimited->common_prefixes,
              (std::vector<std::string>{"l/0/", "l/1/", "l/2/", "l/3/", "l/4/"}));
  }
  FaultCounts c = proxy_->counts();
  EXPECT_GE(c.requests, 12u * 14);
  EXPECT_GT(c.Faults(), 0u);
}

TEST_F(FaultInjectionTest, StalledResponsesAreAbandonedAndRetried) {
  const std::string data = Pattern(600 << 10, 70);
  PutDirect("stalls", data);
  // The head arrives, then nothing: the first two attempts stall, the third passes.
  FaultPolicy policy;
  policy.stall = 1.0;
  policy.max_faults = 2;
  policy.cut_after = 0;
  policy.stall_for = std::chrono::milliseconds(30'000);
  proxy_->SetPolicy(policy);
  auto start = std::chrono::steady_clock::now();
  auto got = faulty_->Get(bucket_, "stalls");
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  EXPECT_TRUE(*got == data);
  EXPECT_EQ(proxy_->counts().stall, 2u);
  // Each stall costs about the client's 1 s stall timeout, not the proxy's 30 s.
  EXPECT_LT(elapsed, std::chrono::seconds(8));

  // A stall after a burst of bytes is noticed too, though later: libcurl averages the transfer
  // speed over its last few seconds before comparing it with the stall limit.
  policy.max_faults = 1;
  policy.cut_after = 300 << 10;
  proxy_->SetPolicy(policy);
  proxy_->ResetCounts();
  start = std::chrono::steady_clock::now();
  got = faulty_->Get(bucket_, "stalls");
  elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  EXPECT_TRUE(*got == data);
  EXPECT_EQ(proxy_->counts().stall, 1u);
  EXPECT_LT(elapsed, std::chrono::seconds(12));
  std::fprintf(stderr, "  a stall after a 300 KiB burst was abandoned after %lld ms\n",
               static_cast<long long>(
                   std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()));
}

// --- Permanent faults: a clear error, and nothing left behind. ---

TEST_F(FaultInjectionTest, PermanentSlowDownFailsWithAClearError) {
  PutDirect("k", "data");
  FaultPolicy policy;
  policy.slow_down = 1.0;
  proxy_->SetPolicy(policy);

  auto get = faulty_->Get(bucket_, "k");
  ASSERT_FALSE(get.has_value());
  EXPECT_EQ(get.error().reason(), "SlowDown");
  EXPECT_NE(get.error().message().find("GetObject s3://" + bucket_ + "/k"), std::string::npos)
      << get.error().ToString();
  EXPECT_TRUE(SaysRetriesExhausted(get.error())) << get.error().ToString();

  auto head = faulty_->Head(bucket_, "k");
  ASSERT_FALSE(head.has_value());
  EXPECT_EQ(head.error().reason(), "SlowDown");
  EXPECT_NE(head.error().message().find("HeadObject s3://" + bucket_ + "/k"), std::string::npos)
      << head.error().ToString();
  EXPECT_TRUE(SaysRetriesExhausted(head.error())) << head.error().ToString();

  auto put = faulty_->Put(bucket_, "new", Bytes(std::string("v")));
  ASSERT_FALSE(put.has_value());
  EXPECT_NE(put.error().message().find("PutObject s3://" + bucket_ + "/new"), std::string::npos)
      << put.error().ToString();
  EXPECT_TRUE(SaysRetriesExhausted(put.error())) << put.error().ToString();

  auto list = faulty_->List(bucket_, ListOptions{});
  ASSERT_FALSE(list.has_value());
  EXPECT_NE(list.error().message().find("ListObjectsV2 s3://" + bucket_), std::string::npos)
      << list.error().ToString();
  EXPECT_TRUE(SaysRetriesExhausted(list.error())) << list.error().ToString();
  EXPECT_EQ(proxy_->counts().slow_down, 4u * kMaxAttempts);
}

TEST_F(FaultInjectionTest, PermanentResetsFailEveryOperationAndLeaveNoFile) {
  const std::string data = Pattern(3 << 20, 80);
  PutDirect("obj", data);
  FaultPolicy policy;
  policy.reset = 1.0;
  proxy_->SetPolicy(policy);

  auto get = faulty_->Get(bucket_, "obj");
  ASSERT_FALSE(get.has_value());
  EXPECT_EQ(get.error().code(), StatusCode::kUnavailable) << get.error().ToString();
  EXPECT_NE(get.error().message().find("GetObject s3://" + bucket_ + "/obj"), std::string::npos)
      << get.error().ToString();
  EXPECT_TRUE(SaysRetriesExhausted(get.error())) << get.error().ToString();

  auto path = work_ / "obj.bin";
  auto download = faulty_->Download(bucket_, "obj", path.string());
  ASSERT_FALSE(download.has_value());
  EXPECT_NE(download.error().message().find("s3://" + bucket_ + "/obj"), std::string::npos)
      << download.error().ToString();
  EXPECT_TRUE(SaysRetriesExhausted(download.error())) << download.error().ToString();
  ExpectNoDownloadLeftovers(path);

  GetOptions hinted;
  hinted.size_hint = 10;  // the one-GET path, which creates its temp file first
  auto small = faulty_->Download(bucket_, "obj", path.string(), hinted);
  ASSERT_FALSE(small.has_value());
  EXPECT_TRUE(SaysRetriesExhausted(small.error())) << small.error().ToString();
  ExpectNoDownloadLeftovers(path);

  auto put = faulty_->Put(bucket_, "obj", Bytes(std::string("replacement")));
  ASSERT_FALSE(put.has_value());
  EXPECT_TRUE(SaysRetriesExhausted(put.error())) << put.error().ToString();
  // The reset came after the server answered: the object may be replaced, never torn.
  auto stored = direct_->Get(bucket_, "obj");
  ASSERT_TRUE(stored.has_value());
  EXPECT_TRUE(*stored == data || *stored == "replacement");
}

TEST_F(FaultInjectionTest, PartGetsThatAlwaysFailLeaveNoFileAndEndTheReader) {
  // HEAD passes, every ranged part GET is reset: the download has created its temp file.
  const std::string data = Pattern((4 << 20) + 5, 90);
  PutDirect("parts", data);
  FaultPolicy policy;
  policy.reset = 1.0;
  policy.eligible = IsRangedGet;
  proxy_->SetPolicy(policy);

  auto path = work_ / "parts.bin";
  auto download = faulty_->Download(bucket_, "parts", path.string());
  ASSERT_FALSE(download.has_value());
  EXPECT_EQ(download.error().code(), StatusCode::kUnavailable) << download.error().ToString();
  EXPECT_NE(download.error().message().find("GetObject s3://" + bucket_ + "/parts"),
            std::string::npos)
      << download.error().ToString();
  EXPECT_TRUE(SaysRetriesExhausted(download.error())) << download.error().ToString();
  ExpectNoDownloadLeftovers(path);

  auto reader = faulty_->OpenReader(bucket_, "parts");
  ASSERT_TRUE(reader.has_value()) << reader.error().ToString();
  std::string got;
  Status status = ReadAll(**reader, got);
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(got.empty());
  EXPECT_NE(status.message().find("GetObject s3://" + bucket_ + "/parts"), std::string::npos)
      << status.ToString();
  EXPECT_TRUE(SaysRetriesExhausted(status)) << status.ToString();
}

TEST_F(FaultInjectionTest, MultipartUploadWhosePartsAlwaysFailLeavesNoObject) {
  std::string data = Pattern((11 << 20) + 3, 95);
  auto path = work_ / "up.bin";
  WriteFile(path, data);
  FaultPolicy policy;
  policy.internal_error = 1.0;
  policy.eligible = [](const ProxiedRequest& r) {
    return r.method == "PUT" && r.target.find("partNumber=") != std::string::npos;
  };
  proxy_->SetPolicy(policy);
  auto put = faulty_->Upload(bucket_, "up", path.string());
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error().reason(), "InternalError") << put.error().ToString();
  EXPECT_NE(put.error().message().find("s3://" + bucket_ + "/up"), std::string::npos)
      << put.error().ToString();
  EXPECT_TRUE(SaysRetriesExhausted(put.error())) << put.error().ToString();
  auto head = direct_->Head(bucket_, "up");
  ASSERT_FALSE(head.has_value());
  EXPECT_EQ(head.error().reason(), "NoSuchKey");
}

// --- Corruption: caught where the server returns a checksum, never delivered. ---

TEST_F(FaultInjectionTest, CorruptedWholeObjectGetsAreCaughtOrRetried) {
  std::vector<std::string> data;
  for (int i = 0; i < 60; ++i) {
    data.push_back(Pattern(1 + 4099 * i, 100 + i));
    PutDirect("c/" + std::to_string(i), data.back());
  }
  FaultPolicy policy;
  policy.seed = 707;
  policy.corrupt = 0.4;
  policy.eligible = IsWholeGet;
  proxy_->SetPolicy(policy);
  int exact = 0, caught = 0;
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 0; i < data.size(); ++i) {
      auto got = faulty_->Get(bucket_, "c/" + std::to_string(i));
      if (got.has_value()) {
        ASSERT_TRUE(*got == data[i]) << "a corrupted body was delivered: c/" << i;
        ++exact;
      } else {
        ASSERT_EQ(got.error().code(), StatusCode::kDataLoss) << got.error().ToString();
        ++caught;
      }
    }
  }
  EXPECT_GT(proxy_->counts().corrupt, 20u);
  EXPECT_GT(exact, 0);
  std::fprintf(stderr, "  corrupted GETs: %d delivered exact after retries, %d DataLoss\n", exact,
               caught);

  // Corrupted every time: Get gives up with DataLoss naming the object.
  policy.corrupt = 1.0;
  proxy_->SetPolicy(policy);
  auto always = faulty_->Get(bucket_, "c/5");
  ASSERT_FALSE(always.has_value());
  EXPECT_EQ(always.error().code(), StatusCode::kDataLoss);
  EXPECT_NE(always.error().message().find("GetObject s3://" + bucket_ + "/c/5"), std::string::npos)
      << always.error().ToString();
}

TEST_F(FaultInjectionTest, CorruptedDownloadsAreCaughtAndLeaveNoFile) {
  const std::string big = Pattern((3 << 20) + 99, 120);
  PutDirect("big", big);
  const std::string small = Pattern(70'000, 121);
  PutDirect("small", small);

  // One flipped byte in one part of a ranged download: the combined CRC64NVME catches it.
  FaultPolicy policy;
  policy.corrupt = 1.0;
  policy.max_faults = 1;
  policy.eligible = IsRangedGet;
  proxy_->SetPolicy(policy);
  auto path = work_ / "big.bin";
  auto download = faulty_->Download(bucket_, "big", path.string());
  ASSERT_FALSE(download.has_value()) << "a corrupted download was delivered";
  EXPECT_EQ(download.error().code(), StatusCode::kDataLoss) << download.error().ToString();
  EXPECT_NE(download.error().message().find("s3://" + bucket_ + "/big"), std::string::npos);
  EXPECT_EQ(proxy_->counts().corrupt, 1u);
  ExpectNoDownloadLeftovers(path);

  // The one-GET path checks the full-object checksum as the bytes stream to disk.
  policy.eligible = IsWholeGet;
  policy.max_faults = 0;
  proxy_->SetPolicy(policy);
  GetOptions hinted;
  hinted.size_hint = small.size();
  auto small_path = work_ / "small.bin";
  auto one_get = faulty_->Download(bucket_, "small", small_path.string(), hinted);
  ASSERT_FALSE(one_get.has_value()) << "a corrupted download was delivered";
  EXPECT_EQ(one_get.error().code(), StatusCode::kDataLoss) << one_get.error().ToString();
  ExpectNoDownloadLeftovers(small_path);

  // Occasional corruption: every download either is exact or reports DataLoss.
  policy.corrupt = 0.1;
  policy.eligible = nullptr;
  proxy_->SetPolicy(policy);
  for (int i = 0; i < 10; ++i) {
    auto result = faulty_->Download(bucket_, "big", path.string());
    if (result.has_value()) {
      ASSERT_TRUE(ReadFile(path) == big) << "a corrupted download was delivered";
      std::filesystem::remove(path);
    } else {
      ASSERT_EQ(result.error().code(), StatusCode::kDataLoss) << result.error().ToString();
      ExpectNoDownloadLeftovers(path);
    }
  }
}

// --- An object replaced between parts: reported as changed, never mixed. ---

// Replaces bucket/key with `replacement` (through the direct client) just before the proxy
// forwards the `at`-th ranged GET of that key, once.
FaultPolicy ReplaceBeforePart(Client& direct, std::string bucket, std::string key,
                              const std::string& replacement, int at,
                              std::shared_ptr<std::atomic<int>> seen) {
  FaultPolicy policy = Transient(808);
  policy.on_request = [&direct, bucket, key, &replacement, at,
                       seen](const ProxiedRequest& request) {
    if (!IsRangedGet(request) || request.target.find("/" + key) == std::string::npos) return;
    if (seen->fetch_add(1) + 1 == at) {
      auto put = direct.Put(bucket, key, Bytes(replacement));
      EXPECT_TRUE(put.has_value()) << put.error().ToString();
    }
  };
  return policy;
}

TEST_F(FaultInjectionTest, ObjectReplacedDuringADownloadIsReportedNotMixed) {
  const std::string v1 = Pattern(8 << 20, 130), v2 = Pattern(8 << 20, 131);
  PutDirect("changing", v1);
  auto seen = std::make_shared<std::atomic<int>>(0);
  proxy_->SetPolicy(ReplaceBeforePart(*direct_, bucket_, "changing", v2, 3, seen));
  auto path = work_ / "changing.bin";
  auto download = faulty_->Download(bucket_, "changing", path.string());
  ASSERT_FALSE(download.has_value()) << "a download spanning two versions succeeded";
  EXPECT_EQ(download.error().code(), StatusCode::kAborted) << download.error().ToString();
  EXPECT_EQ(download.error().reason(), "PreconditionFailed");
  EXPECT_NE(download.error().message().find("changed"), std::string::npos)
      << download.error().ToString();
  ExpectNoDownloadLeftovers(path);
  EXPECT_GE(seen->load(), 3);

  // Downloaded again, it is the new version, whole.
  proxy_->SetPolicy(Transient(809));
  auto again = faulty_->Download(bucket_, "changing", path.string());
  ASSERT_TRUE(again.has_value()) << again.error().ToString();
  EXPECT_TRUE(ReadFile(path) == v2);
}

TEST_F(FaultInjectionTest, ObjectReplacedDuringAReaderIsReportedNotMixed) {
  const std::string v1 = Pattern(8 << 20, 140), v2 = Pattern(8 << 20, 141);
  PutDirect("changing", v1);
  auto seen = std::make_shared<std::atomic<int>>(0);
  proxy_->SetPolicy(ReplaceBeforePart(*direct_, bucket_, "changing", v2, 3, seen));
  auto reader = faulty_->OpenReader(bucket_, "changing");
  ASSERT_TRUE(reader.has_value()) << reader.error().ToString();
  std::string got;
  Status status = ReadAll(**reader, got, 123'457);
  ASSERT_FALSE(status.ok()) << "a read spanning two versions succeeded";
  EXPECT_EQ(status.code(), StatusCode::kAborted) << status.ToString();
  EXPECT_EQ(status.reason(), "PreconditionFailed");
  EXPECT_LT(got.size(), v1.size());
  EXPECT_EQ(v1.compare(0, got.size(), got), 0) << "bytes of the new version were mixed in";
}

}  // namespace
}  // namespace trainload
