// The HTTP server against raw sockets: keep-alive, pipelining, heads and bodies split across
// writes, bodies (length and chunked), 100-continue, oversized and malformed heads, sendfile,
// idle timeouts, long requests next to short ones, and clean shutdown.
#include "http/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <thread>
#include <vector>
#include <mutex>
#include <string>
#include <utility>

namespace trainload::http {
namespace {

// Echoes method, target and body; "/file" answers with sendfile of a temp file.
class EchoHandler : public Handler {
 public:
  explicit EchoHandler(int file_fd) : file_fd_(file_fd) {}
  void Handle(Exchange& exchange) override {
    const Request& r = exchange.request();
    if (r.raw_path() == "/file") {
      Headers h;
      (void)exchange.SendHead(200, h, 10);
      (void)exchange.SendFile(file_fd_, 5, 10);
      return;
    }
    if (r.raw_path() == "/reject") {  // answers without reading the body
      (void)exchange.SendHead(403, Headers(), 6);
      (void)exchange.SendBody(std::string_view("denied"));
      return;
    }
    std::string body;
    char buf[7];  // small on purpose: many reads
    for (;;) {
      auto n = exchange.ReadBody(std::as_writable_bytes(std::span(buf)));
      if (!n.has_value() || *n == 0) break;
      body.append(buf, *n);
    }
    std::string out = r.method + " " + std::string(r.raw_path()) + "?" +
                      std::string(r.raw_query()) + " " + body;
    Headers h;
    h.Add("X-Test", "yes");
    (void)exchange.SendHead(200, h, out.size());
    (void)exchange.SendBody(std::string_view(out));
  }
  void HandleProtocolError(ProtocolError error, Exchange& exchange) override {
    std::string body = error == ProtocolError::kHeaderTooLarge ? "too large" : "malformed";
    (void)exchange.SendHead(400, Headers(), body.size());
    (void)exchange.SendBody(std::string_view(body));
  }

 private:
  int file_fd_;
};

class ServerTest : public testing::Test {
 protected:
  void SetUp() override { StartServer(ServerOptions{}); }
  void StartServer(const ServerOptions& options) {
    server_.reset();
    if (file_fd_ >= 0) close(file_fd_);
    char path[] = "/tmp/trainload_http_testXXXXXX";
    file_fd_ = mkstemp(path);
    unlink(path);
    ASSERT_EQ(write(file_fd_, "0123456789abcdefghij", 20), 20);
    handler_ = std::make_unique<EchoHandler>(file_fd_);
    auto server = Server::Start(options, *handler_);
    ASSERT_TRUE(server.has_value()) << server.error().ToString();
    server_ = std::move(*server);
  }
  void TearDown() override {
    server_.reset();
    close(file_fd_);
  }

  int Connect() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(server_->port());
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    return fd;
  }
  static void Send(int fd, std::string_view data) {
    ASSERT_EQ(send(fd, data.data(), data.size(), 0), static_cast<ssize_t>(data.size()));
  }
  // Sends `data` in `piece`-byte writes with a pause after each, so the server sees every split.
  static void SendInPieces(int fd, std::string_view data, size_t piece) {
    for (size_t i = 0; i < data.size(); i += piece) {
      Send(fd, data.substr(i, piece));
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  // Whether the server closes `fd` (recv sees the end) within `limit`.
  static bool ClosedWithin(int fd, std::chrono::milliseconds limit) {
    timeval tv{static_cast<time_t>(limit.count() / 1000),
               static_cast<suseconds_t>(limit.count() % 1000 * 1000)};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char c;
    return recv(fd, &c, 1, 0) == 0;
  }
  // Reads one response (Content-Length framed); bytes of a following response that arrived in
  // the same recv stay in `leftover_` for the next call.
  std::string ReadResponse(int fd) {
    std::string data = std::exchange(leftover_[fd], std::string());
    char buf[4096];
    for (;;) {
      size_t head_end = data.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        std::string head = data.substr(0, head_end);
        size_t cl = head.find("content-length: ");
        size_t length = cl == std::string::npos ? 0 : std::stoul(head.substr(cl + 16));
        size_t end = head_end + 4 + length;
        if (data.size() >= end) {
          leftover_[fd] = data.substr(end);
          return data.substr(0, end);
        }
      }
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return data;
      data.append(buf, static_cast<size_t>(n));
    }
  }
  static std::string Body(const std::string& response) {
    return response.substr(response.find("\r\n\r\n") + 4);
  }

  std::map<int, std::string> leftover_;
  int file_fd_ = -1;
  std::unique_ptr<EchoHandler> handler_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  int fd = Connect();
  Send(fd, "GET /a%20b?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
  std::string r1 = ReadResponse(fd);
  EXPECT_EQ(r1.substr(0, 15), "HTTP/1.1 200 OK");
  EXPECT_NE(r1.find("x-test: yes"), std::string::npos);
  EXPECT_EQ(Body(r1), "GET /a%20b?x=1 ");
  Send(fd, "PUT /k HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world");
  EXPECT_EQ(Body(ReadResponse(fd)), "PUT /k? hello world");
  close(fd);
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  int fd = Connect();
  Send(fd,
       "PUT /1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
       "PUT /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nde");
  EXPECT_EQ(Body(ReadResponse(fd)), "PUT /1? abc");
  EXPECT_EQ(Body(ReadResponse(fd)), "PUT /2? de");
  close(fd);
}

TEST_F(ServerTest, PipelinedBurstWithAPartialLastHeadIsServedInOrder) {
  int fd = Connect();
  Send(fd,
       "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"
       "PUT /3 HTTP/1.1\r\nHost: h\r\nContent-Le");
  EXPECT_EQ(Body(ReadResponse(fd)), "GET /1? ");
  EXPECT_EQ(Body(ReadResponse(fd)), "GET /2? ");
  Send(fd, "ngth: 2\r\n\r\nxy");
  EXPECT_EQ(Body(ReadResponse(fd)), "PUT /3? xy");
  close(fd);
}

TEST_F(ServerTest, HeadAndBodyArrivingByteByByteAreServed) {
  int fd = Connect();
  SendInPieces(fd, "PUT /slow HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello", 1);
  EXPECT_EQ(Body(ReadResponse(fd)), "PUT /slow? hello");
  SendInPieces(fd,
               "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
               "3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nx-trailer: 1\r\n\r\n",
               3);
  EXPECT_EQ(Body(ReadResponse(fd)), "PUT /c? abcde");
  close(fd);
}

TEST_F(ServerTest, MalformedChunkedBodyFailsTheRequestAndClosesTheConnection) {
  int fd = Connect();
  Send(fd,
       "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
       "3\r\nabc\r\nzz\r\n\r\n");
  std::string r = ReadResponse(fd);
  EXPECT_EQ(Body(r), "PUT /c? abc");  // EchoHandler answers with what it read before the error
  EXPECT_NE(r.find("connection: close"), std::string::npos);
  EXPECT_TRUE(ClosedWithin(fd, std::chrono::milliseconds(5000)));
  close(fd);
}

TEST_F(ServerTest, BareLineFeedsAreMalformed) {
  int fd = Connect();
  Send(fd, "GET / HTTP/1.1\nHost: x\n\n");
  std::string r = ReadResponse(fd);
  EXPECT_EQ(r.substr(0, 12), "HTTP/1.1 400");
  EXPECT_EQ(Body(r), "malformed");
  close(fd);
}

TEST_F(ServerTest, ChunkedRequestBodyIsDecoded) {
  int fd = Connect();
  Send(fd,
       "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
       "5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\n\r\n");
  EXPECT_EQ(Body(ReadResponse(fd)), "PUT /c? hello world");
  Send(fd, "GET /after HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(Body(ReadResponse(fd)), "GET /after? ");
  close(fd);
}

TEST_F(ServerTest, ExpectContinueGets100BeforeTheBody) {
  int fd = Connect();
  Send(fd, "PUT /e HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  char buf[64];
  ssize_t n = recv(fd, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "HTTP/1.1 100 Continue\r\n\r\n");
  Send(fd, "data");
  EXPECT_EQ(Body(ReadResponse(fd)), "PUT /e? data");
  close(fd);
}

// botocore expects a 100 even for an empty body (see SendHead); without it, it misreads the next
// response on the connection.
TEST_F(ServerTest, ExpectContinueWithEmptyBodyStillGets100First) {
  int fd = Connect();
  Send(fd, "PUT /empty HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nExpect: 100-continue\r\n\r\n");
  std::string r;  // the 100 and the final response may come in one segment or two
  char buf[4096];
  while (r.find("PUT /empty? ") == std::string::npos) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    ASSERT_GT(n, 0) << r;
    r.append(buf, static_cast<size_t>(n));
  }
  EXPECT_EQ(r.substr(0, 42), "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n");
  Send(fd, "GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(Body(ReadResponse(fd)), "GET /next? ");
  close(fd);
}

TEST_F(ServerTest, RejectedExpectContinueClosesTheConnection) {
  int fd = Connect();
  Send(fd, "PUT /reject HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  std::string r = ReadResponse(fd);
  EXPECT_EQ(r.substr(0, 12), "HTTP/1.1 403");
  EXPECT_NE(r.find("connection: close"), std::string::npos);
  char c;
  EXPECT_EQ(recv(fd, &c, 1, 0), 0);  // server closed
  close(fd);
}

TEST_F(ServerTest, UnreadSmallBodyIsDrainedAndConnectionKept) {
  int fd = Connect();
  Send(fd, "PUT /reject HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nabcd");
  EXPECT_EQ(Body(ReadResponse(fd)), "denied");
  Send(fd, "GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(Body(ReadResponse(fd)), "GET /next? ");
  close(fd);
}

TEST_F(ServerTest, OversizedHeaderGetsProtocolErrorAnswer) {
  int fd = Connect();
  std::string big = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n";
  send(fd, big.data(), big.size(), MSG_NOSIGNAL);
  std::string r = ReadResponse(fd);
  EXPECT_EQ(r.substr(0, 12), "HTTP/1.1 400");
  EXPECT_EQ(Body(r), "too large");
  close(fd);
  // The server still serves others.
  int fd2 = Connect();
  Send(fd2, "GET /ok HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(Body(ReadResponse(fd2)), "GET /ok? ");
  close(fd2);
}

TEST_F(ServerTest, TransferEncodingNotEndingInChunkedIsMalformed) {
  int fd = Connect();
  // The "body" is a second request; it must never be served.
  Send(fd,
       "PUT /te HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n"
       "GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n");
  std::string r = ReadResponse(fd);
  EXPECT_EQ(r.substr(0, 12), "HTTP/1.1 400");
  EXPECT_EQ(Body(r), "malformed");
  EXPECT_NE(r.find("connection: close"), std::string::npos);
  char c;
  EXPECT_EQ(recv(fd, &c, 1, 0), 0);  // closed: /smuggled was not answered
  close(fd);
}

TEST_F(ServerTest, SendFileSendsTheExactRange) {
  int fd = Connect();
  Send(fd, "GET /file HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(Body(ReadResponse(fd)), "56789abcde");
  close(fd);
}

TEST_F(ServerTest, IdleAndStalledConnectionsAreClosedAfterTheirTimeouts) {
  ServerOptions options;
  options.idle_timeout = std::chrono::milliseconds(300);
  options.io_timeout = std::chrono::milliseconds(600);
  StartServer(options);
  int idle = Connect();       // never sends anything
  int used = Connect();       // idle after one request
  int stalled = Connect();    // half a head, then nothing
  int busy = Connect();       // keeps sending requests: never idle for long
  Send(used, "GET /u HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(Body(ReadResponse(used)), "GET /u? ");
  Send(stalled, "GET /s HTTP/1.1\r\nHo");
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) {  // 1 s of activity, more than the idle timeout
    Send(busy, "GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
    EXPECT_EQ(Body(ReadResponse(busy)), "GET /b? ");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(ClosedWithin(idle, std::chrono::milliseconds(3000)));
  EXPECT_TRUE(ClosedWithin(used, std::chrono::milliseconds(3000)));
  EXPECT_TRUE(ClosedWithin(stalled, std::chrono::milliseconds(3000)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(600));
  Send(busy, "GET /still HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(Body(ReadResponse(busy)), "GET /still? ");
  for (int fd : {idle, used, stalled, busy}) close(fd);
}

// Requests whose handlers block (here: bodies that do not come) must not keep other
// connections from being served, however many of them there are.
TEST_F(ServerTest, BlockedRequestsDoNotHoldUpOtherConnections) {
  const int blocked_count = 2 * static_cast<int>(std::thread::hardware_concurrency()) + 3;
  std::vector<int> blocked;
  for (int i = 0; i < blocked_count; ++i) {
    blocked.push_back(Connect());
    Send(blocked.back(), "PUT /wait HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nab");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (int round = 0; round < 3; ++round) {
    auto start = std::chrono::steady_clock::now();
    int fd = Connect();
    Send(fd, "GET /quick HTTP/1.1\r\nHost: h\r\n\r\n");
    EXPECT_EQ(Body(ReadResponse(fd)), "GET /quick? ");
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2000));
    close(fd);
  }
  for (int fd : blocked) Send(fd, "cd");
  for (int fd : blocked) {
    EXPECT_EQ(Body(ReadResponse(fd)), "PUT /wait? abcd");
    close(fd);
  }
}

TEST_F(ServerTest, StopEndsBlockedAndIdleConnections) {
  std::vector<int> fds;
  for (int i = 0; i < 6; ++i) {
    fds.push_back(Connect());
    if (i % 2 == 0) {
      Send(fds.back(), "PUT /wait HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nab");
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto start = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(5000));
  for (int fd : fds) {
    // A blocked request fails (its handler answers with what it read, or nothing); either way
    // the connection ends.
    std::string rest = ReadResponse(fd);
    EXPECT_TRUE(rest.empty() || rest.find("PUT /wait? ab") != std::string::npos) << rest;
    EXPECT_TRUE(ClosedWithin(fd, std::chrono::milliseconds(2000)));
    close(fd);
  }
}

TEST_F(ServerTest, StopClosesIdleConnections) {
  int fd = Connect();
  Send(fd, "GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
  ReadResponse(fd);
  server_->Stop();
  char c;
  EXPECT_EQ(recv(fd, &c, 1, 0), 0);
  close(fd);
}

// Answers every request with the whole of a large file in one SendFile and records its outcome.
class LargeFileHandler : public Handler {
 public:
  LargeFileHandler(int fd, uint64_t size) : fd_(fd), size_(size) {}
  void Handle(Exchange& exchange) override {
    Status s = exchange.SendHead(200, Headers(), size_);
    if (s.ok()) s = exchange.SendFile(fd_, 0, size_);
    std::lock_guard lock(mu_);
    (s.ok() ? completed_ : failed_)++;
  }
  void HandleProtocolError(ProtocolError, Exchange&) override {}
  std::pair<int, int> Outcomes() {
    std::lock_guard lock(mu_);
    return {completed_, failed_};
  }

 private:
  const int fd_;
  const uint64_t size_;
  std::mutex mu_;
  int completed_ = 0;  // guarded by mu_
  int failed_ = 0;     // guarded by mu_
};

// A client that resets the connection in the middle of a large body makes sendfile(2) fail with
// EPIPE, which raises SIGPIPE; that must end only the response, never the process.
TEST(ServerHangupTest, ClientResetMidBodyFailsTheResponseAndTheServerLives) {
  constexpr uint64_t kSize = 64ull << 20;
  char path[] = "/tmp/trainload_http_bigXXXXXX";
  int file_fd = mkstemp(path);
  ASSERT_GE(file_fd, 0);
  unlink(path);
  ASSERT_EQ(ftruncate(file_fd, static_cast<off_t>(kSize)), 0);
  LargeFileHandler handler(file_fd, kSize);
  auto server = Server::Start(ServerOptions{}, handler);
  ASSERT_TRUE(server.has_value()) << server.error().ToString();
  constexpr int kClients = 4;
  for (int i = 0; i < kClients; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons((*server)->port());
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    std::string request = "GET /big HTTP/1.1\r\nHost: h\r\n\r\n";
    ASSERT_EQ(send(fd, request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()));
    char buf[65536];
    ASSERT_GT(recv(fd, buf, sizeof buf, MSG_WAITALL), 0);
    linger reset{1, 0};  // close() sends RST
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    close(fd);
  }
  std::pair<int, int> outcomes;
  for (int i = 0; i < 1000; ++i) {  // bounded: 10 s
    outcomes = handler.Outcomes();
    if (outcomes.first + outcomes.second == kClients) break;
    usleep(10'000);
  }
  EXPECT_EQ(outcomes, std::make_pair(0, kClients));
  server->reset();
  close(file_fd);
}

}  // namespace
}  // namespace trainload::http
