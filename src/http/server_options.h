// Configuration of the HTTP server. Plain data.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace trainload::http {

struct ServerOptions {
  std::string host = "127.0.0.1";  // address to bind; a name is resolved once at start
  uint16_t port = 0;               // 0 picks a free port (see Server::port())
  std::string tls_cert_path;       // both set: serve HTTPS only
  std::string tls_key_path;
  size_t max_header_bytes = 16 * 1024;  // request line + header section
  size_t max_connections = 1024;        // further connections are closed at accept
  std::chrono::milliseconds idle_timeout{60'000};  // keep-alive wait for the next request
  std::chrono::milliseconds io_timeout{60'000};    // longest pause inside a request or response
};

}  // namespace trainload::http
