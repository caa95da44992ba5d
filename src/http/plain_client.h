// The built-in HTTP/1.1 client for plain-text (http://) GET, HEAD and DELETE without a body,
// which is what reads from S3 are, and PUT with its body in memory or in a file (PutObject,
// UploadPart). http::Client sends these here and every other request (TLS, POST, streamed
// bodies, proxies) through libcurl.
//
// Why a client of our own for these: per small GET, libcurl's per-request machinery (its multi
// loop, poll, header callbacks, buffer copies) cost ~60 us of CPU on this project's 2-core
// machine, against ~20 us for a blocking socket (docs/benchmarks.md, "PyTorch connector"); it
// cannot receive a body straight into the caller's memory, which this client does when the
// sink offers a destination (ResponseSink::BodyDestination); and it copies every upload byte
// through its read callback into its own buffer, where this client sends the caller's memory
// as is (with the request head, in one sendmsg(2)), or a file's pages with sendfile(2). A PUT
// always carries Content-Length (a caller's own must match the body). When the server answers
// before it has taken the whole body (a refused upload), sending stops, the answer is delivered,
// and the connection is closed.
//
// What it does: keep-alive connections pooled per host:port (a request that fails on a reused
// connection before any response byte arrived is sent again on a new one: the server may have
// closed it while idle), Content-Length, chunked and read-until-close bodies, interim 1xx
// responses skipped, connect timeout, whole-exchange timeout, and stall detection (a transfer
// slower than ClientOptions::stall_bytes_per_second over stall_window fails with
// kDeadlineExceeded). Error codes are those of ResponseSink::OnDone.
//
// Thread-safe: Perform() runs on the calling thread; the pool is shared under a mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/client.h"

namespace trainload::http {

// An http:// URL taken apart. Userinfo is not supported (such URLs go through libcurl).
struct PlainUrl {
  std::string host;       // without brackets for IPv6
  std::string port;       // digits; "80" when absent
  std::string authority;  // "host:port" as written, for the Host header
  std::string target;     // path and query, "/" when empty
};
std::optional<PlainUrl> ParsePlainUrl(std::string_view url);

// kAborted for a request body file that ended `sent` bytes into its range (it shrank during
// the transfer), naming the file and the offsets. Shared with the libcurl path.
Status BodyFileEndedEarly(const BodyFile& file, uint64_t sent);

class PlainClient {
 public:
  explicit PlainClient(const ClientOptions& options);
  ~PlainClient();
  PlainClient(const PlainClient&) = delete;
  PlainClient& operator=(const PlainClient&) = delete;

  // The parsed URL when this client can send `request`: http://, and GET/HEAD/DELETE without a
  // body or PUT with its body in memory or in a file (body, body_view or body_file; not
  // body_source), no Transfer-Encoding.
  static std::optional<PlainUrl> Accepts(const ClientRequest& request);

  // Sends `request` to `url` (from Accepts) and feeds `sink`; sink.OnDone is called once, last.
  void Perform(const ClientRequest& request, const PlainUrl& url, ResponseSink& sink);

 private:
  struct Connection;
  struct Progress;

  Result<std::unique_ptr<Connection>> Connect(const PlainUrl& url, const Progress& progress);
  std::unique_ptr<Connection> TakeIdle(const std::string& key);
  void ReturnIdle(std::unique_ptr<Connection> connection);

  // One exchange on `c`. `responded` says whether any response byte arrived (if not, the request
  // may be sent again on a fresh connection); `reusable` whether `c` may serve another request.
  Status Exchange(Connection& c, const ClientRequest& request, std::string_view head,
                  ResponseSink& sink, Progress& progress, bool& responded, bool& reusable);

  const ClientOptions options_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mu_; most recently used last
};

}  // namespace trainload::http
