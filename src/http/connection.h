// One HTTP/1.1 connection: parses requests (Boost.Beast's parser), runs the handler for each,
// and writes responses, with keep-alive, 100-continue, chunked bodies and timeouts.
//
// Serve() runs on the connection's own thread until the peer closes, a timeout fires, a
// protocol error ends the connection, or Stop() is called from another thread.
#pragma once

#include <memory>

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
  // Unblocks Serve() from any thread; it returns soon after.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trainload::http
