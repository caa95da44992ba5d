// A connected byte stream under one HTTP connection: plain TCP or TLS (OpenSSL).
//
// Blocking calls with timeouts: Read() waits up to its timeout (SO_RCVTIMEO on plain sockets,
// poll(2) under TLS); writes block up to the socket's SO_SNDTIMEO (set by the server). A
// Transport is used by one thread at a time; only Shutdown() may be called concurrently from
// another thread (it unblocks that thread's I/O).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "trainload/status.h"

namespace trainload::http {

class Transport {
 public:
  virtual ~Transport() = default;

  // Reads at least one byte, waiting up to `timeout`; returns 0 when the peer closed.
  // kDeadlineExceeded on timeout (at once with a zero timeout and nothing to read),
  // kUnavailable on reset.
  virtual Result<size_t> Read(std::span<std::byte> buffer, std::chrono::milliseconds timeout) = 0;
  // Writes every byte of `data`. `more`: further bytes follow at once (a response head before
  // its sendfile body), so the kernel may hold them back to fill a segment (MSG_MORE).
  virtual Status Write(std::span<const std::byte> data, bool more) = 0;
  // Writes `length` bytes of file `fd` starting at `offset`.
  virtual Status SendFile(int fd, uint64_t offset, uint64_t length) = 0;
  // Shuts the socket down both ways; safe from any thread.
  virtual void Shutdown() = 0;
};

// An OpenSSL server context loaded from PEM files. Thread-safe after creation.
class TlsContext {
 public:
  // Errors name the file that could not be loaded.
  static Result<std::unique_ptr<TlsContext>> Create(const std::string& cert_path,
                                                    const std::string& key_path);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  void* native() const { return ctx_; }  // SSL_CTX*

 private:
  explicit TlsContext(void* ctx) : ctx_(ctx) {}
  void* ctx_;
};

// Both take ownership of `fd` (closed by the Transport's destructor).
std::unique_ptr<Transport> MakePlainTransport(int fd);
// Runs the server side of the TLS handshake, waiting up to `timeout`.
Result<std::unique_ptr<Transport>> MakeTlsTransport(int fd, const TlsContext& context,
                                                    std::chrono::milliseconds timeout);

}  // namespace trainload::http
