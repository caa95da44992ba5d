#include "http/transport.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

namespace trainload::http {
namespace {

Status WaitReadable(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  for (;;) {
    int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (n > 0) return Status::Ok();
    if (n == 0) return Status(StatusCode::kDeadlineExceeded, "timed out waiting for the client");
    if (errno != EINTR) return ErrnoStatus("poll", errno);
  }
}

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

class PlainTransport final : public Transport {
 public:
  explicit PlainTransport(int fd) : fd_(fd) {}
  ~PlainTransport() override { ::close(fd_); }

  // One blocking recv(2) bounded by SO_RCVTIMEO: a keep-alive connection waiting for its next
  // request costs one system call, not recv + poll + recv.
  Result<size_t> Read(std::span<std::byte> buffer, std::chrono::milliseconds timeout) override {
    // A zero timeout (the server's epoll loop, after a readiness event) must not block, and a
    // zero SO_RCVTIMEO would mean "forever": MSG_DONTWAIT instead.
    const int flags = timeout.count() == 0 ? MSG_DONTWAIT : 0;
    if (flags == 0 && timeout != receive_timeout_) {
      timeval tv{};
      tv.tv_sec = timeout.count() / 1000;
      tv.tv_usec = (timeout.count() % 1000) * 1000;
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      receive_timeout_ = timeout;
    }
    for (;;) {
      ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), flags);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        return Error(Status(StatusCode::kDeadlineExceeded, "timed out waiting for the client"));
      }
      return Error(ErrnoStatus("recv", errno));
    }
  }

  Status Write(std::span<const std::byte> data, bool more) override {
    int flags = MSG_NOSIGNAL | (more ? MSG_MORE : 0);
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), flags);
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("send", errno);
      }
      data = data.subspan(static_cast<size_t>(n));
    }
    return Status::Ok();
  }

  Status SendFile(int fd, uint64_t offset, uint64_t length) override {
    off_t off = static_cast<off_t>(offset);
    while (length > 0) {
      size_t chunk = static_cast<size_t>(std::min<uint64_t>(length, 1u << 30));
      ssize_t n = ::sendfile(fd_, fd, &off, chunk);
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("sendfile", errno);
      }
      // A file shorter than its record says: never pad, fail the response.
      if (n == 0) return DataLoss("sendfile: data file ended early");
      length -= static_cast<uint64_t>(n);
    }
    return Status::Ok();
  }

  void Shutdown() override { ::shutdown(fd_, SHUT_RDWR); }

 private:
  int fd_;
  std::chrono::milliseconds receive_timeout_{-1};  // what SO_RCVTIMEO is set to
};

class TlsTransport final : public Transport {
 public:
  TlsTransport(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
  ~TlsTransport() override {
    SSL_free(ssl_);
    ::close(fd_);
  }

  Result<size_t> Read(std::span<std::byte> buffer, std::chrono::milliseconds timeout) override {
    for (;;) {
      if (SSL_pending(ssl_) == 0) TL_RETURN_IF_ERROR(WaitReadable(fd_, timeout));
      int n = SSL_read(ssl_, buffer.data(), static_cast<int>(std::min<size_t>(buffer.size(), 1 << 30)));
      if (n > 0) return static_cast<size_t>(n);
      int err = SSL_get_error(ssl_, n);
      if (err == SSL_ERROR_ZERO_RETURN) return 0;
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) continue;
      if (err == SSL_ERROR_SYSCALL && errno == 0) return 0;  // peer closed without close_notify
      return Error(Unavailable("TLS read: " + OpenSslError()));
    }
  }

  Status Write(std::span<const std::byte> data, bool /*more*/) override {
    while (!data.empty()) {
      int n = SSL_write(ssl_, data.data(), static_cast<int>(std::min<size_t>(data.size(), 1 << 30)));
      if (n <= 0) {
        int err = SSL_get_error(ssl_, n);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) continue;
        return Unavailable("TLS write: " + OpenSslError());
      }
      data = data.subspan(static_cast<size_t>(n));
    }
    return Status::Ok();
  }

  Status SendFile(int fd, uint64_t offset, uint64_t length) override {
    std::vector<std::byte> buffer(std::min<uint64_t>(length, 256 * 1024));
    while (length > 0) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(length, buffer.size()));
      ssize_t n = ::pread(fd, buffer.data(), want, static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("pread", errno);
      }
      if (n == 0) return DataLoss("pread: data file ended early");
      TL_RETURN_IF_ERROR(Write(std::span(buffer.data(), static_cast<size_t>(n)), false));
      offset += static_cast<uint64_t>(n);
      length -= static_cast<uint64_t>(n);
    }
    return Status::Ok();
  }

  void Shutdown() override { ::shutdown(fd_, SHUT_RDWR); }

 private:
  int fd_;
  SSL* ssl_;
};

}  // namespace

Result<std::unique_ptr<TlsContext>> TlsContext::Create(const std::string& cert_path,
                                                       const std::string& key_path) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return Error(Internal("SSL_CTX_new: " + OpenSslError()));
  std::unique_ptr<TlsContext> context(new TlsContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_path.c_str()) != 1) {
    return Error(InvalidArgument("cannot load TLS certificate '" + cert_path +
                                 "': " + OpenSslError()));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_path.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Error(InvalidArgument("cannot load TLS private key '" + key_path +
                                 "': " + OpenSslError()));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return Error(InvalidArgument("TLS private key '" + key_path + "' does not match certificate '" +
                                 cert_path + "'"));
  }
  return context;
}

TlsContext::~TlsContext() { SSL_CTX_free(static_cast<SSL_CTX*>(ctx_)); }

std::unique_ptr<Transport> MakePlainTransport(int fd) {
  return std::make_unique<PlainTransport>(fd);
}

Result<std::unique_ptr<Transport>> MakeTlsTransport(int fd, const TlsContext& context,
                                                    std::chrono::milliseconds timeout) {
  SSL* ssl = SSL_new(static_cast<SSL_CTX*>(context.native()));
  if (ssl == nullptr) {
    ::close(fd);
    return Error(Internal("SSL_new: " + OpenSslError()));
  }
  auto transport = std::make_unique<TlsTransport>(fd, ssl);
  SSL_set_fd(ssl, fd);
  for (;;) {
    int r = SSL_accept(ssl);
    if (r == 1) break;
    int err = SSL_get_error(ssl, r);
    if (err == SSL_ERROR_WANT_READ) {
      TL_RETURN_IF_ERROR(WaitReadable(fd, timeout));
      continue;
    }
    if (err == SSL_ERROR_WANT_WRITE) continue;
    return Error(Unavailable("TLS handshake failed: " + OpenSslError()));
  }
  return transport;
}

}  // namespace trainload::http
