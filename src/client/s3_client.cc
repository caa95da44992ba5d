#include "client/s3_client.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "client/body_checksum.h"
#include "common/checksum.h"
#include "common/digest.h"
#include "common/encoding.h"
#include "s3/error_code.h"
#include "s3/request_builders.h"
#include "s3/response_parsers.h"

namespace trainload::client {
namespace {

using s3::ErrorCode;

std::optional<uint64_t> ParseUint(std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::string StripQuotes(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

// Collects a body into a string sized from Content-Length, received in place where the HTTP
// client can.
class StringConsumer final : public BodyConsumer {
 public:
  Status Begin(int, const http::Headers& headers) override {
    body.clear();
    expected_ = 0;
    if (auto length = headers.Get("content-length")) {
      if (auto n = ParseUint(*length); n && *n <= (1ull << 32)) expected_ = *n;
    }
    body.reserve(expected_);
    return Status::Ok();
  }
  Status Append(std::span<const std::byte> data) override {
    body.append(reinterpret_cast<const char*>(data.data()), data.size());
    return Status::Ok();
  }
  std::span<std::byte> Destination() override {
    if (body.size() >= expected_) return {};
    // Uninitialized room up to the expected size (every byte is received before it is read);
    // the string is cut back to what arrived on each Commit.
    size_t filled = body.size();
    body.resize_and_overwrite(expected_, [](char*, size_t n) { return n; });
    pending_ = filled;
    return std::as_writable_bytes(std::span(body).subspan(filled));
  }
  Status Commit(size_t n) override {
    body.resize(pending_ + n);
    return Status::Ok();
  }
  std::string body;

 private:
  uint64_t expected_ = 0;
  size_t pending_ = 0;  // body.size() before the last Destination()
};

// Writes a ranged response into a caller's buffer.
class SpanConsumer final : public BodyConsumer {
 public:
  SpanConsumer(std::span<std::byte> out, ByteRange range) : out_(out), range_(range) {}
  Status Begin(int status, const http::Headers&) override {
    written_ = 0;
    // A server that ignores Range answers 200 with the whole object: skip to the range.
    skip_ = status == 200 ? range_.first : 0;
    return Status::Ok();
  }
  Status Append(std::span<const std::byte> data) override {
    if (skip_ > 0) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(skip_, data.size()));
      data = data.subspan(n);
      skip_ -= n;
    }
    size_t room = out_.size() - written_;
    size_t n = std::min(room, data.size());
    std::memcpy(out_.data() + written_, data.data(), n);
    written_ += n;
    return Status::Ok();
  }
  std::span<std::byte> Destination() override {
    // Not while skipping to the range in a whole-object answer.
    return skip_ > 0 ? std::span<std::byte>() : out_.subspan(written_);
  }
  Status Commit(size_t n) override {
    written_ += n;
    return Status::Ok();
  }
  size_t written() const { return written_; }

 private:
  std::span<std::byte> out_;
  ByteRange range_;
  uint64_t skip_ = 0;
  size_t written_ = 0;
};

}  // namespace

ObjectInfo ObjectInfoFromHeaders(std::string_view key, const http::Headers& headers) {
  ObjectInfo info;
  info.key = std::string(key);
  if (auto range = headers.Get("content-range")) {
    // "bytes a-b/total": the object size is the total.
    size_t slash = range->rfind('/');
    if (slash != std::string_view::npos) {
      info.size = ParseUint(range->substr(slash + 1)).value_or(0);
    }
  } else if (auto length = headers.Get("content-length")) {
    info.size = ParseUint(*length).value_or(0);
  }
  info.etag = StripQuotes(headers.Get("etag").value_or(""));
  if (auto modified = headers.Get("last-modified")) {
    info.last_modified_ms = ParseHttpDate(*modified).value_or(0) * 1000;
  }
  info.content_type = std::string(headers.Get("content-type").value_or(""));
  info.storage_class = std::string(headers.Get("x-amz-storage-class").value_or(""));
  if (auto parts = headers.Get("x-amz-mp-parts-count")) {
    info.parts_count = static_cast<uint32_t>(ParseUint(*parts).value_or(0));
  }
  for (const auto& [name, value] : headers.entries()) {
    if (name.starts_with("x-amz-meta-")) {
      info.metadata[name.substr(11)] = value;
    } else if (auto algorithm = ChecksumFromHeaderName(name)) {
      info.checksum_algorithm = std::string(ChecksumName(*algorithm));
      info.checksum = value;
    }
  }
  return info;
}

void AddPutHeaders(const PutOptions& options, http::Headers& headers) {
  if (!options.content_type.empty()) headers.Set("content-type", options.content_type);
  for (const auto& [name, value] : options.metadata) headers.Add("x-amz-meta-" + name, value);
  if (!options.storage_class.empty()) headers.Set("x-amz-storage-class", options.storage_class);
  if (options.if_none_match) headers.Set("if-none-match", "*");
  if (!options.if_match.empty()) headers.Set("if-match", "\"" + options.if_match + "\"");
}

S3Client::S3Client(const ResolvedConfig& config)
    : config_(config), memory_(config.options.max_memory) {}

S3Client::~S3Client() {
  pool_.reset();  // finish tasks before the HTTP clients go
}

Result<std::unique_ptr<S3Client>> S3Client::Create(const ResolvedConfig& config) {
  std::unique_ptr<S3Client> client(new S3Client(config));
  const ClientOptions& o = client->config_.options;
  http::ClientOptions http_options;
  http_options.max_connections = std::max<size_t>(o.max_connections, 1);
  http_options.verify_tls = o.verify_tls;
  http_options.ca_bundle = o.ca_bundle;
  http_options.stall_window = o.stall_timeout;
  http_options.builtin_plain_http = !client->config_.proxy_in_environment;
  TL_ASSIGN_OR_RETURN(client->http_, http::Client::Create(http_options));
  client->requester_ = std::make_unique<Requester>(client->config_, *client->http_,
                                                   client->retry_budget_, client->clock_);
  client->pool_ = std::make_unique<TaskPool>(std::max<size_t>(o.max_connections, 1));
  return client;
}

Result<std::vector<BucketInfo>> S3Client::ListBuckets() {
  std::vector<BucketInfo> buckets;
  std::string token;
  for (int page = 0; page < 10000; ++page) {
    S3Request request{.operation = "ListBuckets"};
    if (!token.empty()) request.query.push_back({"continuation-token", token});
    TL_ASSIGN_OR_RETURN(S3Response response, requester_->Send(request));
    TL_ASSIGN_OR_RETURN(s3::ParsedBucketList list, s3::ParseListAllMyBucketsResult(response.body));
    for (const s3::ParsedBucket& b : list.buckets) {
      buckets.push_back(BucketInfo{b.name, b.creation_date_ms, b.region});
    }
    if (list.continuation_token.empty()) return buckets;
    token = list.continuation_token;
  }
  return Error(Internal("ListBuckets: more than 10000 pages"));
}

Status S3Client::CreateBucket(std::string_view bucket) {
  S3Request request{.operation = "CreateBucket", .method = "PUT", .bucket = std::string(bucket)};
  request.body = s3::CreateBucketBody(config_.options.region);
  request.sign_body = true;
  return StatusOf(requester_->Send(request));
}

Status S3Client::DeleteBucket(std::string_view bucket) {
  S3Request request{.operation = "DeleteBucket", .method = "DELETE", .bucket = std::string(bucket)};
  return StatusOf(requester_->Send(request));
}

Status S3Client::HeadBucket(std::string_view bucket) {
  S3Request request{.operation = "HeadBucket", .method = "HEAD", .bucket = std::string(bucket)};
  return StatusOf(requester_->Send(request));
}

Result<ObjectInfo> S3Client::Head(std::string_view bucket, std::string_view key) {
  S3Request request{.operation = "HeadObject", .method = "HEAD", .bucket = std::string(bucket),
                    .key = std::string(key)};
  request.headers.Add("x-amz-checksum-mode", "ENABLED");
  TL_ASSIGN_OR_RETURN(S3Response response, requester_->Send(request));
  return ObjectInfoFromHeaders(key, response.headers);
}

Result<std::string> S3Client::Get(std::string_view bucket, std::string_view key,
                                  const GetOptions& options) {
  S3Request request{.operation = "GetObject", .bucket = std::string(bucket),
                    .key = std::string(key)};
  request.headers.Add("x-amz-checksum-mode", "ENABLED");
  if (!options.if_match.empty()) request.headers.Add("if-match", "\"" + options.if_match + "\"");
  // A body that arrives but fails its checksum was corrupted in transit: fetch it again.
  for (int attempt = 1;; ++attempt) {
    StringConsumer consumer;
    TL_ASSIGN_OR_RETURN(S3Response response, requester_->SendStreaming(request, consumer));
    Status verified = VerifyBodyChecksum(response.headers, consumer.body);
    if (verified.ok()) {
      if (options.progress) options.progress(consumer.body.size());
      return std::move(consumer.body);
    }
    if (attempt >= 3) return Error(verified.WithContext(Requester::Describe(request)));
  }
}

Result<size_t> S3Client::GetInto(std::string_view bucket, std::string_view key,
                                 std::span<std::byte> out, const GetOptions& options) {
  S3Request request{.operation = "GetObject", .bucket = std::string(bucket),
                    .key = std::string(key)};
  request.headers.Add("x-amz-checksum-mode", "ENABLED");
  if (!options.if_match.empty()) request.headers.Add("if-match", "\"" + options.if_match + "\"");
  for (int attempt = 1;; ++attempt) {
    SpanConsumer consumer(out, ByteRange{0, 0});
    TL_ASSIGN_OR_RETURN(S3Response response, requester_->SendStreaming(request, consumer));
    uint64_t size = ObjectInfoFromHeaders(key, response.headers).size;
    if (size > out.size()) {
      return Error(OutOfRange(Requester::Describe(request) + ": the object is " +
                              std::to_string(size) + " bytes, the buffer " +
                              std::to_string(out.size())));
    }
    std::string_view body(reinterpret_cast<const char*>(out.data()), consumer.written());
    Status verified = VerifyBodyChecksum(response.headers, body);
    if (verified.ok()) {
      if (options.progress) options.progress(body.size());
      return body.size();
    }
    if (attempt >= 3) return Error(verified.WithContext(Requester::Describe(request)));
  }
}

Result<size_t> S3Client::GetRange(std::string_view bucket, std::string_view key, ByteRange range,
                                  std::span<std::byte> out, const GetOptions& options) {
  if (range.last < range.first || out.size() < range.length()) {
    return Error(InvalidArgument("GetRange s3://" + std::string(bucket) + "/" + std::string(key) +
                                 ": buffer of " + std::to_string(out.size()) +
                                 " bytes for a range of " + std::to_string(range.length())));
  }
  S3Request request{.operation = "GetObject", .bucket = std::string(bucket),
                    .key = std::string(key)};
  request.headers.Add("range", "bytes=" + std::to_string(range.first) + "-" +
                                   std::to_string(range.last));
  if (!options.if_match.empty()) request.headers.Add("if-match", "\"" + options.if_match + "\"");
  SpanConsumer consumer(out.first(range.length()), range);
  TL_RETURN_IF_ERROR(StatusOf(requester_->SendStreaming(request, consumer)));
  if (options.progress) options.progress(consumer.written());
  return consumer.written();
}

Result<PutResult> S3Client::Put(std::string_view bucket, std::string_view key,
                                std::span<const std::byte> data, const PutOptions& options) {
  S3Request request{.operation = "PutObject", .method = "PUT", .bucket = std::string(bucket),
                    .key = std::string(key)};
  AddPutHeaders(options, request.headers);
  std::string crc = ComputeChecksum(ChecksumAlgorithm::kCrc64Nvme,
                                    std::string_view(reinterpret_cast<const char*>(data.data()),
                                                     data.size()));
  request.headers.Add("x-amz-checksum-crc64nvme", Base64Encode(crc));
  request.body_view = data;
  // Conditional puts are not safely repeatable: a retry after a lost response could fail the
  // condition the first attempt satisfied.
  request.idempotent = !options.if_none_match && options.if_match.empty();
  TL_ASSIGN_OR_RETURN(S3Response response, requester_->Send(request));
  if (options.progress) options.progress(data.size());
  PutResult result;
  result.etag = StripQuotes(response.headers.Get("etag").value_or(""));
  result.checksum = std::string(response.headers.Get("x-amz-checksum-crc64nvme").value_or(""));
  return result;
}

Result<ListPage> S3Client::List(std::string_view bucket, const ListOptions& options) {
  S3Request request{.operation = "ListObjectsV2", .bucket = std::string(bucket)};
  request.query = {{"list-type", "2"}, {"encoding-type", "url"}};
  if (!options.prefix.empty()) request.query.push_back({"prefix", options.prefix});
  if (!options.delimiter.empty()) request.query.push_back({"delimiter", options.delimiter});
  if (!options.start_after.empty()) request.query.push_back({"start-after", options.start_after});
  if (!options.continuation_token.empty()) {
    request.query.push_back({"continuation-token", options.continuation_token});
  }
  if (options.max_keys != 1000) {
    request.query.push_back({"max-keys", std::to_string(options.max_keys)});
  }
  TL_ASSIGN_OR_RETURN(S3Response response, requester_->Send(request));
  auto parsed = s3::ParseListBucketResult(response.body);
  if (!parsed.has_value()) return Error(parsed.error().WithContext(Requester::Describe(request)));
  ListPage page;
  page.objects.reserve(parsed->contents.size());
  for (s3::ParsedObject& o : parsed->contents) {
    ObjectInfo info;
    info.key = std::move(o.key);
    info.size = o.size;
    info.etag = std::move(o.etag);
    info.last_modified_ms = o.last_modified_ms;
    info.storage_class = o.storage_class == "STANDARD" ? "" : std::move(o.storage_class);
    info.checksum_algorithm = std::move(o.checksum_algorithm);
    page.objects.push_back(std::move(info));
  }
  page.common_prefixes = std::move(parsed->common_prefixes);
  if (parsed->is_truncated) {
    page.next_continuation_token = parsed->next_continuation_token;
    if (page.next_continuation_token.empty()) {
      return Error(DataLoss(Requester::Describe(request) +
                            ": truncated listing without NextContinuationToken"));
    }
  }
  return page;
}

Status S3Client::ListAll(std::string_view bucket, ListOptions options,
                         const std::function<bool(const ListPage&)>& visit) {
  // Bounded: 10 million pages of up to 1000 keys each.
  for (int page_number = 0; page_number < 10'000'000; ++page_number) {
    TL_ASSIGN_OR_RETURN(ListPage page, List(bucket, options));
    if (!visit(page) || page.next_continuation_token.empty()) return Status::Ok();
    options.continuation_token = std::move(page.next_continuation_token);
  }
  return Internal("ListObjectsV2: listing did not end");
}

Status S3Client::Delete(std::string_view bucket, std::string_view key) {
  S3Request request{.operation = "DeleteObject", .method = "DELETE",
                    .bucket = std::string(bucket), .key = std::string(key)};
  return StatusOf(requester_->Send(request));
}

Result<std::vector<DeleteError>> S3Client::DeleteMany(std::string_view bucket,
                                                      const std::vector<std::string>& keys) {
  std::vector<DeleteError> failed;
  for (size_t begin = 0; begin < keys.size(); begin += 1000) {
    size_t end = std::min(keys.size(), begin + 1000);
    std::vector<std::string> batch(keys.begin() + static_cast<ptrdiff_t>(begin),
                                   keys.begin() + static_cast<ptrdiff_t>(end));
    S3Request request{.operation = "DeleteObjects", .method = "POST",
                      .bucket = std::string(bucket)};
    request.query = {{"delete", ""}};
    request.body = s3::DeleteObjectsBody(batch, /*quiet=*/true);
    request.sign_body = true;
    request.headers.Add("content-md5", Base64Encode(Md5(request.body)));
    request.headers.Add("content-type", "application/xml");
    TL_ASSIGN_OR_RETURN(S3Response response, requester_->Send(request));
    TL_ASSIGN_OR_RETURN(s3::ParsedDeleteResult result, s3::ParseDeleteResult(response.body));
    for (const s3::ParsedDeleteError& e : result.errors) {
      s3::ParsedError parsed;
      parsed.code = e.code;
      parsed.message = e.message;
      failed.push_back(DeleteError{
          e.key, s3::StatusFromError(parsed, "DeleteObjects s3://" + std::string(bucket) + "/" +
                                                 e.key)});
    }
  }
  return failed;
}

Result<std::string> S3Client::Presign(std::string_view method, std::string_view bucket,
                                      std::string_view key, int64_t expires_seconds) {
  return requester_->Presign(method, bucket, key, expires_seconds);
}

}  // namespace trainload::client

namespace trainload {

Status ObjectReader::ReadAll(const std::function<Status(std::span<const std::byte>)>& sink) {
  std::vector<std::byte> buffer(1 << 20);
  for (;;) {
    TL_ASSIGN_OR_RETURN(size_t n, Read(buffer));
    if (n == 0) return Status::Ok();
    TL_RETURN_IF_ERROR(sink(std::span(buffer).first(n)));
  }
}

Result<size_t> Client::GetInto(std::string_view bucket, std::string_view key,
                               std::span<std::byte> out, const GetOptions& options) {
  TL_ASSIGN_OR_RETURN(std::string body, Get(bucket, key, options));
  if (body.size() > out.size()) {
    return Error(OutOfRange("GetObject s3://" + std::string(bucket) + "/" + std::string(key) +
                            ": the object is " + std::to_string(body.size()) +
                            " bytes, the buffer " + std::to_string(out.size())));
  }
  std::memcpy(out.data(), body.data(), body.size());
  return body.size();
}

Result<std::unique_ptr<Client>> Client::Create(const ClientOptions& options) {
  client::SystemEnvironment env;
  TL_ASSIGN_OR_RETURN(client::ResolvedConfig config, client::ResolveConfig(options, env));
  TL_ASSIGN_OR_RETURN(std::unique_ptr<client::S3Client> s3, client::S3Client::Create(config));
  return std::unique_ptr<Client>(std::move(s3));
}

}  // namespace trainload
