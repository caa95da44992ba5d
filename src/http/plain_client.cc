#include "http/plain_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstring>

#include "http/plain_response.h"
#include "http/request_parser.h"

namespace trainload::http {
namespace {

using SteadyClock = std::chrono::steady_clock;

// The first read of a response takes at most this much: enough for the head and a small body,
// while the rest of a larger body stays in the socket to be received in place
// (ResponseSink::BodyDestination) instead of copied out of the connection's buffer.
constexpr size_t kHeadReadBytes = 32 * 1024;

// Socket errors: timeouts are kDeadlineExceeded, everything else kUnavailable (refused, reset,
// unreachable: the retryable kinds).
Status SocketError(std::string_view what, int error) {
  std::string message = std::string(what) + ": " + std::strerror(error);
  if (error == ETIMEDOUT) return Status(StatusCode::kDeadlineExceeded, std::move(message));
  return Unavailable(std::move(message));
}

Status Aborted() { return Status(StatusCode::kCancelled, "response aborted by its receiver"); }

bool ValidPort(std::string_view port) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  return !port.empty() && port.size() <= 5 && ec == std::errc() &&
         end == port.data() + port.size() && value > 0 && value <= 65535;
}

// The in-memory request body: the owned string, else the borrowed span.
std::span<const std::byte> BodyOf(const ClientRequest& request) {
  if (!request.body.empty()) return std::as_bytes(std::span(request.body));
  return request.body_view;
}

uint64_t BodyLength(const ClientRequest& request) {
  return request.body_file.fd >= 0 ? request.body_file.length : BodyOf(request).size();
}

// SIGPIPE blocked on the calling thread for a scope: sendfile(2), unlike send(2), cannot be told
// MSG_NOSIGNAL, and the signal's default action would end the process when the server resets
// the connection. A SIGPIPE raised meanwhile is taken off the thread before the old mask returns.
class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeBlocked() {
    if (!sigismember(&old_, SIGPIPE)) {
      timespec zero{};
      while (sigtimedwait(&pipe_, nullptr, &zero) == SIGPIPE) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

 private:
  sigset_t pipe_;
  sigset_t old_;
};

// A request body file that could not be read: not worth retrying.
Status BodyFileReadError(const BodyFile& file, uint64_t sent, int error) {
  return Status(StatusCode::kAborted, "reading " + file.name + " at byte " +
                                          std::to_string(file.offset + sent) + ": " +
                                          std::strerror(error));
}

// The request head: request line, Host (unless given), the request's fields, Content-Length
// for a PUT (always: S3 refuses a PUT without one, even an empty one), blank line.
Result<std::string> BuildHead(const ClientRequest& request, const PlainUrl& url) {
  std::string head;
  head.reserve(512);
  head.append(request.method).append(" ").append(url.target).append(" HTTP/1.1\r\n");
  if (!request.headers.Has("host")) head.append("Host: ").append(url.authority).append("\r\n");
  const std::string length = std::to_string(BodyLength(request));
  for (const auto& [name, value] : request.headers.entries()) {
    // A CR or LF would end the field early and let the value inject fields of its own.
    if (name.find_first_of("\r\n:") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      return Error(InvalidArgument("HTTP header field " + name +
                                   " contains a line break or a colon in its name"));
    }
    if (EqualsIgnoreCase(name, "content-length")) {
      // The body's framing is this client's: a different length would cut the stream wrong.
      if (value != length) {
        return Error(InvalidArgument("Content-Length " + value + " given for a body of " + length +
                                     " bytes"));
      }
      continue;
    }
    head.append(name).append(": ").append(value).append("\r\n");
  }
  if (request.method == "PUT") head.append("Content-Length: ").append(length).append("\r\n");
  head.append("\r\n");
  return head;
}

}  // namespace

Status BodyFileEndedEarly(const BodyFile& file, uint64_t sent) {
  return Status(StatusCode::kAborted, file.name + " ends at byte " +
                                          std::to_string(file.offset + sent) +
                                          ", before the request body's last byte " +
                                          std::to_string(file.offset + file.length) +
                                          ": the file changed during the upload");
}

std::optional<PlainUrl> ParsePlainUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return std::nullopt;
  url.remove_prefix(kScheme.size());
  size_t end = url.find_first_of("/?#");
  std::string_view authority = url.substr(0, end);
  std::string_view rest = end == std::string_view::npos ? "" : url.substr(end);
  rest = rest.substr(0, rest.find('#'));
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  std::string_view host = authority;
  std::string_view port = "80";
  if (authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      if (after.size() > 1) port = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      if (colon + 1 < authority.size()) port = authority.substr(colon + 1);
    }
    if (host.find(':') != std::string_view::npos) return std::nullopt;
  }
  if (host.empty() || !ValidPort(port)) return std::nullopt;
  for (char c : rest) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return std::nullopt;
  }
  PlainUrl out;
  out.host = std::string(host);
  out.port = std::string(port);
  out.authority = std::string(authority);
  if (rest.empty() || rest.front() == '?') out.target = "/";
  out.target += rest;
  return out;
}

// The clock of one exchange: its overall deadline and the stall check.
struct PlainClient::Progress {
  Progress(const ClientOptions& options, std::chrono::milliseconds timeout)
      : window(options.stall_window),
        min_window_bytes(options.stall_bytes_per_second *
                         static_cast<uint64_t>(std::max<int64_t>(options.stall_window.count(), 1))) {
    SteadyClock::time_point now = SteadyClock::now();
    window_start = now;
    if (timeout.count() > 0) deadline = now + timeout;
    // How long one receive may block before the clocks are looked at again.
    std::chrono::milliseconds limit = std::chrono::duration_cast<std::chrono::milliseconds>(window);
    if (timeout.count() > 0) limit = std::min(limit, timeout);
    tick = std::clamp(limit / 4, std::chrono::milliseconds(5), std::chrono::milliseconds(1000));
  }

  // kDeadlineExceeded once the exchange has run out of time or moved fewer than
  // min_window_bytes in a whole stall window.
  Status Check(uint64_t new_bytes) {
    window_bytes += new_bytes;
    SteadyClock::time_point now = SteadyClock::now();
    if (deadline && now >= *deadline) {
      return Status(StatusCode::kDeadlineExceeded, "the request timed out");
    }
    if (now - window_start >= window) {
      if (window_bytes < min_window_bytes) {
        return Status(StatusCode::kDeadlineExceeded,
                      "the transfer stalled: " + std::to_string(window_bytes) + " bytes in " +
                          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                             now - window_start)
                                             .count()) +
                          " s");
      }
      window_start = now;
      window_bytes = 0;
    }
    return Status::Ok();
  }

  // What is left of the deadline, capped at `cap`.
  std::chrono::milliseconds Remaining(std::chrono::milliseconds cap) const {
    if (!deadline) return cap;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline -
                                                                      SteadyClock::now());
    return std::clamp(left, std::chrono::milliseconds(0), cap);
  }

  const SteadyClock::duration window;
  const uint64_t min_window_bytes;
  std::optional<SteadyClock::time_point> deadline;
  SteadyClock::time_point window_start;
  uint64_t window_bytes = 0;
  std::chrono::milliseconds tick{1000};
};

struct PlainClient::Connection {
  ~Connection() {
    if (fd >= 0) ::close(fd);
  }

  // Makes blocking sends and receives wake up every `tick` to look at the clocks.
  void SetTick(std::chrono::milliseconds tick) {
    if (tick == current_tick) return;
    timeval tv{};
    tv.tv_sec = tick.count() / 1000;
    tv.tv_usec = (tick.count() % 1000) * 1000;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    current_tick = tick;
  }

  // Receives at least one byte into `into`; 0 when the peer closed.
  Result<size_t> Receive(std::span<std::byte> into, Progress& progress) {
    for (;;) {
      ssize_t n = ::recv(fd, into.data(), into.size(), 0);
      if (n > 0) {
        TL_RETURN_IF_ERROR(progress.Check(static_cast<uint64_t>(n)));
        return static_cast<size_t>(n);
      }
      if (n == 0) return size_t{0};
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        return Error(SocketError("receiving the response from " + key, errno));
      }
      TL_RETURN_IF_ERROR(progress.Check(0));
    }
  }

  // Sends `head`, then `body` straight from the caller's memory (one sendmsg(2) for both, no
  // copy in user space). Stops early, with `answered` set, when the server has begun to answer
  // before taking the whole body (an error such as 403 or 400; it may never read the rest), so
  // that the response can be read instead of waiting for a send that never ends. A send that
  // fails because the peer closed after such an answer sets `answered` too when response bytes
  // are waiting to be read.
  Status SendRequest(std::string_view head, std::span<const std::byte> body, Progress& progress,
                     bool& answered) {
    answered = false;
    iovec pieces[2] = {{const_cast<char*>(head.data()), head.size()},
                       {const_cast<std::byte*>(body.data()), body.size()}};
    size_t first = 0;  // the first piece with bytes left
    while (first < 2) {
      if (pieces[first].iov_len == 0) {
        ++first;
        continue;
      }
      msghdr message{};
      message.msg_iov = pieces + first;
      message.msg_iovlen = 2 - first;
      ssize_t n = ::sendmsg(fd, &message, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        const int error = errno;
        // The server may have answered and closed without reading the rest (a refused upload):
        // its answer says more than "connection reset".
        answered = ResponseWaiting();
        if (answered) return Status::Ok();
        return SocketError("sending the request to " + key, error);
      }
      size_t sent = n > 0 ? static_cast<size_t>(n) : 0;
      TL_RETURN_IF_ERROR(progress.Check(sent));
      for (size_t i = first; i < 2 && sent > 0; ++i) {
        size_t taken = std::min(sent, pieces[i].iov_len);
        pieces[i].iov_base = static_cast<char*>(pieces[i].iov_base) + taken;
        pieces[i].iov_len -= taken;
        sent -= taken;
      }
      // A blocking send returns short only when the send timeout (the clock tick) ran out: the
      // server is not taking bytes. If it has answered, the answer is what counts.
      if (pieces[1].iov_len > 0 && ResponseWaiting()) {
        answered = true;
        return Status::Ok();
      }
    }
    return Status::Ok();
  }

  // SendRequest for a body in a file: the head (MSG_MORE, so that it leaves with the first body
  // bytes), then the file range with sendfile(2), whose pages go to the socket without being
  // copied into this process. A file sendfile cannot read (a file system without splice
  // support) is sent through the connection's buffer instead.
  Status SendFileRequest(std::string_view head, const BodyFile& file, Progress& progress,
                         bool& answered) {
    answered = false;
    const int more = file.length > 0 ? MSG_MORE : 0;
    while (!head.empty()) {
      ssize_t n = ::send(fd, head.data(), head.size(), MSG_NOSIGNAL | more);
      if (n > 0) {
        head.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        TL_RETURN_IF_ERROR(progress.Check(0));
        continue;
      }
      return SocketError("sending the request to " + key, n < 0 ? errno : EPIPE);
    }
    SigpipeBlocked no_sigpipe;
    uint64_t sent = 0;
    bool copying = false;  // through `buffer`, with pread(2) and send(2)
    while (sent < file.length) {
      off_t at = static_cast<off_t>(file.offset + sent);
      if (copying) {
        size_t want = static_cast<size_t>(std::min<uint64_t>(file.length - sent, capacity));
        ssize_t n = ::pread(file.fd, buffer.get(), want, at);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return BodyFileReadError(file, sent, errno);
        if (n == 0) return BodyFileEndedEarly(file, sent);
        TL_RETURN_IF_ERROR(SendAll(
            std::string_view(reinterpret_cast<const char*>(buffer.get()), static_cast<size_t>(n)),
            progress, answered));
        if (answered) return Status::Ok();
        sent += static_cast<uint64_t>(n);
        continue;
      }
      // At most 1 GiB per call: sendfile(2) moves at most ~2 GiB at once anyway.
      size_t want = static_cast<size_t>(std::min<uint64_t>(file.length - sent, 1ull << 30));
      ssize_t n = ::sendfile(fd, file.fd, &at, want);
      if (n == 0) return BodyFileEndedEarly(file, sent);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EINVAL || errno == ENOSYS) && sent == 0) {
        copying = true;
        continue;
      }
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        const int error = errno;
        answered = ResponseWaiting();
        if (answered) return Status::Ok();
        if (error == EBADF || error == EINVAL || error == EIO) {
          return BodyFileReadError(file, sent, error);
        }
        return SocketError("sending the request to " + key, error);
      }
      uint64_t moved = n > 0 ? static_cast<uint64_t>(n) : 0;
      sent += moved;
      TL_RETURN_IF_ERROR(progress.Check(moved));
      if (sent < file.length && ResponseWaiting()) {
        answered = true;
        return Status::Ok();
      }
    }
    return Status::Ok();
  }

  // Sends all of `data` (the copying path of SendFileRequest), stopping early as SendRequest does.
  Status SendAll(std::string_view data, Progress& progress, bool& answered) {
    return SendRequest({}, std::as_bytes(std::span(data.data(), data.size())), progress, answered);
  }

  // Whether the server has sent something (or closed) that can be read without waiting.
  bool ResponseWaiting() const {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR)) != 0;
  }

  int fd = -1;
  std::string key;  // "host:port" of the pool
  std::unique_ptr<std::byte[]> buffer;
  size_t capacity = 0;
  std::chrono::milliseconds current_tick{0};
};

PlainClient::PlainClient(const ClientOptions& options) : options_(options) {}
PlainClient::~PlainClient() = default;

std::optional<PlainUrl> PlainClient::Accepts(const ClientRequest& request) {
  if (request.body_source || request.headers.Has("transfer-encoding")) return std::nullopt;
  const bool has_body =
      !request.body.empty() || !request.body_view.empty() || request.body_file.fd >= 0;
  if (request.method == "PUT") {
    // Any PUT whose body is in memory or in a file (UploadPart, PutObject, bodiless ones).
  } else if (has_body ||
             (request.method != "GET" && request.method != "HEAD" && request.method != "DELETE")) {
    return std::nullopt;
  }
  return ParsePlainUrl(request.url);
}

Result<std::unique_ptr<PlainClient::Connection>> PlainClient::Connect(const PlainUrl& url,
                                                                      const Progress& progress) {
  std::string where = url.host + ":" + url.port;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  // Every name under .localhost is the loopback host (RFC 6761), e.g. a bucket addressed
  // virtual-hosted style on a local endpoint; libcurl resolves them so, glibc does not.
  std::string host = url.host;
  if (host.size() > 10 && EqualsIgnoreCase(std::string_view(host).substr(host.size() - 10),
                                           ".localhost")) {
    host = "localhost";
  }
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), url.port.c_str(), &hints, &found); rc != 0) {
    return Error(Unavailable("cannot resolve host " + url.host + ": " + gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(found, freeaddrinfo);
  Status last = Unavailable("no address for " + where);
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    auto c = std::make_unique<Connection>();
    c->key = where;
    c->fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                     ai->ai_protocol);
    if (c->fd < 0) {
      last = SocketError("creating a socket for " + where, errno);
      continue;
    }
    if (::connect(c->fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        last = SocketError("connecting to " + where, errno);
        continue;
      }
      std::chrono::milliseconds wait = progress.Remaining(options_.connect_timeout);
      pollfd p{c->fd, POLLOUT, 0};
      int ready = 0;
      do {
        ready = ::poll(&p, 1, static_cast<int>(wait.count()));
      } while (ready < 0 && errno == EINTR);
      if (ready == 0) {
        last = Status(StatusCode::kDeadlineExceeded,
                      "connecting to " + where + " timed out after " +
                          std::to_string(wait.count()) + " ms");
        continue;
      }
      int error = 0;
      socklen_t length = sizeof error;
      ::getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &length);
      if (ready < 0 || error != 0) {
        last = SocketError("connecting to " + where, ready < 0 ? errno : error);
        continue;
      }
    }
    // Blocking from here on: each receive is one recv(2), woken by SO_RCVTIMEO to look at the
    // clocks.
    ::fcntl(c->fd, F_SETFL, ::fcntl(c->fd, F_GETFL) & ~O_NONBLOCK);
    int one = 1;
    ::setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->capacity = std::max<size_t>(options_.receive_buffer_bytes, kHeadReadBytes);
    c->buffer = std::make_unique_for_overwrite<std::byte[]>(c->capacity);
    return c;
  }
  return Error(last);
}

std::unique_ptr<PlainClient::Connection> PlainClient::TakeIdle(const std::string& key) {
  std::lock_guard lock(mu_);
  for (auto it = idle_.rbegin(); it != idle_.rend(); ++it) {
    if ((*it)->key == key) {
      std::unique_ptr<Connection> c = std::move(*it);
      idle_.erase(std::next(it).base());
      return c;
    }
  }
  return nullptr;
}

void PlainClient::ReturnIdle(std::unique_ptr<Connection> connection) {
  std::unique_ptr<Connection> evicted;  // closed outside the lock
  std::lock_guard lock(mu_);
  if (idle_.size() >= options_.max_connections) {
    evicted = std::move(idle_.front());
    idle_.erase(idle_.begin());
  }
  idle_.push_back(std::move(connection));
}

Status PlainClient::Exchange(Connection& c, const ClientRequest& request, std::string_view head,
                             ResponseSink& sink, Progress& progress, bool& responded,
                             bool& reusable) {
  responded = false;
  reusable = false;
  c.SetTick(progress.tick);
  bool answered_early = false;
  if (request.body_file.fd >= 0) {
    TL_RETURN_IF_ERROR(c.SendFileRequest(head, request.body_file, progress, answered_early));
  } else {
    TL_RETURN_IF_ERROR(c.SendRequest(head, BodyOf(request), progress, answered_early));
  }

  // The head, skipping interim (1xx) responses.
  std::byte* buffer = c.buffer.get();
  size_t filled = 0;
  std::optional<ResponseHead> parsed;
  while (!parsed) {
    size_t room = std::min(c.capacity, kHeadReadBytes) - std::min(filled, kHeadReadBytes);
    if (room == 0) {
      return Unavailable("the response head from " + c.key + " is larger than " +
                         std::to_string(kHeadReadBytes) + " bytes");
    }
    TL_ASSIGN_OR_RETURN(size_t n, c.Receive(std::span(buffer + filled, room), progress));
    if (n == 0) {
      return Unavailable(responded ? "the connection to " + c.key + " closed inside the response head"
                                   : "the connection to " + c.key + " closed before a response");
    }
    responded = true;
    filled += n;
    for (;;) {
      TL_ASSIGN_OR_RETURN(parsed, ParseResponseHead(std::string_view(
                                      reinterpret_cast<const char*>(buffer), filled)));
      if (!parsed || parsed->status >= 200 || parsed->status == 101) break;
      std::memmove(buffer, buffer + parsed->head_bytes, filled - parsed->head_bytes);
      filled -= parsed->head_bytes;
      parsed.reset();
    }
  }
  size_t pos = parsed->head_bytes;
  if (!sink.OnHead(parsed->status, parsed->headers)) return Aborted();
  if (ResponseHasNoBody(request.method, parsed->status)) {
    reusable = parsed->keep_alive && pos == filled && !answered_early;
    return Status::Ok();
  }

  if (parsed->content_length) {
    const uint64_t length = *parsed->content_length;
    uint64_t remaining = length;
    size_t have = static_cast<size_t>(std::min<uint64_t>(filled - pos, remaining));
    if (have > 0 && !sink.OnBody(std::span<const std::byte>(buffer + pos, have))) {
      return Aborted();
    }
    remaining -= have;
    bool surplus = pos + have < filled;  // bytes past the body: do not trust the connection
    while (remaining > 0) {
      std::span<std::byte> into = sink.BodyDestination();
      bool in_place = !into.empty();
      if (!in_place) into = std::span(buffer, c.capacity);
      into = into.first(static_cast<size_t>(std::min<uint64_t>(into.size(), remaining)));
      TL_ASSIGN_OR_RETURN(size_t n, c.Receive(into, progress));
      if (n == 0) {
        return Unavailable("the response body from " + c.key + " was truncated: the connection closed after " +
                           std::to_string(length - remaining) + " of " + std::to_string(length) +
                           " bytes");
      }
      if (!(in_place ? sink.OnBodyReceived(n) : sink.OnBody(into.first(n)))) return Aborted();
      remaining -= n;
    }
    // A body cut short leaves the server mid-request: the connection cannot carry another.
    reusable = parsed->keep_alive && !surplus && !answered_early;
    return Status::Ok();
  }

  if (parsed->chunked) {
    // Rare from S3 servers (bodies come with a length); decoded through a small buffer.
    ChunkedDecoder decoder;
    std::byte decoded[16 * 1024];
    for (;;) {
      while (pos < filled && !decoder.done()) {
        Result<ChunkedDecoder::Step> step =
            decoder.Decode(std::span<const std::byte>(buffer + pos, filled - pos), decoded);
        if (!step.has_value()) {
          return Unavailable("malformed chunked response body from " + c.key + ": " +
                             step.error().message());
        }
        pos += step->consumed;
        if (step->produced > 0 &&
            !sink.OnBody(std::span<const std::byte>(decoded, step->produced))) {
          return Aborted();
        }
      }
      if (decoder.done()) break;
      TL_ASSIGN_OR_RETURN(size_t n, c.Receive(std::span(buffer, c.capacity), progress));
      if (n == 0) {
        return Unavailable("the chunked response body from " + c.key +
                           " was truncated: the connection closed before its last chunk");
      }
      pos = 0;
      filled = n;
    }
    reusable = parsed->keep_alive && pos == filled && !answered_early;
    return Status::Ok();
  }

  // Neither a length nor chunks: the body ends when the server closes the connection.
  if (pos < filled && !sink.OnBody(std::span<const std::byte>(buffer + pos, filled - pos))) {
    return Aborted();
  }
  for (;;) {
    TL_ASSIGN_OR_RETURN(size_t n, c.Receive(std::span(buffer, c.capacity), progress));
    if (n == 0) return Status::Ok();
    if (!sink.OnBody(std::span<const std::byte>(buffer, n))) return Aborted();
  }
}

void PlainClient::Perform(const ClientRequest& request, const PlainUrl& url, ResponseSink& sink) {
  Result<std::string> head = BuildHead(request, url);
  if (!head.has_value()) {
    sink.OnDone(head.error().WithContext(request.method + " " + request.url));
    return;
  }
  Progress progress(options_, request.timeout);
  std::string key = url.host + ":" + url.port;
  Status status;
  // A pooled connection the server closed while it sat idle fails before any response byte:
  // the request is then sent once more, on a new connection.
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<Connection> c = attempt == 0 ? TakeIdle(key) : nullptr;
    bool reused = c != nullptr;
    if (!c) {
      Result<std::unique_ptr<Connection>> made = Connect(url, progress);
      if (!made.has_value()) {
        status = made.error();
        break;
      }
      c = std::move(*made);
    }
    bool responded = false;
    bool reusable = false;
    status = Exchange(*c, request, *head, sink, progress, responded, reusable);
    if (status.ok() && reusable) ReturnIdle(std::move(c));
    if (status.ok() || !reused || responded || status.code() != StatusCode::kUnavailable) break;
  }
  if (!status.ok() && status.code() != StatusCode::kCancelled) {
    status = status.WithContext(request.method + " " + request.url);
  }
  sink.OnDone(std::move(status));
}

}  // namespace trainload::http
