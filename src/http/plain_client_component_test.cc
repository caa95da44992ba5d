// The built-in plain-HTTP client against a scripted server on a real socket: response framings
// (chunked, interim 1xx, read until close), connection reuse and stale connections, bodies
// received in place, malformed and truncated responses, stalls and timeouts.
#include "http/plain_client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace trainload::http {
namespace {

// What the scripted server does with one request: write `bytes`, then maybe close.
struct Reply {
  std::string bytes;
  bool close_after = false;
  std::chrono::milliseconds delay{0};  // before writing
};

// Accepts connections on 127.0.0.1 and answers each request head with script(connection,
// request). Records every request head. Stops (closing everything) when destroyed.
class ScriptedServer {
 public:
  using Script = std::function<Reply(int connection, int request, const std::string& head)>;

  explicit ScriptedServer(Script script) : script_(std::move(script)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(::listen(listen_fd_, 16), 0);
    socklen_t length = sizeof address;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
  }

  ~ScriptedServer() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    {
      std::lock_guard lock(mu_);
      for (int fd : open_) ::shutdown(fd, SHUT_RDWR);
    }
    for (std::thread& t : threads_) t.join();
    ::close(listen_fd_);
  }

  std::string Url(std::string_view target) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(target);
  }
  int connections() const { return connections_.load(); }
  std::vector<std::string> heads() {
    std::lock_guard lock(mu_);
    return heads_;
  }

 private:
  void Accept() {
    for (int i = 0; i < 64 && !stopping_; ++i) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      int index = connections_.fetch_add(1);
      {
        std::lock_guard lock(mu_);
        open_.push_back(fd);
      }
      threads_.emplace_back([this, fd, index] { Serve(fd, index); });
    }
  }

  void Serve(int fd, int connection) {
    std::string pending;
    char buffer[4096];
    for (int request = 0; request < 100;) {
      size_t end = pending.find("\r\n\r\n");
      if (end == std::string::npos) {
        ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        pending.append(buffer, static_cast<size_t>(n));
        continue;
      }
      std::string head = pending.substr(0, end + 4);
      pending.erase(0, end + 4);
      {
        std::lock_guard lock(mu_);
        heads_.push_back(head);
      }
      Reply reply = script_(connection, request++, head);
      if (reply.delay.count() > 0) std::this_thread::sleep_for(reply.delay);
      if (!reply.bytes.empty() &&
          ::send(fd, reply.bytes.data(), reply.bytes.size(), MSG_NOSIGNAL) < 0) {
        break;
      }
      if (reply.close_after) break;
    }
    ::shutdown(fd, SHUT_RDWR);
    std::lock_guard lock(mu_);
    std::erase(open_, fd);
    ::close(fd);
  }

  Script script_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread acceptor_;
  std::vector<std::thread> threads_;  // touched by the acceptor, joined after it
  std::mutex mu_;
  std::vector<int> open_;          // guarded by mu_
  std::vector<std::string> heads_;  // guarded by mu_
};

std::string Ok(std::string_view body, std::string_view extra = "") {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         std::string(extra) + "\r\n" + std::string(body);
}

// Collects a response; optionally offers a destination of `piece` bytes at a time.
class Collector : public ResponseSink {
 public:
  explicit Collector(size_t piece = 0) : piece_(piece) {}
  bool OnHead(int s, const Headers& h) override {
    status = s;
    headers = h;
    return true;
  }
  bool OnBody(std::span<const std::byte> data) override {
    body.append(reinterpret_cast<const char*>(data.data()), data.size());
    return true;
  }
  std::span<std::byte> BodyDestination() override {
    if (piece_ == 0) return {};
    scratch_.resize(piece_);
    return std::as_writable_bytes(std::span(scratch_));
  }
  bool OnBodyReceived(size_t n) override {
    ++in_place;
    body.append(scratch_.data(), n);
    return true;
  }
  void OnDone(Status s) override { done = std::move(s); }

  int status = 0;
  Headers headers;
  std::string body;
  int in_place = 0;
  Status done = Internal("OnDone was not called");

 private:
  size_t piece_;
  std::string scratch_;
};

class PlainClientTest : public testing::Test {
 protected:
  Collector Get(ScriptedServer& server, std::string_view target, Collector sink = Collector(),
                std::string method = "GET") {
    ClientRequest request;
    request.method = std::move(method);
    request.url = server.Url(target);
    request.timeout = timeout_;
    return Send(request, std::move(sink));
  }

  // Sends `request` through the client under test.
  Collector Send(const ClientRequest& request, Collector sink = Collector()) {
    std::optional<PlainUrl> url = PlainClient::Accepts(request);
    EXPECT_TRUE(url.has_value()) << request.url;
    if (url) client_->Perform(request, *url, sink);
    return sink;
  }

  void MakeClient(ClientOptions options) { client_ = std::make_unique<PlainClient>(options); }

  std::chrono::milliseconds timeout_{10'000};
  std::unique_ptr<PlainClient> client_ = std::make_unique<PlainClient>(ClientOptions{});
};

TEST_F(PlainClientTest, KeepAliveReusesOneConnection) {
  ScriptedServer server([](int, int request, const std::string&) {
    return Reply{Ok("reply " + std::to_string(request))};
  });
  for (int i = 0; i < 5; ++i) {
    Collector got = Get(server, "/k");
    ASSERT_TRUE(got.done.ok()) << got.done.ToString();
    EXPECT_EQ(got.status, 200);
    EXPECT_EQ(got.body, "reply " + std::to_string(i));
  }
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(PlainClientTest, RequestHeadOnTheWire) {
  ScriptedServer server([](int, int, const std::string&) { return Reply{Ok("")}; });
  ClientRequest request;
  request.url = server.Url("/b/a%20b?x-id=1&y");
  request.headers.Add("X-Amz-Date", "20261127T000000Z");
  Collector sink = Send(request);
  ASSERT_TRUE(sink.done.ok()) << sink.done.ToString();
  request.headers.Set("host", "bucket.example");
  sink = Send(request);
  ASSERT_TRUE(sink.done.ok()) << sink.done.ToString();
  std::vector<std::string> heads = server.heads();
  ASSERT_EQ(heads.size(), 2u);
  std::string port = ParsePlainUrl(request.url)->port;
  EXPECT_EQ(heads[0], "GET /b/a%20b?x-id=1&y HTTP/1.1\r\nHost: 127.0.0.1:" + port +
                          "\r\nx-amz-date: 20261127T000000Z\r\n\r\n");
  EXPECT_EQ(heads[1], "GET /b/a%20b?x-id=1&y HTTP/1.1\r\nx-amz-date: 20261127T000000Z\r\n"
                      "host: bucket.example\r\n\r\n");
}

TEST_F(PlainClientTest, ChunkedBodyAfterAnInterimResponse) {
  ScriptedServer server([](int, int, const std::string&) {
    return Reply{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                 "X-A: 1\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n"};
  });
  for (int i = 0; i < 2; ++i) {
    Collector got = Get(server, "/c");
    ASSERT_TRUE(got.done.ok()) << got.done.ToString();
    EXPECT_EQ(got.status, 200);
    EXPECT_EQ(got.headers.Get("x-a"), "1");
    EXPECT_EQ(got.body, "hello world");
  }
  EXPECT_EQ(server.connections(), 1) << "a complete chunked response keeps the connection";
}

TEST_F(PlainClientTest, BodyUntilCloseAndConnectionClose) {
  ScriptedServer server([](int, int request, const std::string&) {
    if (request == 0) return Reply{"HTTP/1.1 200 OK\r\n\r\nno length, ends at close", true};
    return Reply{Ok("x", "Connection: close\r\n")};
  });
  Collector got = Get(server, "/a");
  ASSERT_TRUE(got.done.ok()) << got.done.ToString();
  EXPECT_EQ(got.body, "no length, ends at close");
  got = Get(server, "/b");  // a new connection: its first request
  ASSERT_TRUE(got.done.ok()) << got.done.ToString();
  EXPECT_EQ(got.body, "no length, ends at close");
  EXPECT_EQ(server.connections(), 2);
}

TEST_F(PlainClientTest, StaleKeepAliveConnectionIsReplacedTransparently) {
  // The server closes each connection after answering (without saying so): the next request on
  // the pooled connection meets a closed socket and is sent again on a new one.
  ScriptedServer server([](int connection, int, const std::string&) {
    return Reply{Ok("from " + std::to_string(connection)), true};
  });
  Collector first = Get(server, "/x");
  ASSERT_TRUE(first.done.ok()) << first.done.ToString();
  EXPECT_EQ(first.body, "from 0");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the close arrive
  Collector second = Get(server, "/x");
  ASSERT_TRUE(second.done.ok()) << second.done.ToString();
  EXPECT_EQ(second.body, "from 1");
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(server.heads().size(), 2u) << "the request was not sent twice to a live server";
}

TEST_F(PlainClientTest, BodyReceivedInPlace) {
  std::string body(300 * 1024 + 7, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 31 + i / 7);
  ScriptedServer server([&](int, int, const std::string&) { return Reply{Ok(body)}; });
  Collector got = Get(server, "/big", Collector(4096));
  ASSERT_TRUE(got.done.ok()) << got.done.ToString();
  EXPECT_TRUE(got.body == body);
  EXPECT_GT(got.in_place, 0) << "nothing was received into the sink's destination";
}

TEST_F(PlainClientTest, HeadAndNotModifiedHaveNoBody) {
  ScriptedServer server([](int, int request, const std::string&) {
    if (request == 0) return Reply{"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"};
    if (request == 1) return Reply{"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n"};
    return Reply{Ok("after")};
  });
  Collector head = Get(server, "/h", Collector(), "HEAD");
  ASSERT_TRUE(head.done.ok()) << head.done.ToString();
  EXPECT_EQ(head.headers.Get("content-length"), "1000");
  EXPECT_EQ(head.body, "");
  Collector not_modified = Get(server, "/h");
  ASSERT_TRUE(not_modified.done.ok()) << not_modified.done.ToString();
  EXPECT_EQ(not_modified.status, 304);
  Collector after = Get(server, "/h");
  ASSERT_TRUE(after.done.ok()) << after.done.ToString();
  EXPECT_EQ(after.body, "after");
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(PlainClientTest, TruncatedAndMalformedResponsesAreUnavailable) {
  ScriptedServer server([](int, int, const std::string& head) {
    if (head.starts_with("GET /short")) {
      return Reply{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this", true};
    }
    if (head.starts_with("GET /chunks")) {
      return Reply{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", true};
    }
    if (head.starts_with("GET /badchunk")) {
      return Reply{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n", true};
    }
    return Reply{"HTTP/9 200 OK\r\n\r\n", true};
  });
  Collector got = Get(server, "/short");
  EXPECT_EQ(got.done.code(), StatusCode::kUnavailable) << got.done.ToString();
  EXPECT_NE(got.done.message().find("after 9 of 100 bytes"), std::string::npos)
      << got.done.message();
  EXPECT_NE(got.done.message().find("GET " + server.Url("/short")), std::string::npos);
  got = Get(server, "/chunks");
  EXPECT_EQ(got.done.code(), StatusCode::kUnavailable) << got.done.ToString();
  got = Get(server, "/badchunk");
  EXPECT_EQ(got.done.code(), StatusCode::kUnavailable) << got.done.ToString();
  EXPECT_NE(got.done.message().find("malformed chunked response body"), std::string::npos)
      << got.done.message();
  EXPECT_EQ(got.body, "abc") << "the data before the fault was delivered, then the error";
  got = Get(server, "/bad");
  EXPECT_EQ(got.done.code(), StatusCode::kUnavailable) << got.done.ToString();
  EXPECT_NE(got.done.message().find("status line"), std::string::npos) << got.done.message();
}

TEST_F(PlainClientTest, StallsAndTimeoutsAreDeadlineExceeded) {
  ScriptedServer server([](int, int, const std::string& head) {
    if (head.starts_with("GET /trickle")) {
      // The head and a few bytes, then nothing for longer than the stall window.
      return Reply{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc"};
    }
    return Reply{Ok("late"), false, std::chrono::milliseconds(3000)};
  });
  ClientOptions options;
  options.stall_window = std::chrono::seconds(1);
  MakeClient(options);
  auto start = std::chrono::steady_clock::now();
  Collector got = Get(server, "/trickle");
  EXPECT_EQ(got.done.code(), StatusCode::kDeadlineExceeded) << got.done.ToString();
  EXPECT_NE(got.done.message().find("stalled"), std::string::npos) << got.done.message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2900));

  timeout_ = std::chrono::milliseconds(300);
  start = std::chrono::steady_clock::now();
  got = Get(server, "/late");
  EXPECT_EQ(got.done.code(), StatusCode::kDeadlineExceeded) << got.done.ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
}

TEST_F(PlainClientTest, RefusedConnectionNamesTheAddress) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  std::string port = std::to_string(ntohs(address.sin_port));
  ::close(fd);  // bound, never listening, now closed: nothing answers on this port
  ClientRequest request;
  request.url = "http://127.0.0.1:" + port + "/x";
  Collector sink = Send(request);
  EXPECT_EQ(sink.done.code(), StatusCode::kUnavailable) << sink.done.ToString();
  EXPECT_NE(sink.done.message().find("127.0.0.1:" + port), std::string::npos);
}

TEST_F(PlainClientTest, NamesUnderLocalhostReachTheLoopbackHost) {
  ScriptedServer server([](int, int, const std::string&) { return Reply{Ok("vhost")}; });
  ClientRequest request;
  std::string port = ParsePlainUrl(server.Url("/"))->port;
  request.url = "http://my-bucket.localhost:" + port + "/key";
  Collector got = Send(request);
  ASSERT_TRUE(got.done.ok()) << got.done.ToString();
  EXPECT_EQ(got.body, "vhost");
  ASSERT_EQ(server.heads().size(), 1u);
  EXPECT_EQ(server.heads()[0],
            "GET /key HTTP/1.1\r\nHost: my-bucket.localhost:" + port + "\r\n\r\n");
}

TEST_F(PlainClientTest, HeaderValuesCannotInjectLines) {
  ScriptedServer server([](int, int, const std::string&) { return Reply{Ok("")}; });
  ClientRequest request;
  request.url = server.Url("/x");
  request.headers.Add("x-a", "1\r\nx-injected: 2");
  Collector sink = Send(request);
  EXPECT_EQ(sink.done.code(), StatusCode::kInvalidArgument) << sink.done.ToString();
  EXPECT_TRUE(server.heads().empty());
}

TEST(PlainUrl, Parts) {
  auto url = ParsePlainUrl("http://127.0.0.1:9000/bucket/key?x=1");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, "9000");
  EXPECT_EQ(url->authority, "127.0.0.1:9000");
  EXPECT_EQ(url->target, "/bucket/key?x=1");
  url = ParsePlainUrl("http://[::1]:80?list-type=2");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->target, "/?list-type=2");
  url = ParsePlainUrl("http://bucket.localhost");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->port, "80");
  EXPECT_EQ(url->target, "/");
  for (std::string_view bad :
       {"https://h/x", "http://", "http://user@h/x", "http://h:0/", "http://h:65536/",
        "http://h:12a/", "http://[::1/", "http://::1/", "http://h/a b", "ftp://h/"}) {
    EXPECT_FALSE(ParsePlainUrl(bad).has_value()) << bad;
  }
}

TEST(PlainClientAccepts, OnlyBodilessReadsOverPlainHttp) {
  ClientRequest request;
  request.url = "http://127.0.0.1:1/x";
  for (std::string method : {"GET", "HEAD", "DELETE"}) {
    request.method = method;
    EXPECT_TRUE(PlainClient::Accepts(request).has_value()) << method;
  }
  request.method = "PUT";
  EXPECT_FALSE(PlainClient::Accepts(request).has_value());
  request.method = "GET";
  request.body = "x";
  EXPECT_FALSE(PlainClient::Accepts(request).has_value());
  request.body.clear();
  request.url = "https://127.0.0.1:1/x";
  EXPECT_FALSE(PlainClient::Accepts(request).has_value());
}

}  // namespace
}  // namespace trainload::http
