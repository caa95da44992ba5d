// The HTTP client against the HTTP server in the same process: bodies both ways, keep-alive
// under concurrency, truncated responses, refused connections, cancellation and stalls, each
// with and without the built-in plain-HTTP client.
#include "http/client.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <future>
#include <random>
#include <thread>
#include <vector>

#include "http/server.h"

namespace trainload::http {
namespace {

std::string Pattern(size_t size, uint32_t seed) {
  std::string out(size, '\0');
  std::mt19937 rng(seed);
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

class TestHandler : public Handler {
 public:
  const std::string big = Pattern(32 << 20, 7);
  void Handle(Exchange& exchange) override {
    const Request& r = exchange.request();
    std::string_view path = r.raw_path();
    if (path == "/echo") {
      std::string body;
      std::vector<std::byte> buf(64 * 1024);
      for (;;) {
        auto n = exchange.ReadBody(buf);
        if (!n.has_value() || *n == 0) break;
        body.append(reinterpret_cast<const char*>(buf.data()), *n);
      }
      Headers h;
      h.Add("X-Method", r.method);
      h.Add("X-Received", std::to_string(body.size()));
      (void)exchange.SendHead(200, h, body.size());
      (void)exchange.SendBody(std::string_view(body));
    } else if (path == "/big") {
      (void)exchange.SendHead(200, Headers(), big.size());
      (void)exchange.SendBody(std::string_view(big));
    } else if (path == "/truncated") {
      (void)exchange.SendHead(200, Headers(), 1000);
      (void)exchange.SendBody(std::string_view("only ten b"));
    } else if (path == "/slow") {
      (void)exchange.SendHead(200, Headers(), 100);
      (void)exchange.SendBody(std::string_view("x"));
      std::this_thread::sleep_for(std::chrono::seconds(4));
    } else if (path == "/status") {
      (void)exchange.SendHead(404, Headers(), 9);
      (void)exchange.SendBody(std::string_view("not found"));
    } else {
      Headers h;
      (void)exchange.SendHead(204, h, 0);
    }
  }
  void HandleProtocolError(ProtocolError, Exchange& exchange) override {
    (void)exchange.SendHead(400, Headers(), 0);
  }
};

// Every test runs twice: plain-HTTP GET/HEAD/DELETE and in-memory PUTs through the built-in
// client (http/plain_client.h), and everything through libcurl.
class ClientTest : public testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    auto server = Server::Start(ServerOptions{}, handler_);
    ASSERT_TRUE(server.has_value()) << server.error().ToString();
    server_ = std::move(*server);
    ClientOptions options;
    options.stall_window = std::chrono::seconds(2);
    options.builtin_plain_http = GetParam();
    auto client = Client::Create(options);
    ASSERT_TRUE(client.has_value());
    client_ = std::move(*client);
  }
  std::string Url(std::string_view path) { return server_->url() + std::string(path); }

  TestHandler handler_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<Client> client_;
};

TEST_P(ClientTest, PutBodyIsEchoedByteForByte) {
  ClientRequest request;
  request.method = "PUT";
  request.url = Url("/echo");
  request.body = Pattern(3 << 20, 1);
  std::string sent = request.body;
  auto response = client_->Send(std::move(request));
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->headers.Get("x-method"), "PUT");
  EXPECT_EQ(response->body, sent);
}

TEST_P(ClientTest, StreamedSourceAndPostBodies) {
  std::string data = Pattern(1 << 20, 2);
  size_t offset = 0;
  ClientRequest request;
  request.method = "POST";
  request.url = Url("/echo");
  request.body_source_size = data.size();
  request.body_source = [&](std::span<std::byte> out) -> Result<size_t> {
    size_t n = std::min(out.size(), data.size() - offset);
    std::memcpy(out.data(), data.data() + offset, n);
    offset += n;
    return n;
  };
  auto response = client_->Send(std::move(request));
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->headers.Get("x-method"), "POST");
  EXPECT_EQ(response->body, data);
}

TEST_P(ClientTest, LargeResponseAndManyConcurrentRequests) {
  const std::string& expected = handler_.big;
  std::vector<std::future<Result<ClientResponse>>> futures;
  for (int i = 0; i < 8; ++i) {
    futures.push_back(std::async(std::launch::async, [&] {
      ClientRequest request;
      request.url = Url("/big");
      return client_->Send(std::move(request), 64 << 20);
    }));
  }
  for (auto& f : futures) {
    auto response = f.get();
    ASSERT_TRUE(response.has_value()) << response.error().ToString();
    EXPECT_EQ(response->body.size(), expected.size());
    EXPECT_TRUE(response->body == expected);
  }
}

// A temporary file holding `data`, removed (and closed) at the end of the test.
class TempFile {
 public:
  explicit TempFile(const std::string& data) {
    char name[] = "/tmp/trainload-client-test-XXXXXX";
    fd_ = ::mkstemp(name);
    path_ = name;
    EXPECT_GE(fd_, 0);
    EXPECT_EQ(::write(fd_, data.data(), data.size()), static_cast<ssize_t>(data.size()));
    ::lseek(fd_, 0, SEEK_SET);
  }
  ~TempFile() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

TEST_P(ClientTest, PutBodyFromAFileRange) {
  const std::string data = Pattern((3 << 20) + 5, 3);
  TempFile file(data);
  ClientRequest request;
  request.method = "PUT";
  request.url = Url("/echo");
  request.body_file = BodyFile{file.fd(), 1000, (2 << 20) + 7, file.path()};
  auto response = client_->Send(std::move(request));
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->headers.Get("x-received"), std::to_string((2 << 20) + 7));
  EXPECT_TRUE(response->body == data.substr(1000, (2 << 20) + 7));
  EXPECT_EQ(::lseek(file.fd(), 0, SEEK_CUR), 0) << "the file's offset moved";

  // A file shorter than the range (it shrank during the upload) fails the request.
  ClientRequest past_end;
  past_end.method = "PUT";
  past_end.url = Url("/echo");
  past_end.body_file = BodyFile{file.fd(), data.size() - 10, 100, file.path()};
  auto failed = client_->Send(std::move(past_end));
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code(), StatusCode::kAborted) << failed.error().ToString();
  EXPECT_NE(
      failed.error().message().find(file.path() + " ends at byte " + std::to_string(data.size())),
      std::string::npos)
      << failed.error().message();

  ClientRequest next;  // the client stays usable
  next.url = Url("/status");
  EXPECT_TRUE(client_->Send(std::move(next)).has_value());
}

TEST_P(ClientTest, NonSuccessStatusIsAResponseNotAnError) {
  ClientRequest request;
  request.url = Url("/status");
  auto response = client_->Send(std::move(request));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->body, "not found");
}

TEST_P(ClientTest, TruncatedBodyIsUnavailableNeverShort) {
  ClientRequest request;
  request.url = Url("/truncated");
  auto response = client_->Send(std::move(request));
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), StatusCode::kUnavailable) << response.error().ToString();
}

TEST_P(ClientTest, RefusedConnectionIsUnavailable) {
  uint16_t port = server_->port();
  server_->Stop();
  ClientRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/x";
  auto response = client_->Send(std::move(request));
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), StatusCode::kUnavailable);
  EXPECT_NE(response.error().message().find("127.0.0.1"), std::string::npos);
}

TEST_P(ClientTest, StalledTransferFailsWithDeadlineExceeded) {
  ClientRequest request;
  request.url = Url("/slow");
  auto response = client_->Send(std::move(request));
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), StatusCode::kDeadlineExceeded) << response.error().ToString();
}

TEST_P(ClientTest, HeadHasNoBody) {
  ClientRequest request;
  request.method = "HEAD";
  request.url = Url("/echo");
  auto response = client_->Send(std::move(request));
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(response->body.empty());
}

class CountingSink : public ResponseSink {
 public:
  bool OnHead(int, const Headers&) override { return true; }
  bool OnBody(std::span<const std::byte> data) override {
    bytes += data.size();
    return bytes < 1 << 20;  // abort after the first MiB
  }
  void OnDone(Status status) override { done.set_value(std::move(status)); }
  std::atomic<size_t> bytes{0};
  std::promise<Status> done;
};

TEST_P(ClientTest, SinkCanAbortAndClientStaysUsable) {
  auto sink = std::make_shared<CountingSink>();
  auto done = sink->done.get_future();
  ClientRequest request;
  request.url = Url("/big");
  client_->Start(std::move(request), sink);
  Status status = done.get();
  EXPECT_EQ(status.code(), StatusCode::kCancelled);
  EXPECT_LT(sink->bytes.load(), size_t{32} << 20);
  ClientRequest next;
  next.url = Url("/status");
  EXPECT_TRUE(client_->Send(std::move(next)).has_value());
}

INSTANTIATE_TEST_SUITE_P(Paths, ClientTest, testing::Bool(),
                         [](const testing::TestParamInfo<bool>& info) {
                           return info.param ? "builtin" : "libcurl";
                         });

}  // namespace
}  // namespace trainload::http
