// The HTTP/1.1 server: a listening socket, an acceptor thread, and
// - plain TCP: an epoll set of keep-alive connections served by a small pool of worker threads
//   (leader/followers). A connection with input is taken by one worker, which parses the head
//   and runs the handler to the end (blocking calls allowed), then re-arms it; the pool grows
//   whenever no worker is left waiting, so a long request never holds the others up. Idle
//   connections cost no thread.
// - TLS: one thread per connection.
// Handlers stay plain sequential code either way (every request ends in blocking work anyway:
// fsync, LevelDB commits, file reads; sendfile(2) needs no buffers). Connections are capped by
// ServerOptions::max_connections. See docs/http-server.md.
//
// Thread-safe: Start() returns a running server; Stop() (or the destructor) closes the listener,
// shuts every connection down and waits for their threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "http/exchange.h"
#include "http/server_options.h"
#include "trainload/status.h"

namespace trainload::http {

class Server {
 public:
  // Binds and starts accepting. `handler` must outlive the server. Errors name the address
  // (kUnavailable when it is in use) or the TLS file that failed to load.
  static Result<std::unique_ptr<Server>> Start(const ServerOptions& options, Handler& handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  uint16_t port() const;
  // "http://127.0.0.1:9000" or "https://...".
  std::string url() const;
  void Stop();

 private:
  class Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trainload::http
