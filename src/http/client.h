// The HTTP/1.1 client, over libcurl, with keep-alive connections. Knows nothing of S3.
//
// Two ways to send a request:
// - Perform() runs it on the calling thread and returns when it is over: the sink's callbacks
//   run on that thread. Handles (each keeping its connection open) are pooled between calls.
//   This is what a thread that would wait anyway should use: no hand-off to another thread and
//   back (measured: ~120 us of client CPU per small request on a busy 2-core machine went to
//   those wake-ups). Send() is Perform() collecting the whole response. Plain-HTTP (http://)
//   GET, HEAD and DELETE without a body, and PUT with its body in memory or in a file, go
//   through the built-in client of http/plain_client.h unless ClientOptions::builtin_plain_http
//   is off; the rest through libcurl.
// - Start() queues it for the client's I/O thread, which drives every started request with one
//   libcurl multi handle and its own connection pool, and returns at once; the sink's callbacks
//   run on the I/O thread, in order, and must not block for long.
//
// Thread-safe. Destroying the client cancels what Start() has in flight (each sink still gets
// OnDone) and joins the I/O thread; no Perform() may be running then.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "http/headers.h"
#include "trainload/status.h"

namespace trainload::http {

struct ClientOptions {
  size_t max_connections = 64;  // open connections, over all hosts
  bool verify_tls = true;
  std::string ca_bundle;  // PEM file; empty = the system store
  std::chrono::milliseconds connect_timeout{10'000};
  // A transfer moving less than `stall_bytes_per_second` for `stall_window` is failed with
  // kDeadlineExceeded: a stalled connection is retried instead of hanging forever.
  uint64_t stall_bytes_per_second = 1024;
  std::chrono::seconds stall_window{20};
  size_t receive_buffer_bytes = 512 * 1024;
  // Send plain-HTTP GET, HEAD and DELETE without a body, and PUT with its body in memory or in
  // a file, through the built-in client (http/plain_client.h) instead of libcurl. Off when a proxy
  // is configured: only libcurl speaks to proxies.
  bool builtin_plain_http = true;
};

// Where a request body comes from: nothing, an owned string, a borrowed span (must outlive the
// transfer), a range of an open file, or a source called on the I/O thread to fill the next
// piece (returns bytes written, 0 at the end).
struct BodyFile {
  int fd = -1;  // not owned; open for reading through the transfer; its offset is not moved
  uint64_t offset = 0;
  uint64_t length = 0;
  // For the error when the file ends before offset + length (it shrank during the transfer).
  std::string name;
};

struct ClientRequest {
  std::string method = "GET";
  std::string url;  // absolute, already percent-encoded
  Headers headers;
  std::string body;
  std::span<const std::byte> body_view;
  // Sent with sendfile(2) by the built-in plain-HTTP client (no copy in this process), read with
  // pread(2) into libcurl's buffer otherwise. A file that ends early fails the request with
  // kAborted.
  BodyFile body_file;
  std::function<Result<size_t>(std::span<std::byte>)> body_source;
  uint64_t body_source_size = 0;  // exact size of what body_source produces
  std::chrono::milliseconds timeout{0};  // whole exchange; 0 = no limit (stalls still fail)
};

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;
};

// Receives one response: on the I/O thread for Start(), on the calling thread for Perform().
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  // The final status line and headers (interim 1xx responses are skipped). Return false to
  // abort the transfer (OnDone then gets kCancelled).
  virtual bool OnHead(int status, const Headers& headers) = 0;
  // The next piece of the body. Return false to abort.
  virtual bool OnBody(std::span<const std::byte> data) = 0;
  // Optional, asked after OnHead before each receive: memory where the next body bytes may be
  // received in place, sparing a copy. Empty (the default): OnBody gets them. When bytes land
  // there, OnBodyReceived(n) is called instead of OnBody (return false to abort). Only the
  // built-in plain-HTTP client asks; a sink must accept OnBody as well.
  virtual std::span<std::byte> BodyDestination() { return {}; }
  virtual bool OnBodyReceived(size_t /*n*/) { return false; }
  // Called exactly once, last. Ok when the whole response arrived. Errors: kUnavailable
  // (refused, reset, closed early, truncated body), kDeadlineExceeded (timeout or stall),
  // kCancelled (aborted by a sink or Cancel()), kFailedPrecondition (TLS verification),
  // kInvalidArgument (a malformed URL or request).
  virtual void OnDone(Status status) = 0;
};

class Client {
 public:
  static Result<std::unique_ptr<Client>> Create(const ClientOptions& options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Queues `request`; returns an id for Cancel(). `sink` is kept alive until its OnDone.
  uint64_t Start(ClientRequest request, std::shared_ptr<ResponseSink> sink);
  // Aborts a request that has not finished; its sink gets OnDone(kCancelled). Unknown or
  // finished ids are ignored.
  void Cancel(uint64_t id);

  // Sends `request` on the calling thread, feeding `sink` as the response arrives; returns
  // after sink.OnDone.
  void Perform(ClientRequest request, ResponseSink& sink);

  // Sends `request` and waits for the whole response, keeping at most `max_body` bytes of its
  // body (more is kResourceExhausted). Any HTTP status is a successful result.
  Result<ClientResponse> Send(ClientRequest request, size_t max_body = 64 << 20);

 private:
  class Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trainload::http
