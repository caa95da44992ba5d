// Upload, OpenWriter and Copy against an in-process trainload server: objects read back byte for
// byte, multipart objects carry "-N" ETags and a full-object CRC64NVME, the memory budget holds,
// and every failure (a part rejected, a file truncated, a source replaced, a condition failed,
// an abort) leaves neither an object nor an upload in progress behind.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "client/multipart_upload.h"
#include "client/s3_client.h"
#include "common/checksum.h"
#include "common/digest.h"
#include "common/encoding.h"
#include "s3/response_parsers.h"
#include "client/test_data_testing.h"
#include "client/test_server_testing.h"
#include "trainload/client.h"

namespace trainload {
namespace {

constexpr uint64_t kPart = 5 << 20;  // the smallest part S3 allows: many parts, little data

using test_support::Pattern;

std::span<const std::byte> Bytes(std::string_view s) { return test_support::AsBytes(s); }

std::string Crc64Base64(std::string_view data) {
  return Base64Encode(ComputeChecksum(ChecksumAlgorithm::kCrc64Nvme, data));
}

class UploadComponentTest : public testing::Test {
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
    ASSERT_NE(server_, nullptr);
    client_ = MakeClient(*server_);
    bucket_ = "bucket-" + std::to_string(++bucket_counter_);
    ASSERT_TRUE(client_->CreateBucket(bucket_).ok());
  }

  static std::unique_ptr<Client> MakeClient(const test_support::TestServer& server,
                                            uint64_t max_memory = 1ull << 30,
                                            size_t max_connections = 8) {
    ClientOptions options = server.client_options();
    options.addressing = Addressing::kPath;
    options.part_size = kPart;
    options.max_connections = max_connections;
    options.max_memory = max_memory;
    options.max_attempts = 3;
    auto client = Client::Create(options);
    EXPECT_TRUE(client.has_value()) << client.error().ToString();
    return client.has_value() ? std::move(*client) : nullptr;
  }

  static client::S3Client& Engine(Client& c) { return dynamic_cast<client::S3Client&>(c); }

  std::string WriteFile(const std::string& name, std::string_view data) {
    std::string path = (dir_ / name).string();
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    return path;
  }

  std::string GetOrDie(const std::string& key) {
    auto got = client_->Get(bucket_, key);
    EXPECT_TRUE(got.has_value()) << key << ": " << got.error().ToString();
    return got.has_value() ? *got : std::string();
  }

  // The keys with a multipart upload in progress in `bucket`, as ListMultipartUploads says.
  static std::vector<std::string> UploadsInProgress(Client& c, const std::string& bucket) {
    client::S3Request request{.operation = "ListMultipartUploads", .bucket = bucket};
    request.query = {{"uploads", ""}};
    auto response = Engine(c).requester().Send(request);
    EXPECT_TRUE(response.has_value()) << response.error().ToString();
    if (!response.has_value()) return {"<error>"};
    auto list = s3::ParseListMultipartUploadsResult(response->body);
    EXPECT_TRUE(list.has_value()) << list.error().ToString();
    std::vector<std::string> keys;
    if (list.has_value()) {
      for (const s3::ParsedUpload& u : list->uploads) keys.push_back(u.key);
    }
    return keys;
  }

  void ExpectNoObject(const std::string& key) {
    auto head = client_->Head(bucket_, key);
    ASSERT_FALSE(head.has_value()) << key << " exists";
    EXPECT_EQ(head.error().reason(), "NoSuchKey");
  }

  static inline std::filesystem::path dir_;
  static inline test_support::TestServer* server_ = nullptr;
  static inline int bucket_counter_ = 0;
  std::unique_ptr<Client> client_;
  std::string bucket_;
};

TEST_F(UploadComponentTest, UploadRoundTripsEverySize) {
  const uint64_t sizes[] = {0, 1, kPart - 1, kPart, kPart + 1, (40 << 20) + 12345};
  uint32_t seed = 10;
  for (uint64_t size : sizes) {
    SCOPED_TRACE("size " + std::to_string(size));
    std::string data = Pattern(size, ++seed);
    std::string key = "up/" + std::to_string(size);
    uint64_t progress = 0;
    PutOptions options;
    options.progress = [&](uint64_t n) { progress += n; };
    auto put = client_->Upload(bucket_, key, WriteFile("up.bin", data), options);
    ASSERT_TRUE(put.has_value()) << put.error().ToString();
    EXPECT_EQ(progress, size);
    EXPECT_TRUE(GetOrDie(key) == data);

    if (size > kPart) {
      uint64_t parts = (size + kPart - 1) / kPart;
      EXPECT_TRUE(put->etag.ends_with("-" + std::to_string(parts))) << put->etag;
    } else {
      EXPECT_EQ(put->etag, HexEncode(Md5(data)));
    }
    // Single PUT or multipart, the object's stored checksum is the CRC64NVME of all its bytes.
    EXPECT_EQ(put->checksum, Crc64Base64(data));
    auto head = client_->Head(bucket_, key);
    ASSERT_TRUE(head.has_value()) << head.error().ToString();
    EXPECT_EQ(head->size, size);
    EXPECT_EQ(head->etag, put->etag);
    EXPECT_EQ(head->checksum_algorithm, "CRC64NVME");
    EXPECT_EQ(head->checksum, Crc64Base64(data));
  }
  EXPECT_TRUE(UploadsInProgress(*client_, bucket_).empty());
  EXPECT_EQ(Engine(*client_).memory().in_use(), 0u);
}

TEST_F(UploadComponentTest, UploadCarriesContentTypeAndMetadata) {
  std::string data = Pattern(2 * kPart + 3, 20);
  PutOptions options;
  options.content_type = "application/x-tensor";
  options.metadata = {{"epoch", "7"}, {"shard", "00012"}};
  auto put = client_->Upload(bucket_, "meta.bin", WriteFile("meta.bin", data), options);
  ASSERT_TRUE(put.has_value()) << put.error().ToString();
  auto head = client_->Head(bucket_, "meta.bin");
  ASSERT_TRUE(head.has_value()) << head.error().ToString();
  EXPECT_EQ(head->content_type, "application/x-tensor");
  EXPECT_EQ(head->metadata, options.metadata);
}

TEST_F(UploadComponentTest, UploadStaysWithinTheMemoryBudget) {
  auto small = MakeClient(*server_, /*max_memory=*/2 * kPart);
  std::string data = Pattern((40 << 20) + 99, 30);
  auto put = small->Upload(bucket_, "budget.bin", WriteFile("budget.bin", data));
  ASSERT_TRUE(put.has_value()) << put.error().ToString();
  EXPECT_TRUE(put->etag.ends_with("-9")) << put->etag;
  EXPECT_TRUE(GetOrDie("budget.bin") == data);
  client::MemoryBudget& memory = Engine(*small).memory();
  EXPECT_LE(memory.peak(), 2 * kPart);
  // A file's parts are sent from the file: only the buffers its CRCs are read through are
  // charged, far less than a part.
  EXPECT_GT(memory.peak(), 0u);
  EXPECT_LT(memory.peak(), kPart);
  EXPECT_EQ(memory.in_use(), 0u);
}

TEST_F(UploadComponentTest, UploadOfMissingFileOrBucketFailsClearly) {
  auto missing_file = client_->Upload(bucket_, "k", (dir_ / "no-such-file").string());
  ASSERT_FALSE(missing_file.has_value());
  EXPECT_EQ(missing_file.error().code(), StatusCode::kNotFound);
  EXPECT_NE(missing_file.error().message().find("no-such-file"), std::string::npos);

  auto directory = client_->Upload(bucket_, "k", dir_.string());
  ASSERT_FALSE(directory.has_value());
  EXPECT_EQ(directory.error().code(), StatusCode::kInvalidArgument);

  std::string path = WriteFile("nobucket.bin", Pattern(3 * kPart, 40));
  auto put = client_->Upload("no-such-bucket", "some/key", path);
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error().reason(), "NoSuchBucket");
  EXPECT_NE(put.error().message().find("s3://no-such-bucket/some/key"), std::string::npos)
      << put.error().message();
}

TEST_F(UploadComponentTest, RejectedPartAbortsTheUpload) {
  // A server whose largest part is smaller than the client's parts: CreateMultipartUpload
  // succeeds, every UploadPart fails with EntityTooLarge.
  auto strict = test_support::TestServer::Start({.max_put_size = kPart - 1});
  ASSERT_TRUE(strict.has_value()) << strict.error().ToString();
  auto c = MakeClient(**strict);
  ASSERT_TRUE(c->CreateBucket("strict").ok());
  std::string path = WriteFile("rejected.bin", Pattern(3 * kPart + 5, 50));
  auto put = c->Upload("strict", "rejected.bin", path);
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error().reason(), "EntityTooLarge");
  EXPECT_NE(put.error().message().find("part "), std::string::npos) << put.error().message();
  EXPECT_NE(put.error().message().find("s3://strict/rejected.bin"), std::string::npos)
      << put.error().message();
  EXPECT_TRUE(UploadsInProgress(*c, "strict").empty());
  auto head = c->Head("strict", "rejected.bin");
  ASSERT_FALSE(head.has_value());
  EXPECT_EQ(head.error().reason(), "NoSuchKey");
  EXPECT_EQ(Engine(*c).memory().in_use(), 0u);
}

TEST_F(UploadComponentTest, FileTruncatedDuringUploadFailsAndLeavesNothing) {
  // With one connection, part 2 is read only after part 1 has been sent and reported. (A
  // memory budget of one part no longer serializes them: a file's parts are sent from the file
  // and hold only the small buffer their CRC is read through.)
  auto c = MakeClient(*server_, /*max_memory=*/kPart, /*max_connections=*/1);
  std::string path = WriteFile("shrinks.bin", Pattern(4 * kPart, 60));
  PutOptions options;
  bool truncated = false;
  options.progress = [&](uint64_t) {
    if (!truncated) truncated = ::truncate(path.c_str(), kPart + 10) == 0;
  };
  auto put = c->Upload(bucket_, "shrinks.bin", path, options);
  ASSERT_TRUE(truncated);
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error().code(), StatusCode::kAborted);
  EXPECT_NE(put.error().message().find(path), std::string::npos) << put.error().message();
  EXPECT_TRUE(UploadsInProgress(*c, bucket_).empty());
  ExpectNoObject("shrinks.bin");
}

TEST_F(UploadComponentTest, WriterManySmallWritesEqualTheInput) {
  std::string data = Pattern((30 << 20) + 7, 70);
  uint64_t progress = 0;
  PutOptions options;
  options.progress = [&](uint64_t n) { progress += n; };
  auto writer = client_->OpenWriter(bucket_, "stream.bin", options);
  ASSERT_TRUE(writer.has_value()) << writer.error().ToString();
  std::mt19937 rng(71);
  size_t at = 0;
  while (at < data.size()) {
    // 0 to 300 KB, with many tiny writes: pieces straddle every part boundary.
    size_t n = rng() % 4 == 0 ? rng() % 16 : rng() % 300'000;
    n = std::min(n, data.size() - at);
    ASSERT_TRUE((*writer)->Write(Bytes(std::string_view(data).substr(at, n))).ok());
    at += n;
  }
  auto closed = (*writer)->Close();
  ASSERT_TRUE(closed.has_value()) << closed.error().ToString();
  EXPECT_TRUE(closed->etag.ends_with("-" + std::to_string((data.size() + kPart - 1) / kPart)))
      << closed->etag;
  EXPECT_EQ(closed->checksum, Crc64Base64(data));
  EXPECT_EQ(progress, data.size());
  EXPECT_TRUE(GetOrDie("stream.bin") == data);
  EXPECT_EQ(Engine(*client_).memory().in_use(), 0u);

  auto again = (*writer)->Write(Bytes("x"));
  EXPECT_EQ(again.code(), StatusCode::kFailedPrecondition);
}

TEST_F(UploadComponentTest, WriterWithinTheMemoryBudget) {
  auto c = MakeClient(*server_, /*max_memory=*/2 * kPart);
  std::string data = Pattern(6 * kPart + 1, 75);
  auto writer = c->OpenWriter(bucket_, "budget-stream.bin");
  ASSERT_TRUE(writer.has_value());
  for (size_t at = 0; at < data.size(); at += 1 << 20) {
    ASSERT_TRUE((*writer)->Write(Bytes(std::string_view(data).substr(at, 1 << 20))).ok());
  }
  auto closed = (*writer)->Close();
  ASSERT_TRUE(closed.has_value()) << closed.error().ToString();
  EXPECT_TRUE(closed->etag.ends_with("-7")) << closed->etag;
  EXPECT_TRUE(GetOrDie("budget-stream.bin") == data);
  EXPECT_LE(Engine(*c).memory().peak(), 2 * kPart);
  EXPECT_EQ(Engine(*c).memory().in_use(), 0u);
}

TEST_F(UploadComponentTest, WriterOfAtMostOnePartIsOnePut) {
  for (size_t size : {size_t{0}, size_t{11}, size_t{kPart}}) {
    SCOPED_TRACE("size " + std::to_string(size));
    std::string data = size == 11 ? "hello world" : Pattern(size, 80);
    std::string key = "small/" + std::to_string(size);
    auto writer = client_->OpenWriter(bucket_, key);
    ASSERT_TRUE(writer.has_value());
    size_t half = size / 2;
    ASSERT_TRUE((*writer)->Write(Bytes(std::string_view(data).substr(0, half))).ok());
    ASSERT_TRUE((*writer)->Write(Bytes(std::string_view(data).substr(half))).ok());
    // A small stream holds a small buffer, not a part's worth of the budget.
    if (size == 11) {
      EXPECT_LE(Engine(*client_).memory().in_use(), 64u << 10);
    }
    auto closed = (*writer)->Close();
    ASSERT_TRUE(closed.has_value()) << closed.error().ToString();
    EXPECT_EQ(closed->etag, HexEncode(Md5(data)));  // a plain PUT's ETag, no "-N"
    EXPECT_TRUE(GetOrDie(key) == data);
  }
  EXPECT_TRUE(UploadsInProgress(*client_, bucket_).empty());
}

TEST_F(UploadComponentTest, WriterAbortAndDestructionLeaveNothing) {
  std::string data = Pattern(3 * kPart + 100, 90);
  {
    auto writer = client_->OpenWriter(bucket_, "aborted.bin");
    ASSERT_TRUE(writer.has_value());
    ASSERT_TRUE((*writer)->Write(Bytes(data)).ok());  // parts 1-3 started
    EXPECT_EQ(UploadsInProgress(*client_, bucket_), std::vector<std::string>{"aborted.bin"});
    (*writer)->Abort();
    EXPECT_EQ((*writer)->Write(Bytes("x")).code(), StatusCode::kFailedPrecondition);
    auto closed = (*writer)->Close();
    ASSERT_FALSE(closed.has_value());
    EXPECT_EQ(closed.error().code(), StatusCode::kFailedPrecondition);
  }
  {
    auto writer = client_->OpenWriter(bucket_, "dropped.bin");
    ASSERT_TRUE(writer.has_value());
    ASSERT_TRUE((*writer)->Write(Bytes(data)).ok());
  }  // destroyed unclosed
  EXPECT_TRUE(UploadsInProgress(*client_, bucket_).empty());
  ExpectNoObject("aborted.bin");
  ExpectNoObject("dropped.bin");
  EXPECT_EQ(Engine(*client_).memory().in_use(), 0u);
}

TEST_F(UploadComponentTest, WriterReportsFailuresOnWriteAndClose) {
  std::string data = Pattern(2 * kPart + 1, 95);
  auto writer = client_->OpenWriter("no-such-bucket", "k");
  ASSERT_TRUE(writer.has_value());
  // The first part boundary starts the upload, which fails here.
  Status written = (*writer)->Write(Bytes(data));
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.reason(), "NoSuchBucket");
  EXPECT_NE(written.message().find("s3://no-such-bucket/k"), std::string::npos);
  auto closed = (*writer)->Close();
  ASSERT_FALSE(closed.has_value());
  EXPECT_EQ(closed.error().reason(), "NoSuchBucket");

  // A small stream fails at Close, where its single PUT is sent.
  auto small = client_->OpenWriter("no-such-bucket", "small");
  ASSERT_TRUE(small.has_value());
  ASSERT_TRUE((*small)->Write(Bytes("abc")).ok());
  auto small_closed = (*small)->Close();
  ASSERT_FALSE(small_closed.has_value());
  EXPECT_EQ(small_closed.error().reason(), "NoSuchBucket");
}

TEST_F(UploadComponentTest, CopyKeepsOrReplacesMetadata) {
  const std::string source_key = "dir/a b+c%d~.txt";
  std::string data = Pattern(100'000, 100);
  PutOptions put_options;
  put_options.content_type = "text/plain";
  put_options.metadata = {{"origin", "test"}};
  ASSERT_TRUE(client_->Put(bucket_, source_key, Bytes(data), put_options).has_value());

  uint64_t progress = 0;
  PutOptions copy_options;
  copy_options.progress = [&](uint64_t n) { progress += n; };
  auto copied = client_->Copy(bucket_, source_key, bucket_, "copies/kept", copy_options);
  ASSERT_TRUE(copied.has_value()) << copied.error().ToString();
  EXPECT_EQ(copied->etag, HexEncode(Md5(data)));
  EXPECT_EQ(progress, data.size());
  EXPECT_TRUE(GetOrDie("copies/kept") == data);
  auto kept = client_->Head(bucket_, "copies/kept");
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->content_type, "text/plain");
  EXPECT_EQ(kept->metadata, put_options.metadata);
  EXPECT_EQ(kept->checksum, Crc64Base64(data));

  PutOptions replace;
  replace.metadata = {{"origin", "replaced"}};
  ASSERT_TRUE(client_->Copy(bucket_, source_key, bucket_, "copies/replaced", replace).has_value());
  auto replaced = client_->Head(bucket_, "copies/replaced");
  ASSERT_TRUE(replaced.has_value());
  EXPECT_EQ(replaced->metadata, replace.metadata);

  auto missing = client_->Copy(bucket_, "no-such-key", bucket_, "copies/none");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().reason(), "NoSuchKey");
  EXPECT_NE(missing.error().message().find("no-such-key"), std::string::npos);
}

TEST_F(UploadComponentTest, MultipartCopyCopiesInParts) {
  std::string data = Pattern(2 * kPart + 12345, 110);
  PutOptions put_options;
  put_options.content_type = "application/octet-stream";
  put_options.metadata = {{"kind", "shard"}};
  ASSERT_TRUE(
      client_->Upload(bucket_, "src key", WriteFile("src.bin", data), put_options).has_value());
  auto source = client_->Head(bucket_, "src key");
  ASSERT_TRUE(source.has_value());

  uint64_t progress = 0;
  PutOptions options;
  options.progress = [&](uint64_t n) { progress += n; };
  auto copied = client::MultipartCopy(Engine(*client_), bucket_, *source, bucket_, "dst/copy",
                                      options, kPart);
  ASSERT_TRUE(copied.has_value()) << copied.error().ToString();
  EXPECT_TRUE(copied->etag.ends_with("-3")) << copied->etag;
  EXPECT_EQ(copied->checksum, Crc64Base64(data));
  EXPECT_EQ(progress, data.size());
  EXPECT_TRUE(GetOrDie("dst/copy") == data);
  auto head = client_->Head(bucket_, "dst/copy");
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->metadata, put_options.metadata);
  EXPECT_EQ(head->content_type, "application/octet-stream");
  EXPECT_EQ(head->checksum, source->checksum);
}

TEST_F(UploadComponentTest, MultipartCopyOfAReplacedSourceFails) {
  std::string data = Pattern(2 * kPart + 1, 120);
  ASSERT_TRUE(client_->Upload(bucket_, "src", WriteFile("v1.bin", data)).has_value());
  auto stale = client_->Head(bucket_, "src");
  ASSERT_TRUE(stale.has_value());
  std::string v2 = Pattern(2 * kPart + 1, 121);
  ASSERT_TRUE(client_->Upload(bucket_, "src", WriteFile("v2.bin", v2)).has_value());

  auto copied = client::MultipartCopy(Engine(*client_), bucket_, *stale, bucket_, "dst", {}, kPart);
  ASSERT_FALSE(copied.has_value());
  EXPECT_EQ(copied.error().code(), StatusCode::kAborted);
  EXPECT_EQ(copied.error().reason(), "PreconditionFailed");
  EXPECT_TRUE(UploadsInProgress(*client_, bucket_).empty());
  ExpectNoObject("dst");
}

TEST_F(UploadComponentTest, IfNoneMatchOnAnExistingKeyFails) {
  std::string original = Pattern(1000, 130);
  ASSERT_TRUE(client_->Put(bucket_, "taken", Bytes(original)).has_value());
  PutOptions create_only;
  create_only.if_none_match = true;

  auto single = client_->Upload(bucket_, "taken", WriteFile("one.bin", "new"), create_only);
  ASSERT_FALSE(single.has_value());
  EXPECT_EQ(single.error().reason(), "PreconditionFailed");

  auto multipart = client_->Upload(bucket_, "taken",
                                   WriteFile("two.bin", Pattern(2 * kPart + 1, 131)), create_only);
  ASSERT_FALSE(multipart.has_value());
  EXPECT_EQ(multipart.error().reason(), "PreconditionFailed");

  auto writer = client_->OpenWriter(bucket_, "taken", create_only);
  ASSERT_TRUE(writer.has_value());
  ASSERT_TRUE((*writer)->Write(Bytes(Pattern(2 * kPart + 1, 132))).ok());
  auto closed = (*writer)->Close();
  ASSERT_FALSE(closed.has_value());
  EXPECT_EQ(closed.error().reason(), "PreconditionFailed");

  EXPECT_TRUE(GetOrDie("taken") == original);
  EXPECT_TRUE(UploadsInProgress(*client_, bucket_).empty());

  std::string fresh = Pattern(2 * kPart + 1, 133);
  auto created = client_->Upload(bucket_, "fresh", WriteFile("fresh.bin", fresh), create_only);
  ASSERT_TRUE(created.has_value()) << created.error().ToString();
  EXPECT_TRUE(GetOrDie("fresh") == fresh);
}

TEST_F(UploadComponentTest, CompleteWithAWrongObjectChecksumCommitsNothing) {
  // x-amz-checksum-crc64nvme on CompleteMultipartUpload is the whole object's checksum: a
  // mismatch is BadDigest and the upload stays, ready to be completed correctly.
  std::string data = Pattern(1000, 140);
  auto upload = client::MultipartUpload::Create(Engine(*client_), bucket_, "claimed", {});
  ASSERT_TRUE(upload.has_value()) << upload.error().ToString();
  ASSERT_TRUE((*upload)->UploadPart(1, Bytes(data)).ok());

  client::S3Request wrong{.operation = "CompleteMultipartUpload",
                          .method = "POST",
                          .bucket = bucket_,
                          .key = "claimed"};
  wrong.query = {{"uploadId", (*upload)->upload_id()}};
  wrong.body = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"" +
               HexEncode(Md5(data)) + "\"</ETag></Part></CompleteMultipartUpload>";
  wrong.sign_body = true;
  wrong.headers.Add("x-amz-checksum-crc64nvme", Crc64Base64("something else"));
  wrong.headers.Add("x-amz-checksum-type", "FULL_OBJECT");
  auto refused = Engine(*client_).requester().Send(wrong);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().reason(), "BadDigest");
  ExpectNoObject("claimed");
  EXPECT_EQ(UploadsInProgress(*client_, bucket_), std::vector<std::string>{"claimed"});

  auto completed = (*upload)->Complete({});
  ASSERT_TRUE(completed.has_value()) << completed.error().ToString();
  EXPECT_EQ(completed->etag, HexEncode(Md5(Md5(data))) + "-1");
  EXPECT_EQ(completed->checksum, Crc64Base64(data));
  EXPECT_TRUE(GetOrDie("claimed") == data);
}

}  // namespace
}  // namespace trainload
