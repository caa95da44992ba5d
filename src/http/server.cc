#include "http/server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <list>
#include <mutex>
#include <thread>

#include "http/connection.h"
#include "http/transport.h"

namespace trainload::http {
namespace {

std::string AddressText(const sockaddr_storage& address) {
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (address.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&address);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&address);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

Result<int> Listen(const ServerOptions& options) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string port = std::to_string(options.port);
  std::string where = options.host + ":" + port;
  if (int rc = getaddrinfo(options.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return Error(InvalidArgument("cannot resolve listen address " + where + ": " +
                                 gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(found, freeaddrinfo);
  Status last = Unavailable("no usable address for " + where);
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last = ErrnoStatus("socket for " + where, errno);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, 1024) != 0) {
      last = ErrnoStatus("cannot listen on " + where, errno);
      if (errno == EADDRINUSE) last = Unavailable("cannot listen on " + where + ": address in use");
      ::close(fd);
      continue;
    }
    return fd;
  }
  return Error(last);
}

}  // namespace

class Server::Impl {
 public:
  Impl(const ServerOptions& options, Handler& handler, int listen_fd,
       std::unique_ptr<TlsContext> tls)
      : options_(options), handler_(handler), listen_fd_(listen_fd), tls_(std::move(tls)) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = address.ss_family == AF_INET6
                ? ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port)
                : ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~Impl() { Stop(); }

  uint16_t port() const { return port_; }
  bool tls() const { return tls_ != nullptr; }
  const ServerOptions& options() const { return options_; }

  void Stop() {
    if (stopping_.exchange(true)) {
      if (acceptor_.joinable()) acceptor_.join();
      return;
    }
    ::shutdown(listen_fd_, SHUT_RDWR);
    if (acceptor_.joinable()) acceptor_.join();
    ::close(listen_fd_);
    std::unique_lock lock(mu_);
    for (Connection* c : live_) c->Stop();
    all_closed_.wait(lock, [this] { return live_.empty() && starting_ == 0; });
  }

 private:
  void AcceptLoop() {
    while (!stopping_.load()) {
      pollfd p{listen_fd_, POLLIN, 0};
      int ready = ::poll(&p, 1, 200);
      if (ready <= 0) continue;
      sockaddr_storage address{};
      socklen_t length = sizeof address;
      int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length, SOCK_CLOEXEC);
      if (fd < 0) continue;  // EAGAIN, ECONNABORTED, EMFILE: keep serving the others
      {
        std::lock_guard lock(mu_);
        if (live_.size() >= options_.max_connections) {
          ::close(fd);
          continue;
        }
      }
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      timeval tv{};
      tv.tv_sec = options_.io_timeout.count() / 1000;
      tv.tv_usec = (options_.io_timeout.count() % 1000) * 1000;
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      std::string remote = AddressText(address);
      std::lock_guard lock(mu_);
      ++starting_;
      std::thread([this, fd, remote = std::move(remote)] { RunConnection(fd, remote); }).detach();
    }
  }

  void RunConnection(int fd, std::string remote) {
    // A peer that resets the connection mid-response makes sendfile(2) and the TLS socket writes
    // fail with EPIPE and raise SIGPIPE, whose default action kills the whole process (send()
    // can say MSG_NOSIGNAL, sendfile cannot). Blocked in this thread, the signal stays pending
    // here, dies with the thread, and the write just fails; the process disposition is untouched.
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
    std::unique_ptr<Transport> transport;
    if (tls_) {
      auto t = MakeTlsTransport(fd, *tls_, options_.io_timeout);
      if (t.has_value()) transport = std::move(*t);
    } else {
      transport = MakePlainTransport(fd);
    }
    std::unique_ptr<Connection> connection;
    if (transport) {
      connection = std::make_unique<Connection>(std::move(transport), options_, handler_,
                                                std::move(remote), tls_ != nullptr);
    }
    {
      std::lock_guard lock(mu_);
      --starting_;
      if (connection) {
        if (stopping_.load()) {
          connection->Stop();
        }
        live_.push_back(connection.get());
      }
    }
    if (connection) connection->Serve();
    std::lock_guard lock(mu_);
    if (connection) live_.remove(connection.get());
    connection.reset();
    if (live_.empty() && starting_ == 0) all_closed_.notify_all();
  }

  const ServerOptions options_;
  Handler& handler_;
  const int listen_fd_;
  const std::unique_ptr<TlsContext> tls_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;

  std::mutex mu_;
  std::list<Connection*> live_;  // guarded by mu_
  int starting_ = 0;             // guarded by mu_: threads not yet registered in live_
  std::condition_variable all_closed_;
};

Result<std::unique_ptr<Server>> Server::Start(const ServerOptions& options, Handler& handler) {
  std::unique_ptr<TlsContext> tls;
  if (!options.tls_cert_path.empty() || !options.tls_key_path.empty()) {
    if (options.tls_cert_path.empty() || options.tls_key_path.empty()) {
      return Error(InvalidArgument("TLS needs both a certificate and a private key"));
    }
    TL_ASSIGN_OR_RETURN(tls, TlsContext::Create(options.tls_cert_path, options.tls_key_path));
  }
  TL_ASSIGN_OR_RETURN(int fd, Listen(options));
  return std::unique_ptr<Server>(
      new Server(std::make_unique<Impl>(options, handler, fd, std::move(tls))));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

uint16_t Server::port() const { return impl_->port(); }

std::string Server::url() const {
  std::string host = impl_->options().host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return std::string(impl_->tls() ? "https://" : "http://") + host + ":" +
         std::to_string(impl_->port());
}

void Server::Stop() { impl_->Stop(); }

}  // namespace trainload::http
