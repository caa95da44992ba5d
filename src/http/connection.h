// One HTTP/1.1 connection: parses requests (http/request_parser.h), runs the handler for each,
// and writes responses, with keep-alive, pipelining, 100-continue, chunked bodies and timeouts.
//
// Two ways to drive it:
// - Serve() runs on the connection's own thread until the peer closes, a timeout fires, a
//   protocol error ends the connection, or Stop() is called from another thread (TLS).
// - ServeAvailable() is called by a server worker each time the socket is readable (plain TCP
//   under the server's epoll loop): it reads what is there without waiting, serves every
//   complete request buffered, and says whether to wait for more input. Between calls no
//   thread is tied to the connection; the server enforces the idle and I/O timeouts.
// Inside a request both ways are the same blocking code: the handler reads the body and sends
// the response on the calling thread.
//
// Thread-compatible except Stop(), which may be called from any thread at any time.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "http/exchange.h"
#include "http/server_options.h"
#include "http/transport.h"

namespace trainload::http {

class Connection {
 public:
  Connection(std::unique_ptr<Transport> transport, const ServerOptions& options, Handler& handler,
             std::string remote_address, bool tls);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Serve();

  enum class Progress {
    kAwaitInput,  // keep the connection; call ServeAvailable() again when it is readable
    kFinished,    // closed by the peer, an error, a protocol error or Stop(): destroy it
  };
  // `on_body_request`, if set, is called before the handler runs for a request that has a
  // body: receiving and storing it may hold the calling thread for long (an upload, its fsync),
  // which a server with a small pool of workers wants to know.
  Progress ServeAvailable(const std::function<void()>* on_body_request = nullptr);
  // Whether part of a request head is buffered (the I/O timeout applies rather than the idle
  // one). Only between ServeAvailable() calls.
  bool has_partial_request() const;

  // Unblocks Serve() or a running ServeAvailable() from any thread, and makes the next
  // ServeAvailable() return kFinished; the socket is shut down, so a poller sees it readable.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trainload::http
