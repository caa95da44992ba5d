// The contract between the HTTP server and whatever serves requests (the S3 layer).
//
// The server parses a request head, hands the handler an Exchange, and the handler reads the
// body (streamed, in bounded memory) and writes one response (head, then body bytes or file
// extents). Each Exchange is used by one thread; handlers are called concurrently from many
// connection threads, so a Handler must be thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "http/headers.h"
#include "trainload/status.h"

namespace trainload::http {

struct Request {
  std::string method;   // as sent, e.g. "GET"
  std::string target;   // raw request-target, e.g. "/bucket/a%20b?uploads"
  Headers headers;
  std::optional<uint64_t> content_length;  // absent for chunked or bodiless requests
  bool chunked = false;                    // Transfer-Encoding: chunked
  bool tls = false;
  std::string remote_address;

  // The raw (still percent-encoded) path and query of `target`.
  std::string_view raw_path() const;
  std::string_view raw_query() const;  // without '?'; empty when none
  bool has_body() const { return chunked || content_length.value_or(0) > 0; }
};

class Exchange {
 public:
  virtual ~Exchange() = default;

  virtual const Request& request() const = 0;

  // Reads up to buffer.size() decoded body bytes (Transfer-Encoding removed). Returns 0 at the
  // end of the body. Sends "100 Continue" first when the client asked for it. Errors: the peer
  // closed or timed out (kUnavailable / kDeadlineExceeded) or sent a malformed body.
  virtual Result<size_t> ReadBody(std::span<std::byte> buffer) = 0;
  // Body bytes not yet read, when known (Content-Length requests).
  virtual std::optional<uint64_t> body_remaining() const = 0;

  // Sends the status line and headers. With `content_length` the body must be exactly that
  // many bytes (none for HEAD, 204 and 304); without it the body is sent chunked.
  // Date, Content-Length/Transfer-Encoding and Connection are added by the server.
  virtual Status SendHead(int status, const Headers& headers,
                          std::optional<uint64_t> content_length) = 0;
  virtual Status SendBody(std::span<const std::byte> data) = 0;
  Status SendBody(std::string_view data) {
    return SendBody(std::as_bytes(std::span(data.data(), data.size())));
  }
  // Sends `length` bytes of `fd` from `offset` (sendfile(2) on plain TCP, copies under TLS).
  virtual Status SendFile(int fd, uint64_t offset, uint64_t length) = 0;
  virtual bool head_sent() const = 0;
};

// Why a request could not be parsed into an Exchange-worthy head.
enum class ProtocolError {
  kHeaderTooLarge,  // request line + headers over ServerOptions::max_header_bytes
  kMalformed,       // not HTTP/1.x
};

class Handler {
 public:
  virtual ~Handler() = default;
  // Serves one request. If it returns without sending a response, the server sends 500.
  virtual void Handle(Exchange& exchange) = 0;
  // Answers a request whose head could not be parsed. `exchange.request()` may be partly
  // empty; the body cannot be read. The server closes the connection afterwards.
  virtual void HandleProtocolError(ProtocolError error, Exchange& exchange) = 0;
};

}  // namespace trainload::http
