// The HTTP/1.1 server: a listening socket and one thread per connection.
//
// Why threads and blocking calls rather than an event loop: every request ends in blocking work
// anyway (fsync, LevelDB commits, file reads), sendfile(2) needs no buffers, and a thread per
// connection keeps handlers plain sequential code. Connections are capped by
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
