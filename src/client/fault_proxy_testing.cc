#include "client/fault_proxy_testing.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>

namespace trainload::client {
namespace {

constexpr size_t kMaxHead = 64 << 10;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<uint64_t> ParseDecimal(std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Buffered reading of one HTTP message from a socket.
class SocketReader {
 public:
  explicit SocketReader(int fd) : fd_(fd) {}

  // Reads until `delimiter` and returns everything before it (consumed with it).
  std::optional<std::string> ReadUntil(std::string_view delimiter, size_t limit) {
    for (;;) {
      size_t at = buffer_.find(delimiter);
      if (at != std::string::npos) {
        std::string out = buffer_.substr(0, at);
        buffer_.erase(0, at + delimiter.size());
        return out;
      }
      if (buffer_.size() > limit || !Fill()) return std::nullopt;
    }
  }
  std::optional<std::string> ReadExact(uint64_t n) {
    while (buffer_.size() < n) {
      if (!Fill()) return std::nullopt;
    }
    std::string out = buffer_.substr(0, n);
    buffer_.erase(0, n);
    return out;
  }
  std::string ReadToEof() {
    while (Fill()) {
    }
    return std::exchange(buffer_, {});
  }

 private:
  bool Fill() {
    char chunk[64 << 10];
    for (;;) {
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<size_t>(n));
      return true;
    }
  }

  const int fd_;
  std::string buffer_;
};

// A message head split into its first line and raw header lines.
struct Head {
  std::string first_line;
  std::vector<std::pair<std::string, std::string>> headers;  // name as sent, trimmed value

  std::optional<std::string> Get(std::string_view lower_name) const {
    for (const auto& [name, value] : headers) {
      if (Lower(name) == lower_name) return value;
    }
    return std::nullopt;
  }
};

Head ParseHead(std::string_view text) {
  Head head;
  size_t end = text.find("\r\n");
  head.first_line = std::string(text.substr(0, end));
  while (end != std::string_view::npos) {
    size_t start = end + 2;
    end = text.find("\r\n", start);
    std::string_view line = text.substr(start, end == std::string_view::npos ? end : end - start);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    head.headers.emplace_back(std::string(Trim(line.substr(0, colon))),
                              std::string(Trim(line.substr(colon + 1))));
  }
  return head;
}

// The head again, without the hop-by-hop headers named in `drop` (lowercase), plus `extra`.
std::string Serialize(const Head& head, std::initializer_list<std::string_view> drop,
                      std::string_view extra) {
  std::string out = head.first_line + "\r\n";
  for (const auto& [name, value] : head.headers) {
    std::string lower = Lower(name);
    if (std::find(drop.begin(), drop.end(), lower) != drop.end()) continue;
    out += name + ": " + value + "\r\n";
  }
  out += extra;
  out += "\r\n";
  return out;
}

// Reads a chunked body (after the head) and returns it de-chunked.
std::optional<std::string> ReadChunked(SocketReader& reader) {
  std::string body;
  for (int chunks = 0; chunks < 10'000'000; ++chunks) {
    auto line = reader.ReadUntil("\r\n", 4096);
    if (!line) return std::nullopt;
    std::string_view size_text = Trim(std::string_view(*line).substr(0, line->find(';')));
    uint64_t size = 0;
    auto [end, ec] =
        std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (ec != std::errc() || size_text.empty()) return std::nullopt;
    if (size == 0) {
      // Trailers, up to the empty line.
      for (;;) {
        auto trailer = reader.ReadUntil("\r\n", 4096);
        if (!trailer) return std::nullopt;
        if (trailer->empty()) return body;
      }
    }
    auto data = reader.ReadExact(size + 2);
    if (!data) return std::nullopt;
    body.append(*data, 0, size);
  }
  return std::nullopt;
}

std::string ErrorResponse(int status, std::string_view reason, std::string_view code,
                          std::string_view message, bool head_only, uint64_t request_number) {
  std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" +
                     std::string(code) + "</Code><Message>" + std::string(message) +
                     " (injected by FaultProxy)</Message><RequestId>fault-" +
                     std::to_string(request_number) + "</RequestId></Error>";
  std::string out =
      "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
      "\r\nContent-Type: application/xml\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nConnection: close\r\n\r\n";
  if (!head_only) out += body;
  return out;
}

int ConnectTo(const std::string& host, uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

std::string ProxiedRequest::Header(std::string_view name) const {
  for (const auto& [n, value] : headers) {
    if (n == name) return value;
  }
  return {};
}

std::string FaultCounts::ToString() const {
  return "requests=" + std::to_string(requests) + " passed=" + std::to_string(passed) +
         " slow_down=" + std::to_string(slow_down) +
         " internal_error=" + std::to_string(internal_error) + " reset=" + std::to_string(reset) +
         " stall=" + std::to_string(stall) + " truncate=" + std::to_string(truncate) +
         " corrupt=" + std::to_string(corrupt);
}

Result<std::unique_ptr<FaultProxy>> FaultProxy::Start(std::string upstream_host,
                                                      uint16_t upstream_port, FaultPolicy policy) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error(ErrnoStatus("FaultProxy: socket", errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = 0;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd, 256) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    int saved = errno;
    ::close(fd);
    return Error(ErrnoStatus("FaultProxy: cannot listen on 127.0.0.1:0", saved));
  }
  return std::unique_ptr<FaultProxy>(new FaultProxy(
      fd, ntohs(address.sin_port), std::move(upstream_host), upstream_port, std::move(policy)));
}

FaultProxy::FaultProxy(int listen_fd, uint16_t port, std::string upstream_host,
                       uint16_t upstream_port, FaultPolicy policy)
    : listen_fd_(listen_fd),
      port_(port),
      upstream_host_(std::move(upstream_host)),
      upstream_port_(upstream_port),
      policy_(std::move(policy)),
      rng_(policy_.seed) {
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

FaultProxy::~FaultProxy() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    // Wakes threads blocked in recv/send; the fds stay open (and owned) until their threads
    // close them, so no number is reused underneath.
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  stopping_cv_.notify_all();
  acceptor_.join();
  std::list<std::unique_ptr<Connection>> connections;
  {
    std::lock_guard lock(mu_);
    connections.swap(connections_);
  }
  for (auto& c : connections) c->thread.join();
  ::close(listen_fd_);
}

std::string FaultProxy::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void FaultProxy::SetPolicy(FaultPolicy policy) {
  std::lock_guard lock(mu_);
  policy_ = std::move(policy);
  rng_.seed(policy_.seed);
  faults_drawn_ = 0;
}

FaultCounts FaultProxy::counts() const {
  std::lock_guard lock(mu_);
  return counts_;
}

void FaultProxy::ResetCounts() {
  std::lock_guard lock(mu_);
  counts_ = FaultCounts();
}

void FaultProxy::Track(int fd) {
  std::lock_guard lock(mu_);
  open_fds_.insert(fd);
  if (stopping_) ::shutdown(fd, SHUT_RDWR);
}

void FaultProxy::Untrack(int fd) {
  std::lock_guard lock(mu_);
  open_fds_.erase(fd);
}

void FaultProxy::ReapFinished() {
  std::list<std::unique_ptr<Connection>> finished;
  {
    std::lock_guard lock(mu_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      if ((*it)->done.load()) {
        finished.push_back(std::move(*it));
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : finished) c->thread.join();
}

void FaultProxy::AcceptLoop() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    // Polling with a timeout lets the loop notice stopping_ without signals.
    pollfd p{listen_fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, 100);
    ReapFinished();
    if (ready <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto connection = std::make_unique<Connection>();
    Connection* raw = connection.get();
    std::lock_guard lock(mu_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    open_fds_.insert(fd);
    raw->thread = std::thread([this, fd, raw] {
      Serve(fd);
      raw->done.store(true);
    });
    connections_.push_back(std::move(connection));
  }
}

FaultProxy::Decision FaultProxy::Decide(const ProxiedRequest& request) {
  std::function<bool(const ProxiedRequest&)> eligible;
  {
    std::lock_guard lock(mu_);
    eligible = policy_.eligible;
  }
  // Called without the lock: the predicate is the test's code.
  bool applies = !eligible || eligible(request);
  std::lock_guard lock(mu_);
  Decision decision;
  decision.stall_for = policy_.stall_for;
  decision.cut_after = policy_.cut_after;
  decision.random = rng_();
  if (!applies || (policy_.max_faults > 0 && faults_drawn_ >= policy_.max_faults)) {
    return decision;
  }
  double draw = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  const std::pair<double, FaultKind> table[] = {{policy_.slow_down, FaultKind::kSlowDown},
                                                {policy_.internal_error, FaultKind::kInternalError},
                                                {policy_.reset, FaultKind::kReset},
                                                {policy_.stall, FaultKind::kStall},
                                                {policy_.truncate, FaultKind::kTruncate},
                                                {policy_.corrupt, FaultKind::kCorrupt}};
  double cumulative = 0;
  for (const auto& [probability, kind] : table) {
    cumulative += probability;
    if (draw < cumulative) {
      decision.kind = kind;
      ++faults_drawn_;
      break;
    }
  }
  return decision;
}

void FaultProxy::Count(FaultKind kind) {
  std::lock_guard lock(mu_);
  ++counts_.requests;
  switch (kind) {
    case FaultKind::kPass:
      ++counts_.passed;
      break;
    case FaultKind::kSlowDown:
      ++counts_.slow_down;
      break;
    case FaultKind::kInternalError:
      ++counts_.internal_error;
      break;
    case FaultKind::kReset:
      ++counts_.reset;
      break;
    case FaultKind::kStall:
      ++counts_.stall;
      break;
    case FaultKind::kTruncate:
      ++counts_.truncate;
      break;
    case FaultKind::kCorrupt:
      ++counts_.corrupt;
      break;
  }
}

void FaultProxy::SleepUnlessStopping(std::chrono::milliseconds duration) {
  std::unique_lock lock(mu_);
  stopping_cv_.wait_for(lock, duration, [this] { return stopping_; });
}

void FaultProxy::Serve(int client_fd) {
  int upstream_fd = -1;
  bool reset = false;  // close the client side with RST instead of FIN
  auto finish = [&] {
    if (upstream_fd >= 0) {
      Untrack(upstream_fd);
      ::close(upstream_fd);
    }
    if (reset) {
      linger abortive{1, 0};
      ::setsockopt(client_fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
    } else {
      ::shutdown(client_fd, SHUT_WR);
    }
    Untrack(client_fd);
    ::close(client_fd);
  };

  SocketReader from_client(client_fd);
  auto head_text = from_client.ReadUntil("\r\n\r\n", kMaxHead);
  if (!head_text) return finish();
  Head head = ParseHead(*head_text);
  ProxiedRequest request;
  {
    size_t space = head.first_line.find(' ');
    size_t second = head.first_line.find(' ', space + 1);
    request.method = head.first_line.substr(0, space);
    request.target = head.first_line.substr(space + 1, second - space - 1);
    for (const auto& [name, value] : head.headers) request.headers.emplace_back(Lower(name), value);
  }
  if (head.Get("transfer-encoding")) {
    // The trainload client always sends a Content-Length; this proxy supports nothing else.
    SendAll(client_fd, ErrorResponse(501, "Not Implemented", "NotImplemented",
                                     "FaultProxy does not forward chunked request bodies",
                                     request.method == "HEAD", 0));
    return finish();
  }
  request.body_size = ParseDecimal(head.Get("content-length").value_or("0")).value_or(0);
  if (Lower(head.Get("expect").value_or("")) == "100-continue") {
    if (!SendAll(client_fd, "HTTP/1.1 100 Continue\r\n\r\n")) return finish();
  }
  auto body = from_client.ReadExact(request.body_size);
  if (!body) return finish();

  std::function<void(const ProxiedRequest&)> on_request;
  {
    std::lock_guard lock(mu_);
    on_request = policy_.on_request;
  }
  if (on_request) on_request(request);
  Decision decision = Decide(request);
  const bool head_only = request.method == "HEAD";
  uint64_t request_number = counts().requests + 1;

  if (decision.kind == FaultKind::kSlowDown) {
    Count(decision.kind);
    SendAll(client_fd,
            ErrorResponse(503, "Slow Down", "SlowDown", "Please reduce your request rate.",
                          head_only, request_number));
    return finish();
  }
  if (decision.kind == FaultKind::kInternalError) {
    Count(decision.kind);
    SendAll(client_fd, ErrorResponse(500, "Internal Server Error", "InternalError",
                                     "We encountered an internal error. Please try again.",
                                     head_only, request_number));
    return finish();
  }

  // Forward: one request per upstream connection, so the response ends where the server says.
  upstream_fd = ConnectTo(upstream_host_, upstream_port_);
  if (upstream_fd < 0) {
    Count(FaultKind::kPass);
    SendAll(client_fd, ErrorResponse(502, "Bad Gateway", "InternalError",
                                     "FaultProxy cannot reach the upstream server", head_only,
                                     request_number));
    return finish();
  }
  Track(upstream_fd);
  std::string upstream_request = Serialize(
      head, {"connection", "keep-alive", "expect", "proxy-connection"}, "Connection: close\r\n");
  if (!SendAll(upstream_fd, upstream_request) || !SendAll(upstream_fd, *body)) return finish();

  SocketReader from_upstream(upstream_fd);
  auto response_text = from_upstream.ReadUntil("\r\n\r\n", kMaxHead);
  if (!response_text) return finish();
  Head response = ParseHead(*response_text);
  int status = 0;
  if (size_t space = response.first_line.find(' '); space != std::string::npos) {
    status = std::atoi(response.first_line.c_str() + space + 1);
  }
  std::string response_body;
  bool rewrite_length = false;
  if (head_only || status == 204 || status == 304 || (status >= 100 && status < 200)) {
    // No body follows, whatever Content-Length says.
  } else if (Lower(response.Get("transfer-encoding").value_or("")).find("chunked") !=
             std::string::npos) {
    auto dechunked = ReadChunked(from_upstream);
    if (!dechunked) return finish();
    response_body = std::move(*dechunked);
    rewrite_length = true;
  } else if (auto length = response.Get("content-length")) {
    auto exact = from_upstream.ReadExact(ParseDecimal(*length).value_or(0));
    if (!exact) return finish();
    response_body = std::move(*exact);
  } else {
    response_body = from_upstream.ReadToEof();
    rewrite_length = true;
  }
  std::string response_head =
      rewrite_length
          ? Serialize(response, {"connection", "keep-alive", "transfer-encoding", "content-length"},
                      "Content-Length: " + std::to_string(response_body.size()) +
                          "\r\nConnection: close\r\n")
          : Serialize(response, {"connection", "keep-alive"}, "Connection: close\r\n");

  // Faults that need a body fall back to passing when there is none to spoil.
  FaultKind kind = decision.kind;
  const bool has_body = !response_body.empty();
  if ((kind == FaultKind::kTruncate && !has_body) ||
      (kind == FaultKind::kCorrupt && (!has_body || status < 200 || status >= 300))) {
    kind = FaultKind::kPass;
  }
  Count(kind);
  size_t cut = 0;
  if (has_body) {
    cut =
        decision.cut_after
            ? static_cast<size_t>(std::min<uint64_t>(*decision.cut_after, response_body.size() - 1))
            : static_cast<size_t>(decision.random % response_body.size());
  }
  switch (kind) {
    case FaultKind::kReset:
      // An empty body: reset before the head, so the response is lost entirely.
      if (has_body) {
        SendAll(client_fd, response_head);
        SendAll(client_fd, std::string_view(response_body).substr(0, cut));
      }
      reset = true;
      return finish();
    case FaultKind::kStall:
      if (has_body) {
        SendAll(client_fd, response_head);
        SendAll(client_fd, std::string_view(response_body).substr(0, cut));
      }
      SleepUnlessStopping(decision.stall_for);
      reset = true;
      return finish();
    case FaultKind::kTruncate:
      SendAll(client_fd, response_head);
      SendAll(client_fd, std::string_view(response_body).substr(0, cut));
      return finish();
    case FaultKind::kCorrupt:
      response_body[cut] = static_cast<char>(response_body[cut] ^
                                             static_cast<char>(1 + (decision.random >> 32) % 255));
      [[fallthrough]];
    default:
      SendAll(client_fd, response_head);
      SendAll(client_fd, response_body);
      return finish();
  }
}

}  // namespace trainload::client
