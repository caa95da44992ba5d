// FaultProxy: a fault-injecting HTTP/1.1 proxy for client tests. It listens on 127.0.0.1 (an
// ephemeral port) and forwards each request to a real S3 server, applying to each one a fault
// drawn from a seeded FaultPolicy: pass through; answer 503 SlowDown or 500 InternalError (S3
// error XML) without forwarding; or forward and then, on the way back, reset the connection
// (RST) after N body bytes, stall (send nothing more for `stall_for`), truncate (close cleanly
// after N body bytes while Content-Length promises more), or flip one byte of a 2xx body.
//
// Which read paths can catch a corrupted byte: only those the server gives a checksum for —
// a full-object GET with x-amz-checksum-mode (Client::Get, Download of an object up to one
// part) and a ranged Download (the parts' CRCs are combined and compared with the stored
// full-object CRC). A ranged GET (Client::GetRange, the parts of OpenReader) carries no
// checksum of its range, so a corrupted byte there is delivered: tests restrict `corrupt` to
// the requests that can catch it (FaultPolicy::eligible). Corrupting a listing or an error
// document is not detectable either and is never done to non-2xx responses.
//
// Simplifications: one request per client connection (every response says Connection: close,
// and the upstream request too); request bodies must have a Content-Length (the trainload
// client always sends one); a chunked upstream response is de-chunked and re-sent with a
// Content-Length. Responses are read whole from the server before they are sent on.
//
// Thread-safe: SetPolicy() and counts() may be called from any thread while requests run. The
// destructor stops accepting, wakes stalled connections, closes every socket and joins every
// thread. The `on_request` and `eligible` callbacks run on connection threads, concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "trainload/status.h"

namespace trainload::client {

enum class FaultKind {
  kPass,           // forwarded and answered unchanged
  kSlowDown,       // 503 SlowDown, not forwarded
  kInternalError,  // 500 InternalError, not forwarded
  kReset,          // forwarded; RST after N bytes of the response body (before the head if empty)
  kStall,          // forwarded; N body bytes, then nothing for stall_for, then RST
  kTruncate,       // forwarded; N body bytes, then a clean close (Content-Length promised more)
  kCorrupt,        // forwarded; one byte of a non-empty 2xx body flipped
};

// A request as the proxy received it.
struct ProxiedRequest {
  std::string method;
  std::string target;                                        // path and query, as sent
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  uint64_t body_size = 0;

  // The value of header `name` (lowercase), or "".
  std::string Header(std::string_view name) const;
};

struct FaultPolicy {
  uint64_t seed = 1;
  // Probability of each fault per eligible request, drawn in this order; the rest pass.
  double slow_down = 0;
  double internal_error = 0;
  double reset = 0;
  double stall = 0;
  double truncate = 0;
  double corrupt = 0;
  // How long a stalled response sends nothing: longer than the client's stall timeout.
  std::chrono::milliseconds stall_for{3000};
  // Where body faults act: reset, stall and truncate after this many body bytes, corrupt the
  // byte at this offset (at most the last byte); unset: a random offset.
  std::optional<uint64_t> cut_after;
  // After this many faults, every request passes (0: no limit).
  uint64_t max_faults = 0;
  // Requests it returns false for pass untouched (null: every request is eligible).
  std::function<bool(const ProxiedRequest&)> eligible;
  // Called for every request before its fault is drawn and before it is forwarded (e.g. to
  // replace an object between the parts of a download). Null: nothing.
  std::function<void(const ProxiedRequest&)> on_request;
};

// How many requests met each fault. `Faults()` is everything but kPass.
struct FaultCounts {
  uint64_t requests = 0;
  uint64_t passed = 0;
  uint64_t slow_down = 0;
  uint64_t internal_error = 0;
  uint64_t reset = 0;
  uint64_t stall = 0;
  uint64_t truncate = 0;
  uint64_t corrupt = 0;
  uint64_t Faults() const {
    return slow_down + internal_error + reset + stall + truncate + corrupt;
  }
  std::string ToString() const;
};

class FaultProxy {
 public:
  // Listens on 127.0.0.1:0 and forwards to upstream_host:upstream_port (an IPv4 address).
  // Errors: the socket calls, naming the address.
  static Result<std::unique_ptr<FaultProxy>> Start(std::string upstream_host,
                                                   uint16_t upstream_port, FaultPolicy policy);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  // "http://127.0.0.1:<port>".
  std::string url() const;
  uint16_t port() const { return port_; }

  // Replaces the policy (and reseeds) for requests that arrive from now on.
  void SetPolicy(FaultPolicy policy);
  FaultCounts counts() const;
  void ResetCounts();

 private:
  struct Connection {
    std::thread thread;
    std::atomic<bool> done{false};
  };
  // What one request will get, drawn under mu_.
  struct Decision {
    FaultKind kind = FaultKind::kPass;
    uint64_t random = 0;  // picks the byte offset of body faults
    std::optional<uint64_t> cut_after;
    std::chrono::milliseconds stall_for{0};
  };

  FaultProxy(int listen_fd, uint16_t port, std::string upstream_host, uint16_t upstream_port,
             FaultPolicy policy);
  void AcceptLoop();
  void Serve(int client_fd);
  Decision Decide(const ProxiedRequest& request);
  void Count(FaultKind kind);
  // Sleeps up to `duration`, returning early when the proxy stops.
  void SleepUnlessStopping(std::chrono::milliseconds duration);
  // Sockets are registered so the destructor can shut them down under blocked threads.
  void Track(int fd);
  void Untrack(int fd);
  void ReapFinished();

  const int listen_fd_;
  const uint16_t port_;
  const std::string upstream_host_;
  const uint16_t upstream_port_;
  std::thread acceptor_;

  mutable std::mutex mu_;
  std::condition_variable stopping_cv_;
  bool stopping_ = false;                               // guarded by mu_
  FaultPolicy policy_;                                  // guarded by mu_
  std::mt19937_64 rng_;                                 // guarded by mu_
  uint64_t faults_drawn_ = 0;                           // guarded by mu_
  FaultCounts counts_;                                  // guarded by mu_
  std::set<int> open_fds_;                              // guarded by mu_
  std::list<std::unique_ptr<Connection>> connections_;  // guarded by mu_
};

}  // namespace trainload::client
