// The client against an in-process trainload server over real sockets: every read path returns
// exactly the stored bytes, listings are complete and ordered, errors carry S3's codes, and an
// object replaced during a read is reported as changed, never mixed.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "client/test_data_testing.h"
#include "client/test_server_testing.h"
#include "trainload/client.h"

namespace trainload {
namespace {

using test_support::Pattern;

std::span<const std::byte> Bytes(const std::string& s) { return test_support::AsBytes(s); }

class ClientComponentTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto server = test_support::TestServer::Start();
    ASSERT_TRUE(server.has_value()) << server.error().ToString();
    server_ = std::move(*server).release();
    dir_ = server_->dir();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    ClientOptions options = server_->client_options();
    options.part_size = 1 << 20;  // many parts even for small test objects
    options.first_part_size = 100 * 1024;
    options.max_connections = 8;
    options.max_memory = 8 << 20;
    auto client = Client::Create(options);
    ASSERT_TRUE(client.has_value()) << client.error().ToString();
    client_ = std::move(*client);
    bucket_ = "bucket-" + std::to_string(++bucket_counter_);
    ASSERT_TRUE(client_->CreateBucket(bucket_).ok());
  }

  std::string Put(const std::string& key, const std::string& data) {
    auto put = client_->Put(bucket_, key, Bytes(data));
    EXPECT_TRUE(put.has_value()) << put.error().ToString();
    return put.has_value() ? put->etag : "";
  }

  static inline std::filesystem::path dir_;
  static inline test_support::TestServer* server_ = nullptr;
  static inline int bucket_counter_ = 0;
  std::unique_ptr<Client> client_;
  std::string bucket_;
};

TEST_F(ClientComponentTest, PutThenGetHeadAndRangesReturnExactBytes) {
  std::string data = Pattern(3 << 20, 1);
  std::string etag = Put("dir/object.bin", data);
  auto head = client_->Head(bucket_, "dir/object.bin");
  ASSERT_TRUE(head.has_value()) << head.error().ToString();
  EXPECT_EQ(head->size, data.size());
  EXPECT_EQ(head->etag, etag);
  EXPECT_EQ(head->checksum_algorithm, "CRC64NVME");

  auto whole = client_->Get(bucket_, "dir/object.bin");
  ASSERT_TRUE(whole.has_value()) << whole.error().ToString();
  EXPECT_TRUE(*whole == data);

  for (ByteRange r : {ByteRange{0, 0}, ByteRange{1, 1000}, ByteRange{(3 << 20) - 10, (3 << 20) - 1},
                      ByteRange{12345, 2000000}}) {
    std::vector<std::byte> buffer(r.length());
    auto n = client_->GetRange(bucket_, "dir/object.bin", r, buffer);
    ASSERT_TRUE(n.has_value()) << n.error().ToString();
    ASSERT_EQ(*n, r.length());
    EXPECT_EQ(std::memcmp(buffer.data(), data.data() + r.first, r.length()), 0);
  }
}

TEST_F(ClientComponentTest, DownloadWritesTheWholeObjectAtomically) {
  std::string data = Pattern((5 << 20) + 12345, 2);
  Put("big", data);
  std::string path = (dir_ / "download.bin").string();
  uint64_t progress = 0;
  GetOptions options;
  options.progress = [&](uint64_t n) { progress += n; };
  auto info = client_->Download(bucket_, "big", path, options);
  ASSERT_TRUE(info.has_value()) << info.error().ToString();
  std::ifstream in(path, std::ios::binary);
  std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(got == data);
  EXPECT_EQ(progress, data.size());

  // A failed download leaves nothing under the final name.
  std::string missing_path = (dir_ / "missing.bin").string();
  auto missing = client_->Download(bucket_, "no-such-key", missing_path);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().reason(), "NoSuchKey");
  EXPECT_FALSE(std::filesystem::exists(missing_path));
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    EXPECT_EQ(entry.path().string().find(".trainload-"), std::string::npos) << entry.path();
  }
}

TEST_F(ClientComponentTest, DownloadRefusesToReplaceAFifoOrDevice) {
  Put("small", "twelve bytes");
  std::string fifo = (dir_ / "fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  GetOptions small;
  small.size_hint = 12;  // the one-GET path too
  for (const GetOptions& options : {GetOptions{}, small}) {
    auto info = client_->Download(bucket_, "small", fifo, options);
    ASSERT_FALSE(info.has_value());
    EXPECT_EQ(info.error().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(info.error().message().find("not a regular file"), std::string::npos)
        << info.error().message();
    struct stat st;
    ASSERT_EQ(::stat(fifo.c_str(), &st), 0);
    EXPECT_TRUE(S_ISFIFO(st.st_mode));
  }
  std::filesystem::remove(fifo);
}

TEST_F(ClientComponentTest, ReaderStreamsInOrderWithinTheMemoryBudget) {
  std::string data = Pattern((6 << 20) + 777, 3);
  Put("stream", data);
  auto reader = client_->OpenReader(bucket_, "stream");
  ASSERT_TRUE(reader.has_value()) << reader.error().ToString();
  std::string got;
  std::vector<std::byte> buffer(300 * 1000);  // odd size: reads straddle parts
  for (int i = 0; i < 1000; ++i) {
    auto n = (*reader)->Read(buffer);
    ASSERT_TRUE(n.has_value()) << n.error().ToString();
    if (*n == 0) break;
    got.append(reinterpret_cast<const char*>(buffer.data()), *n);
  }
  EXPECT_TRUE(got == data);
}

TEST_F(ClientComponentTest, ReadAllLendsEveryRemainingByteInOrder) {
  std::string data = Pattern((5 << 20) + 333, 6);
  Put("lend", data);
  auto reader = client_->OpenReader(bucket_, "lend");
  ASSERT_TRUE(reader.has_value()) << reader.error().ToString();
  std::vector<std::byte> head(150 * 1000);  // past the small first part, inside the second
  ASSERT_EQ((*reader)->Read(head), head.size());
  std::string got(reinterpret_cast<const char*>(head.data()), head.size());
  int pieces = 0;
  Status status = (*reader)->ReadAll([&](std::span<const std::byte> piece) {
    ++pieces;
    got.append(reinterpret_cast<const char*>(piece.data()), piece.size());
    return Status::Ok();
  });
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_TRUE(got == data);
  EXPECT_GE(pieces, 5);  // one per part: lent, not gathered

  // The sink's error stops the reading and comes back as is.
  reader = client_->OpenReader(bucket_, "lend");
  ASSERT_TRUE(reader.has_value());
  pieces = 0;
  status = (*reader)->ReadAll([&](std::span<const std::byte>) {
    return ++pieces == 2 ? Unavailable("disk went away") : Status::Ok();
  });
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "disk went away");
  EXPECT_EQ(pieces, 2);
}

TEST_F(ClientComponentTest, GetIntoFillsTheCallersBufferVerified) {
  std::string data = Pattern(300 * 1024 + 5, 7);
  Put("into", data);
  std::vector<std::byte> out(data.size() + 10);
  auto n = client_->GetInto(bucket_, "into", out);
  ASSERT_TRUE(n.has_value()) << n.error().ToString();
  ASSERT_EQ(*n, data.size());
  EXPECT_EQ(std::memcmp(out.data(), data.data(), data.size()), 0);
  std::vector<std::byte> small(data.size() - 1);
  n = client_->GetInto(bucket_, "into", small);
  ASSERT_FALSE(n.has_value());
  EXPECT_EQ(n.error().code(), StatusCode::kOutOfRange);
  EXPECT_NE(n.error().message().find("s3://" + bucket_ + "/into: the object is " +
                                     std::to_string(data.size()) + " bytes"),
            std::string::npos)
      << n.error().message();
  n = client_->GetInto(bucket_, "missing", out);
  ASSERT_FALSE(n.has_value());
  EXPECT_EQ(n.error().reason(), "NoSuchKey");
}

TEST_F(ClientComponentTest, ObjectReplacedDuringAReadIsReportedNotMixed) {
  std::string v1 = Pattern(4 << 20, 4), v2 = Pattern(4 << 20, 5);
  Put("changing", v1);
  auto reader = client_->OpenReader(bucket_, "changing");
  ASSERT_TRUE(reader.has_value());
  std::vector<std::byte> buffer(64 * 1024);
  ASSERT_TRUE((*reader)->Read(buffer).has_value());
  Put("changing", v2);
  Status failure;
  std::string got(reinterpret_cast<const char*>(buffer.data()), buffer.size());
  for (int i = 0; i < 1000; ++i) {
    auto n = (*reader)->Read(buffer);
    if (!n.has_value()) {
      failure = n.error();
      break;
    }
    if (*n == 0) break;
    got.append(reinterpret_cast<const char*>(buffer.data()), *n);
  }
  // Either the parts already fetched covered it all (then it is exactly v1), or it fails.
  if (failure.ok()) {
    EXPECT_TRUE(got == v1);
  } else {
    EXPECT_EQ(failure.code(), StatusCode::kAborted) << failure.ToString();
    EXPECT_EQ(failure.reason(), "PreconditionFailed");
    EXPECT_EQ(v1.compare(0, got.size(), got), 0) << "bytes of the new version were mixed in";
  }
}

TEST_F(ClientComponentTest, ListingIsCompleteOrderedAndPaged) {
  std::vector<std::string> keys;
  for (int i = 0; i < 2500; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "p/%02d/k%05d", i % 7, i);
    keys.push_back(name);
  }
  keys.push_back("a");
  keys.push_back("a/b");
  keys.push_back("with space+plus%percent\xc3\xa9");
  for (const std::string& k : keys) Put(k, "x");
  std::sort(keys.begin(), keys.end());

  std::vector<std::string> listed;
  ListOptions options;
  options.max_keys = 333;
  int pages = 0;
  ASSERT_TRUE(client_->ListAll(bucket_, options, [&](const ListPage& page) {
                        ++pages;
                        for (const ObjectInfo& o : page.objects) listed.push_back(o.key);
                        return true;
                      }).ok());
  EXPECT_EQ(listed, keys);
  EXPECT_EQ(pages, (2503 + 332) / 333);

  ListOptions delimited;
  delimited.prefix = "p/";
  delimited.delimiter = "/";
  auto page = client_->List(bucket_, delimited);
  ASSERT_TRUE(page.has_value());
  EXPECT_TRUE(page->objects.empty());
  ASSERT_EQ(page->common_prefixes.size(), 7u);
  EXPECT_EQ(page->common_prefixes[0], "p/00/");
}

TEST_F(ClientComponentTest, DeleteAndDeleteManyAndErrors) {
  for (int i = 0; i < 1500; ++i) Put("d/" + std::to_string(i), "x");
  std::vector<std::string> keys;
  for (int i = 0; i < 1500; ++i) keys.push_back("d/" + std::to_string(i));
  keys.push_back("d/never-existed");
  auto failed = client_->DeleteMany(bucket_, keys);
  ASSERT_TRUE(failed.has_value()) << failed.error().ToString();
  EXPECT_TRUE(failed->empty());
  auto page = client_->List(bucket_, ListOptions{.prefix = "d/"});
  ASSERT_TRUE(page.has_value());
  EXPECT_TRUE(page->objects.empty());

  Put("single", "x");
  EXPECT_TRUE(client_->Delete(bucket_, "single").ok());
  auto gone = client_->Head(bucket_, "single");
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().reason(), "NoSuchKey");
  EXPECT_NE(gone.error().message().find(bucket_), std::string::npos) << gone.error().ToString();

  auto no_bucket = client_->Get("no-such-bucket-here", "k");
  ASSERT_FALSE(no_bucket.has_value());
  EXPECT_EQ(no_bucket.error().reason(), "NoSuchBucket");
  EXPECT_EQ(client_->DeleteBucket("no-such-bucket-here").reason(), "NoSuchBucket");
}

TEST_F(ClientComponentTest, ConditionalPutAndBuckets) {
  Put("once", "first");
  PutOptions create_only;
  create_only.if_none_match = true;
  auto again = client_->Put(bucket_, "once", Bytes(std::string("second")), create_only);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().reason(), "PreconditionFailed");
  EXPECT_EQ(client_->Get(bucket_, "once").value_or(""), "first");

  auto buckets = client_->ListBuckets();
  ASSERT_TRUE(buckets.has_value());
  EXPECT_TRUE(std::any_of(buckets->begin(), buckets->end(),
                          [&](const BucketInfo& b) { return b.name == bucket_; }));
  EXPECT_TRUE(client_->HeadBucket(bucket_).ok());
  EXPECT_EQ(client_->DeleteBucket(bucket_).reason(), "BucketNotEmpty");
}

TEST_F(ClientComponentTest, KeysWithSpecialCharactersRoundTrip) {
  for (std::string key : {"with space", "plus+sign", "percent%41", "caf\xc3\xa9/\xe4\xb8\xad",
                          "a//b", "../dots/./x", "tilde~star*", "q?mark#hash"}) {
    std::string data = "content of " + key;
    Put(key, data);
    auto got = client_->Get(bucket_, key);
    ASSERT_TRUE(got.has_value()) << key << ": " << got.error().ToString();
    EXPECT_EQ(*got, data) << key;
  }
}

TEST_F(ClientComponentTest, PresignedUrlIsFetchableWithoutCredentials) {
  Put("shared", "presigned content");
  auto url = client_->Presign("GET", bucket_, "shared", 300);
  ASSERT_TRUE(url.has_value()) << url.error().ToString();
  ClientOptions anonymous;
  anonymous.endpoint = server_->url();
  anonymous.anonymous = true;
  // The URL itself carries the signature; fetch it with a plain HTTP GET through curl's CLI.
  std::string command = "curl -sf '" + *url + "'";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buf[256];
  std::string body;
  while (size_t n = fread(buf, 1, sizeof buf, pipe)) body.append(buf, n);
  EXPECT_EQ(pclose(pipe), 0);
  EXPECT_EQ(body, "presigned content");
}

}  // namespace
}  // namespace trainload
