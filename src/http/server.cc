#include "http/server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

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

namespace {

// A plain-TCP connection under the epoll loop. Only the worker that took its (one-shot) event
// touches `connection` other than through Stop(); the entry is freed only by such a worker.
struct Polled {
  std::unique_ptr<Connection> connection;
  int fd = -1;
  // When it times out if still waiting for input (steady-clock ms); kBusy while a worker has it.
  std::atomic<int64_t> deadline_ms{0};
  std::list<Polled*>::iterator where;  // in Impl::polled_, guarded by Impl::mu_

  static constexpr int64_t kBusy = INT64_MAX;
};

// One thread of the epoll worker pool.
struct Worker {
  // Steady-clock ms since which it has been serving a connection; 0 while it waits for events.
  std::atomic<int64_t> busy_since_ms{0};
  bool parked = false;  // guarded by Impl::mu_: off epoll, waiting on `unpark`
  std::condition_variable unpark;
  std::thread thread;
};

}  // namespace

class Server::Impl {
 public:
  Impl(const ServerOptions& options, Handler& handler, int listen_fd,
       std::unique_ptr<TlsContext> tls, int epoll_fd, int stop_fd)
      : options_(options),
        handler_(handler),
        listen_fd_(listen_fd),
        tls_(std::move(tls)),
        epoll_fd_(epoll_fd),
        stop_fd_(stop_fd) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = address.ss_family == AF_INET6
                ? ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port)
                : ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
    if (!tls_) {
      std::lock_guard lock(mu_);
      while (static_cast<int>(workers_.size()) < target_workers_) AddWorkerLocked();
    }
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~Impl() {
    Stop();
    ::close(epoll_fd_);
    ::close(stop_fd_);
  }

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
    std::vector<std::unique_ptr<Worker>> workers;
    {
      std::unique_lock lock(mu_);
      // Idle polled connections become readable once shut down, and a worker finishes them;
      // busy ones see their I/O fail and finish the same way.
      for (Connection* c : threaded_) c->Stop();
      for (Polled* p : polled_) p->connection->Stop();
      all_closed_.wait(lock, [this] {
        return threaded_.empty() && polled_.empty() && starting_ == 0;
      });
      workers_stopping_ = true;
      for (auto& w : workers_) w->unpark.notify_one();
      workers.swap(workers_);
    }
    // The stop event stays readable (level-triggered, never consumed): every worker sees it.
    uint64_t one = 1;
    (void)!::write(stop_fd_, &one, sizeof one);
    for (auto& w : workers) w->thread.join();
  }

 private:
  // A worker serving one connection for longer than this no longer counts as available: another
  // one is started (or unparked) so that the other connections keep being served.
  static constexpr int64_t kStuckMs = 20;
  // How often the acceptor checks the workers, and idle connections against their deadlines.
  static constexpr std::chrono::milliseconds kWorkerCheckInterval{10};
  static constexpr std::chrono::milliseconds kSweepInterval{250};

  static int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  void AcceptLoop() {
    int64_t next_sweep = NowMs() + kSweepInterval.count();
    auto wait = tls_ ? kSweepInterval : kWorkerCheckInterval;
    while (!stopping_.load()) {
      pollfd p{listen_fd_, POLLIN, 0};
      int ready = ::poll(&p, 1, static_cast<int>(wait.count()));
      if (!tls_) {
        int64_t now = NowMs();
        KeepWorkersAvailable(now);
        if (now >= next_sweep) {
          SweepIdle(now);
          next_sweep = now + kSweepInterval.count();
        }
      }
      if (ready <= 0) continue;
      sockaddr_storage address{};
      socklen_t length = sizeof address;
      int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length, SOCK_CLOEXEC);
      if (fd < 0) continue;  // EAGAIN, ECONNABORTED, EMFILE: keep serving the others
      {
        std::lock_guard lock(mu_);
        if (threaded_.size() + polled_.size() + static_cast<size_t>(starting_) >=
            options_.max_connections) {
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
      if (!tls_) {
        AddPolled(fd, std::move(remote));
        continue;
      }
      std::lock_guard lock(mu_);
      ++starting_;
      std::thread([this, fd, remote = std::move(remote)] { RunConnection(fd, remote); }).detach();
    }
  }

  // ---- plain TCP: connections under epoll, served by a pool of workers ----------------------

  void AddPolled(int fd, std::string remote) {
    auto polled = std::make_unique<Polled>();
    polled->fd = fd;
    polled->connection = std::make_unique<Connection>(MakePlainTransport(fd), options_, handler_,
                                                      std::move(remote), false);
    polled->deadline_ms.store(NowMs() + options_.idle_timeout.count(), std::memory_order_release);
    Polled* p = polled.release();
    {
      std::lock_guard lock(mu_);
      p->where = polled_.insert(polled_.end(), p);
    }
    epoll_event event{};
    event.events = EPOLLIN | EPOLLONESHOT;
    event.data.ptr = p;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) Finish(p);
  }

  // A fixed set of workers (one per core) waits on epoll, one event at a time: a worker serves
  // the connection it took (the handler may block), re-arms it, and takes the next event,
  // usually without sleeping when the server is busy. So idle keep-alive connections cost no
  // thread, and a request costs no thread wake-up when the workers are busy anyway. Fewer
  // waiting workers is the point: every worker asleep on epoll would be woken for the next
  // event, which is a context switch per request again (measured: "one worker always waiting"
  // grew the pool to 64 threads under 64 busy connections and cost more than a thread per
  // connection). A worker stuck on one connection for kStuckMs (a 1 GiB GET, a slow client) is
  // replaced by another from the acceptor's periodic check, one that takes a request with a body
  // (an upload, which ends in fsyncs) at once, and the extra workers park again once the load is
  // back to normal.
  void WorkerLoop(Worker& self) {
    // See RunConnection: SIGPIPE from sendfile(2) must fail the write, not kill the process.
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
    // A request with a body (an upload) holds its worker through the body and the fsyncs that
    // store it: the worker stops counting as available at once, and another one is found, rather
    // than after kStuckMs. Without this, 8 clients PUTting 1 MiB objects (~10 ms each, never
    // "stuck") queued behind the 2 workers of a 2-core machine.
    const std::function<void()> on_body_request = [this, &self] {
      const int64_t now = NowMs();
      self.busy_since_ms.store(now - kStuckMs, std::memory_order_relaxed);
      KeepWorkersAvailable(now);
    };
    for (;;) {
      epoll_event event{};
      int n = ::epoll_wait(epoll_fd_, &event, 1, -1);
      if (n <= 0) continue;  // EINTR
      if (event.data.ptr == nullptr) return;  // the stop event
      self.busy_since_ms.store(NowMs(), std::memory_order_relaxed);
      Serve(static_cast<Polled*>(event.data.ptr), on_body_request);
      self.busy_since_ms.store(0, std::memory_order_relaxed);
      if (active_workers_.load(std::memory_order_relaxed) > target_workers_ && !MaybePark(self)) {
        return;
      }
    }
  }

  // Parks `self` when enough other workers are available without it; false when stopping.
  bool MaybePark(Worker& self) {
    std::unique_lock lock(mu_);
    if (AvailableWorkersLocked(NowMs()) <= target_workers_) return true;
    self.parked = true;
    active_workers_.fetch_sub(1, std::memory_order_relaxed);
    self.unpark.wait(lock, [&] { return !self.parked || workers_stopping_; });
    return !workers_stopping_;
  }

  // Workers on epoll or serving a request that is not (yet) long.
  int AvailableWorkersLocked(int64_t now) const {
    int available = 0;
    for (const auto& w : workers_) {
      if (w->parked) continue;
      int64_t since = w->busy_since_ms.load(std::memory_order_relaxed);
      if (since == 0 || now - since < kStuckMs) ++available;
    }
    return available;
  }

  // Called by the acceptor every kWorkerCheckInterval.
  void KeepWorkersAvailable(int64_t now) {
    std::lock_guard lock(mu_);
    if (AvailableWorkersLocked(now) >= target_workers_) return;
    for (auto& w : workers_) {
      if (w->parked) {
        w->parked = false;
        active_workers_.fetch_add(1, std::memory_order_relaxed);
        w->unpark.notify_one();
        return;
      }
    }
    AddWorkerLocked();
  }

  void Serve(Polled* p, const std::function<void()>& on_body_request) {
    // The release store before re-arming and this acquire make the hand-over between workers
    // (which epoll orders in the kernel) visible to the C++ memory model, and to TSan.
    p->deadline_ms.exchange(Polled::kBusy, std::memory_order_acquire);
    Connection::Progress progress = p->connection->ServeAvailable(&on_body_request);
    if (progress == Connection::Progress::kAwaitInput) {
      auto timeout =
          p->connection->has_partial_request() ? options_.io_timeout : options_.idle_timeout;
      // Nothing of *p is touched after the store: once re-armed, another worker may own (and
      // free) it. The store must come first, or it could overwrite the next owner's kBusy.
      const int fd = p->fd;
      epoll_event event{};
      event.events = EPOLLIN | EPOLLONESHOT;
      event.data.ptr = p;
      p->deadline_ms.store(NowMs() + timeout.count(), std::memory_order_release);
      if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event) == 0) return;
    }
    Finish(p);
  }

  // Frees a polled connection; only its current owner (a worker, or the acceptor before it was
  // ever armed) calls this.
  void Finish(Polled* p) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, p->fd, nullptr);
    {
      std::lock_guard lock(mu_);
      polled_.erase(p->where);
    }
    delete p;  // closes the socket
    std::lock_guard lock(mu_);
    if (threaded_.empty() && polled_.empty() && starting_ == 0) all_closed_.notify_all();
  }

  void AddWorkerLocked() {
    // Each busy worker holds a different connection, so this bound is never what limits.
    if (workers_stopping_ || workers_.size() > options_.max_connections) return;
    auto worker = std::make_unique<Worker>();
    Worker* w = worker.get();
    workers_.push_back(std::move(worker));
    active_workers_.fetch_add(1, std::memory_order_relaxed);
    w->thread = std::thread([this, w] { WorkerLoop(*w); });
  }

  // Shuts down connections idle past their deadline; the worker that then takes their event
  // finishes them. A connection a worker holds is never touched here.
  void SweepIdle(int64_t now) {
    std::lock_guard lock(mu_);
    for (Polled* p : polled_) {
      int64_t deadline = p->deadline_ms.load(std::memory_order_relaxed);
      if (deadline != Polled::kBusy && deadline <= now) p->connection->Stop();
    }
  }

  // ---- TLS: a thread per connection ---------------------------------------------------------

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
    auto t = MakeTlsTransport(fd, *tls_, options_.io_timeout);
    if (t.has_value()) transport = std::move(*t);
    std::unique_ptr<Connection> connection;
    if (transport) {
      connection = std::make_unique<Connection>(std::move(transport), options_, handler_,
                                                std::move(remote), true);
    }
    {
      std::lock_guard lock(mu_);
      --starting_;
      if (connection) {
        if (stopping_.load()) {
          connection->Stop();
        }
        threaded_.push_back(connection.get());
      }
    }
    if (connection) connection->Serve();
    std::lock_guard lock(mu_);
    if (connection) threaded_.remove(connection.get());
    connection.reset();
    if (threaded_.empty() && polled_.empty() && starting_ == 0) all_closed_.notify_all();
  }

  const ServerOptions options_;
  Handler& handler_;
  const int listen_fd_;
  const std::unique_ptr<TlsContext> tls_;
  const int epoll_fd_;  // plain connections waiting for input, and stop_fd_
  const int stop_fd_;   // eventfd, readable once the workers must exit
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  // Workers wanted available at any time: one per core (at least 2).
  const int target_workers_ =
      std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  std::atomic<int> active_workers_{0};  // workers not parked

  std::mutex mu_;
  std::list<Connection*> threaded_;  // guarded by mu_: TLS connections, one thread each
  int starting_ = 0;                 // guarded by mu_: TLS threads not yet registered
  std::list<Polled*> polled_;        // guarded by mu_: plain connections under epoll
  std::vector<std::unique_ptr<Worker>> workers_;  // guarded by mu_
  bool workers_stopping_ = false;     // guarded by mu_
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
  int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  int stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event stop_event{};
  stop_event.events = EPOLLIN;  // level-triggered: wakes every worker, one after the other
  stop_event.data.ptr = nullptr;
  if (epoll_fd < 0 || stop_fd < 0 ||
      ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, stop_fd, &stop_event) != 0) {
    Status status = ErrnoStatus("cannot set up epoll for the HTTP server", errno);
    for (int f : {fd, epoll_fd, stop_fd}) {
      if (f >= 0) ::close(f);
    }
    return Error(status);
  }
  return std::unique_ptr<Server>(new Server(
      std::make_unique<Impl>(options, handler, fd, std::move(tls), epoll_fd, stop_fd)));
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
