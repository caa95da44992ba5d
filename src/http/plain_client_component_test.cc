// The built-in plain-HTTP client against a scripted server on a real socket: response framings
// (chunked, interim 1xx, read until close), connection reuse and stale connections, bodies
// received in place, malformed and truncated responses, stalls and timeouts; PUT bodies sent
// from memory, and uploads the server answers before it has read them.
#include "http/plain_client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace trainload::http {
namespace {

// What the scripted server does with one request: read its body (Content-Length bytes, unless
// `ignore_body`), write `bytes`, then maybe close, or stop reading the connection altogether.
// A temporary file holding `data`, removed when it goes out of scope (also when a test fails
// early); fd() is -1 if it could not be written.
class TempFile {
 public:
  explicit TempFile(const std::string& data) : fd_(::mkstemp(path_)) {
    if (fd_ >= 0 && ::write(fd_, data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
      Remove();
    }
  }
  ~TempFile() { Remove(); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  int fd() const { return fd_; }
  std::string path() const { return path_; }

 private:
  void Remove() {
    if (fd_ < 0) return;
    ::close(fd_);
    ::unlink(path_);
    fd_ = -1;
  }

  char path_[40] = "/tmp/trainload-plain-client-test-XXXXXX";
  int fd_;
};

struct Reply {
  std::string bytes;
  bool close_after = false;
  std::chrono::milliseconds delay{0};  // before writing
  bool ignore_body = false;            // answer without reading the request body
  bool then_stop_reading = false;      // after writing, read nothing more (until destroyed)
};

// The Content-Length of a request head, 0 when it has none.
size_t ContentLength(const std::string& head) {
  std::string lower = head;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t at = lower.find("\r\ncontent-length: ");
  return at == std::string::npos ? 0 : std::stoul(lower.substr(at + 18));
}

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
  // The bodies read, one per request whose body was read.
  std::vector<std::string> bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
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
      if (!reply.ignore_body) {
        const size_t length = ContentLength(head);
        while (pending.size() < length) {
          ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
          if (n <= 0) break;
          pending.append(buffer, static_cast<size_t>(n));
        }
        std::lock_guard lock(mu_);
        bodies_.push_back(pending.substr(0, length));
        pending.erase(0, length);
      }
      if (reply.delay.count() > 0) std::this_thread::sleep_for(reply.delay);
      if (!reply.bytes.empty() &&
          ::send(fd, reply.bytes.data(), reply.bytes.size(), MSG_NOSIGNAL) < 0) {
        break;
      }
      if (reply.then_stop_reading) {
        while (!stopping_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
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
  std::vector<std::string> bodies_;  // guarded by mu_
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

std::string Bytes(size_t size, uint32_t seed) {
  std::string out(size, '\0');
  uint32_t x = seed;
  for (char& c : out) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  return out;
}

TEST_F(PlainClientTest, PutSendsTheBodyFromMemoryWithItsLength) {
  ScriptedServer server([](int, int request, const std::string&) {
    return Reply{Ok("", "ETag: \"e" + std::to_string(request) + "\"\r\n")};
  });
  const std::string big = Bytes((8 << 20) + 3, 1);
  ClientRequest request;
  request.method = "PUT";
  request.url = server.Url("/b/k?partNumber=1");
  request.timeout = timeout_;
  request.headers.Add("x-amz-checksum-crc64nvme", "AAAAAAAAAAA=");
  request.body_view = std::as_bytes(std::span(big));
  Collector got = Send(request);
  ASSERT_TRUE(got.done.ok()) << got.done.ToString();
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.headers.Get("etag"), "\"e0\"");

  ClientRequest small;
  small.method = "PUT";
  small.url = server.Url("/b/small");
  small.body = "hello";
  small.headers.Add("Content-Length", "5");  // the caller's own, when it matches, is kept once
  got = Send(small);
  ASSERT_TRUE(got.done.ok()) << got.done.ToString();
  ClientRequest empty;
  empty.method = "PUT";
  empty.url = server.Url("/b/empty");
  got = Send(empty);
  ASSERT_TRUE(got.done.ok()) << got.done.ToString();

  std::vector<std::string> heads = server.heads();
  ASSERT_EQ(heads.size(), 3u);
  std::string port = ParsePlainUrl(request.url)->port;
  EXPECT_EQ(heads[0], "PUT /b/k?partNumber=1 HTTP/1.1\r\nHost: 127.0.0.1:" + port +
                          "\r\nx-amz-checksum-crc64nvme: AAAAAAAAAAA=\r\nContent-Length: " +
                          std::to_string(big.size()) + "\r\n\r\n");
  EXPECT_EQ(heads[1],
            "PUT /b/small HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Length: 5\r\n\r\n");
  EXPECT_EQ(heads[2],
            "PUT /b/empty HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Length: 0\r\n\r\n");
  std::vector<std::string> bodies = server.bodies();
  ASSERT_EQ(bodies.size(), 3u);
  EXPECT_TRUE(bodies[0] == big) << "the 8 MiB body arrived altered";
  EXPECT_EQ(bodies[1], "hello");
  EXPECT_EQ(bodies[2], "");
  EXPECT_EQ(server.connections(), 1) << "keep-alive across PUTs";
}

TEST_F(PlainClientTest, PutSendsAFileRangeWithItsLength) {
  ScriptedServer server([](int, int, const std::string&) { return Reply{Ok("stored")}; });
  const std::string data = Bytes((5 << 20) + 11, 5);
  TempFile file(data);
  ASSERT_GE(file.fd(), 0);
  ClientRequest request;
  request.method = "PUT";
  request.url = server.Url("/b/part");
  request.timeout = timeout_;
  request.body_file = BodyFile{file.fd(), 7, data.size() - 7, file.path()};
  Collector got = Send(request);
  request.body_file = BodyFile{file.fd(), 0, 0, file.path()};  // an empty range is an empty body
  Collector empty = Send(request);
  ASSERT_TRUE(got.done.ok()) << got.done.ToString();
  EXPECT_EQ(got.body, "stored");
  ASSERT_TRUE(empty.done.ok()) << empty.done.ToString();
  std::vector<std::string> heads = server.heads();
  ASSERT_EQ(heads.size(), 2u);
  EXPECT_NE(heads[0].find("\r\nContent-Length: " + std::to_string(data.size() - 7) + "\r\n"),
            std::string::npos)
      << heads[0];
  EXPECT_NE(heads[1].find("\r\nContent-Length: 0\r\n"), std::string::npos) << heads[1];
  std::vector<std::string> bodies = server.bodies();
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_TRUE(bodies[0] == data.substr(7)) << "the file range arrived altered";
  EXPECT_EQ(bodies[1], "");
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(PlainClientTest, PutWithAWrongContentLengthIsRefusedUnsent) {
  ScriptedServer server([](int, int, const std::string&) { return Reply{Ok("")}; });
  ClientRequest request;
  request.method = "PUT";
  request.url = server.Url("/b/k");
  request.body = "four";
  request.headers.Add("content-length", "40");
  Collector got = Send(request);
  EXPECT_EQ(got.done.code(), StatusCode::kInvalidArgument) << got.done.ToString();
  EXPECT_NE(got.done.message().find("Content-Length 40 given for a body of 4 bytes"),
            std::string::npos)
      << got.done.message();
  EXPECT_TRUE(server.heads().empty());
}

TEST_F(PlainClientTest, UploadAnsweredBeforeItsBodyWasReadGetsTheAnswer) {
  // A server that refuses an upload answers at once and never reads the body: the client stops
  // sending (the body is far larger than the socket buffers), delivers the answer, and does not
  // reuse the connection, whose stream is mid-body.
  const std::string refusal =
      "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";
  const std::string answer =
      "HTTP/1.1 403 Forbidden\r\nContent-Length: " + std::to_string(refusal.size()) + "\r\n\r\n" +
      refusal;
  ScriptedServer server([&](int, int, const std::string& head) {
    if (head.starts_with("PUT /refused-then-closed")) {
      return Reply{.bytes = answer, .close_after = true, .ignore_body = true};
    }
    if (head.starts_with("PUT /refused")) {
      return Reply{.bytes = answer, .ignore_body = true, .then_stop_reading = true};
    }
    return Reply{Ok("fine")};
  });
  const std::string big = Bytes(64 << 20, 2);
  TempFile file(big);
  ASSERT_GE(file.fd(), 0);
  for (std::string target :
       {"/refused", "/refused-then-closed", "/refused?file", "/refused-then-closed?file"}) {
    ClientRequest request;
    request.method = "PUT";
    request.url = server.Url(target);
    request.timeout = timeout_;
    if (target.ends_with("?file")) {
      request.body_file = BodyFile{file.fd(), 0, big.size(), file.path()};
    } else {
      request.body_view = std::as_bytes(std::span(big));
    }
    auto start = std::chrono::steady_clock::now();
    Collector got = Send(request);
    ASSERT_TRUE(got.done.ok()) << target << ": " << got.done.ToString();
    EXPECT_EQ(got.status, 403) << target;
    EXPECT_EQ(got.body, refusal) << target;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(5000)) << target;
  }
  Collector after = Get(server, "/after");
  ASSERT_TRUE(after.done.ok()) << after.done.ToString();
  EXPECT_EQ(after.body, "fine");
  EXPECT_EQ(server.connections(), 5) << "a connection whose body was cut short was reused";
}

TEST_F(PlainClientTest, PutOnAStaleConnectionIsSentAgainWithItsBody) {
  ScriptedServer server([](int connection, int, const std::string&) {
    return Reply{Ok("from " + std::to_string(connection)), true};
  });
  const std::string body = Bytes(1 << 20, 3);
  ClientRequest request;
  request.method = "PUT";
  request.url = server.Url("/b/k");
  request.body_view = std::as_bytes(std::span(body));
  Collector first = Send(request);
  ASSERT_TRUE(first.done.ok()) << first.done.ToString();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the close arrive
  Collector second = Send(request);
  ASSERT_TRUE(second.done.ok()) << second.done.ToString();
  EXPECT_EQ(second.body, "from 1");
  std::vector<std::string> bodies = server.bodies();
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_TRUE(bodies[1] == body) << "the body sent again arrived altered";
}

TEST_F(PlainClientTest, UploadTheServerStopsReadingStalls) {
  // Reads the head, then neither reads the body nor answers.
  ScriptedServer server([](int, int, const std::string&) {
    return Reply{.bytes = "", .ignore_body = true, .then_stop_reading = true};
  });
  ClientOptions options;
  options.stall_window = std::chrono::seconds(1);
  MakeClient(options);
  const std::string big = Bytes(64 << 20, 4);
  ClientRequest request;
  request.method = "PUT";
  request.url = server.Url("/b/k");
  request.timeout = timeout_;
  request.body_view = std::as_bytes(std::span(big));
  auto start = std::chrono::steady_clock::now();
  Collector got = Send(request);
  EXPECT_EQ(got.done.code(), StatusCode::kDeadlineExceeded) << got.done.ToString();
  EXPECT_NE(got.done.message().find("stalled"), std::string::npos) << got.done.message();
  EXPECT_NE(got.done.message().find("PUT " + server.Url("/b/k")), std::string::npos)
      << got.done.message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(4000));
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

TEST(PlainClientAccepts, BodilessReadsAndInMemoryPutsOverPlainHttp) {
  ClientRequest request;
  request.url = "http://127.0.0.1:1/x";
  for (std::string method : {"GET", "HEAD", "DELETE", "PUT"}) {
    request.method = method;
    EXPECT_TRUE(PlainClient::Accepts(request).has_value()) << method;
  }
  request.body = "x";
  EXPECT_TRUE(PlainClient::Accepts(request).has_value()) << "PUT with a body";
  request.headers.Add("Transfer-Encoding", "chunked");
  EXPECT_FALSE(PlainClient::Accepts(request).has_value()) << "a framing of the caller's";
  request.headers = Headers();
  request.body.clear();
  request.body_source = [](std::span<std::byte>) -> Result<size_t> { return 0; };
  EXPECT_FALSE(PlainClient::Accepts(request).has_value()) << "a streamed body";
  request.body_source = nullptr;
  request.method = "POST";
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
