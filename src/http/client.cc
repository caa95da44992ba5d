#include "http/client.h"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "http/plain_client.h"

namespace trainload::http {
namespace {

// libcurl's process-wide setup must run before any other thread uses it; a function-local
// static makes the first Client::Create do it exactly once.
bool GlobalInit() {
  static const bool ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ok;
}

Status FromCurl(CURLcode code, const char* detail, const std::string& what) {
  std::string message = what + ": " + curl_easy_strerror(code);
  if (detail != nullptr && *detail != '\0') message += " (" + std::string(detail) + ")";
  switch (code) {
    case CURLE_OK: return Status::Ok();
    case CURLE_OPERATION_TIMEDOUT: return Status(StatusCode::kDeadlineExceeded, message);
    case CURLE_WRITE_ERROR:
    case CURLE_ABORTED_BY_CALLBACK: return Status(StatusCode::kCancelled, message);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_BAD_FUNCTION_ARGUMENT: return Status(StatusCode::kInvalidArgument, message);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM: return Status(StatusCode::kFailedPrecondition, message);
    default: return Status(StatusCode::kUnavailable, message);
  }
}

// Collects a whole response for Client::Send().
class BufferSink final : public ResponseSink {
 public:
  explicit BufferSink(size_t max_body) : max_body_(max_body) {}
  bool OnHead(int status, const Headers& headers) override {
    response_.status = status;
    response_.headers = headers;
    return true;
  }
  bool OnBody(std::span<const std::byte> data) override {
    if (response_.body.size() + data.size() > max_body_) {
      too_large_ = true;
      return false;
    }
    response_.body.append(reinterpret_cast<const char*>(data.data()), data.size());
    return true;
  }
  void OnDone(Status status) override {
    if (too_large_) {
      status = Status(StatusCode::kResourceExhausted,
                      "response body larger than " + std::to_string(max_body_) + " bytes");
    }
    if (status.ok()) {
      done_.set_value(std::move(response_));
    } else {
      done_.set_value(Error(std::move(status)));
    }
  }
  std::future<Result<ClientResponse>> Future() { return done_.get_future(); }

 private:
  const size_t max_body_;
  bool too_large_ = false;
  ClientResponse response_;
  std::promise<Result<ClientResponse>> done_;
};

}  // namespace

class Client::Impl {
 public:
  explicit Impl(const ClientOptions& options) : options_(options) {
    if (options_.builtin_plain_http) plain_ = std::make_unique<PlainClient>(options_);
    multi_ = curl_multi_init();
    curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                      static_cast<long>(options_.max_connections));
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, static_cast<long>(options_.max_connections));
  }

  ~Impl() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    curl_multi_wakeup(multi_);
    if (thread_.joinable()) thread_.join();
    curl_multi_cleanup(multi_);
    for (CURL* e : idle_) curl_easy_cleanup(e);
  }

  uint64_t Start(ClientRequest request, std::shared_ptr<ResponseSink> sink) {
    // The I/O thread starts with the first Start(): a client used only through Perform() has
    // none.
    std::call_once(thread_started_, [this] { thread_ = std::thread([this] { Loop(); }); });
    uint64_t id = next_id_.fetch_add(1) + 1;
    auto transfer = std::make_unique<Transfer>();
    transfer->id = id;
    transfer->request = std::move(request);
    transfer->sink = std::move(sink);
    {
      std::lock_guard lock(mu_);
      if (!stopping_) {
        pending_.push_back(std::move(transfer));
      }
    }
    if (transfer) {  // not queued: the client is shutting down
      transfer->sink->OnDone(Status(StatusCode::kCancelled, "HTTP client is shutting down"));
      return id;
    }
    curl_multi_wakeup(multi_);
    return id;
  }

  void Cancel(uint64_t id) {
    {
      std::lock_guard lock(mu_);
      cancels_.push_back(id);
    }
    curl_multi_wakeup(multi_);
  }

  void Perform(ClientRequest request, ResponseSink& sink) {
    if (plain_) {
      if (std::optional<PlainUrl> url = PlainClient::Accepts(request)) {
        plain_->Perform(request, *url, sink);
        return;
      }
    }
    CURL* e = TakeHandle();
    if (e == nullptr) {
      sink.OnDone(Internal("curl_easy_init failed"));
      return;
    }
    // The sink is the caller's; the Transfer only borrows it (a no-op deleter).
    Transfer t;
    t.request = std::move(request);
    t.sink = std::shared_ptr<ResponseSink>(&sink, [](ResponseSink*) {});
    Status status = Setup(t, e);
    if (status.ok()) {
      // A handle keeps its connections between requests; this many, for the rare caller that
      // alternates between hosts.
      curl_easy_setopt(e, CURLOPT_MAXCONNECTS, 2L);
      CURLcode code = curl_easy_perform(e);
      status = Outcome(t, code);
    }
    // The header list must outlive the request but not the handle's next use.
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, nullptr);
    ReturnHandle(e);
    if (status.ok() && !DeliverHead(&t)) {
      status = Status(StatusCode::kCancelled, "response aborted by its receiver");
    }
    sink.OnDone(std::move(status));
  }

 private:
  struct Transfer {
    uint64_t id = 0;
    ClientRequest request;
    std::shared_ptr<ResponseSink> sink;
    CURL* easy = nullptr;
    curl_slist* header_list = nullptr;
    char error[CURL_ERROR_SIZE] = {};
    // Response head as it arrives; delivered to the sink before the first body byte.
    int status = 0;
    Headers headers;
    bool head_delivered = false;
    bool aborted = false;
    uint64_t body_offset = 0;  // how much of body/body_view was sent
    Status source_error;

    ~Transfer() {
      if (header_list != nullptr) curl_slist_free_all(header_list);
      if (easy != nullptr) curl_easy_cleanup(easy);
    }
  };

  static size_t OnHeaderLine(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    size_t length = size * count;
    std::string_view line(data, length);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.starts_with("HTTP/")) {
      // A new status line: an interim 1xx, or the final response. Start over.
      t->headers = Headers();
      size_t space = line.find(' ');
      t->status = space == std::string_view::npos ? 0 : std::atoi(std::string(line.substr(space + 1, 3)).c_str());
      return length;
    }
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      t->headers.Add(line.substr(0, colon), value);
    }
    return length;
  }

  static bool DeliverHead(Transfer* t) {
    if (t->head_delivered) return true;
    t->head_delivered = true;
    if (!t->sink->OnHead(t->status, t->headers)) {
      t->aborted = true;
      return false;
    }
    return true;
  }

  static size_t OnBodyData(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    size_t length = size * count;
    if (!DeliverHead(t)) return 0;
    if (!t->sink->OnBody(std::as_bytes(std::span(data, length)))) {
      t->aborted = true;
      return 0;
    }
    return length;
  }

  static size_t OnReadBody(char* buffer, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    size_t room = size * count;
    ClientRequest& r = t->request;
    if (r.body_file.fd >= 0) {
      const BodyFile& file = r.body_file;
      size_t want = static_cast<size_t>(std::min<uint64_t>(room, file.length - t->body_offset));
      if (want == 0) return 0;
      ssize_t n;
      do {
        n = ::pread(file.fd, buffer, want, static_cast<off_t>(file.offset + t->body_offset));
      } while (n < 0 && errno == EINTR);
      if (n <= 0) {
        t->source_error =
            n < 0 ? Status(StatusCode::kAborted, "reading " + file.name + " at byte " +
                                                     std::to_string(file.offset + t->body_offset) +
                                                     ": " + std::strerror(errno))
                  : BodyFileEndedEarly(file, t->body_offset);
        return CURL_READFUNC_ABORT;
      }
      t->body_offset += static_cast<uint64_t>(n);
      return static_cast<size_t>(n);
    }
    if (r.body_source) {
      auto n = r.body_source(std::as_writable_bytes(std::span(buffer, room)));
      if (!n.has_value()) {
        t->source_error = n.error();
        return CURL_READFUNC_ABORT;
      }
      return *n;
    }
    std::span<const std::byte> body = !r.body.empty() ? std::as_bytes(std::span(r.body)) : r.body_view;
    size_t n = std::min<size_t>(room, body.size() - t->body_offset);
    std::memcpy(buffer, body.data() + t->body_offset, n);
    t->body_offset += n;
    return n;
  }

  static int OnSeek(void* user, curl_off_t offset, int origin) {
    // Lets libcurl rewind an in-memory body when it must resend it (e.g. after a 100-continue
    // race or an auth retry); streamed sources cannot rewind.
    auto* t = static_cast<Transfer*>(user);
    if (origin != SEEK_SET || t->request.body_source) return CURL_SEEKFUNC_CANTSEEK;
    t->body_offset = static_cast<uint64_t>(offset);
    return CURL_SEEKFUNC_OK;
  }

  // Sets every option of `e` for t's request (on a fresh or reset handle).
  Status Setup(Transfer& t, CURL* e) {
    ClientRequest& r = t.request;
    curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
    // Object keys may contain "." and ".." segments: send the path exactly as built and signed.
    curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, static_cast<long>(options_.receive_buffer_bytes));
    curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, 2L << 20);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options_.connect_timeout.count()));
    if (r.timeout.count() > 0) {
      curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(r.timeout.count()));
    }
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(options_.stall_bytes_per_second));
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.stall_window.count()));
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
    if (!options_.ca_bundle.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, options_.ca_bundle.c_str());
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &OnHeaderLine);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &OnBodyData);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
    // Bytes arrive exactly as sent: no decompression, no redirects.
    curl_easy_setopt(e, CURLOPT_HTTP_CONTENT_DECODING, 0L);
    curl_easy_setopt(e, CURLOPT_HTTP_TRANSFER_DECODING, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);

    uint64_t body_size = r.body_source         ? r.body_source_size
                         : r.body_file.fd >= 0 ? r.body_file.length
                         : !r.body.empty()     ? r.body.size()
                                               : r.body_view.size();
    bool has_body = r.body_source || r.body_file.fd >= 0 || body_size > 0;
    if (r.method == "HEAD") {
      curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (r.method == "GET") {
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (r.method == "PUT" || (r.method == "POST" && has_body)) {
      curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_size));
      curl_easy_setopt(e, CURLOPT_READFUNCTION, &OnReadBody);
      curl_easy_setopt(e, CURLOPT_READDATA, &t);
      curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, &OnSeek);
      curl_easy_setopt(e, CURLOPT_SEEKDATA, &t);
      if (r.method != "PUT") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    } else {
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
      if (r.method == "POST") {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(0));
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
      }
    }
    for (const auto& [name, value] : r.headers.entries()) {
      std::string line = name + (value.empty() ? ";" : ": " + value);
      t.header_list = curl_slist_append(t.header_list, line.c_str());
    }
    // No 100-continue round trip and no default Accept/Content-Type libcurl would add.
    for (const char* suppress : {"Expect:", "Accept:"}) {
      t.header_list = curl_slist_append(t.header_list, suppress);
    }
    // Without this libcurl labels bodiless POSTs (CreateMultipartUpload) as form data, and
    // S3 stores that as the object's type.
    if (!r.headers.Has("content-type")) {
      t.header_list = curl_slist_append(t.header_list, "Content-Type:");
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.header_list);
    return Status::Ok();
  }

  // What a finished transfer ends with, from libcurl's result and the callbacks' state.
  static Status Outcome(const Transfer& t, CURLcode code) {
    if (!t.source_error.ok()) {
      return t.source_error.WithContext("reading the request body of " + t.request.method + " " +
                                        t.request.url);
    }
    if (t.aborted) return Status(StatusCode::kCancelled, "response aborted by its receiver");
    return FromCurl(code, t.error, t.request.method + " " + t.request.url);
  }

  // An easy handle for Perform: an idle one (with its open connection) or a new one.
  CURL* TakeHandle() {
    {
      std::lock_guard lock(idle_mu_);
      if (!idle_.empty()) {
        CURL* e = idle_.back();
        idle_.pop_back();
        // Options go, the handle's connection cache stays.
        curl_easy_reset(e);
        return e;
      }
    }
    return curl_easy_init();
  }

  void ReturnHandle(CURL* e) {
    {
      std::lock_guard lock(idle_mu_);
      // As many as requests may run at once: more would only hold idle connections open.
      if (idle_.size() < options_.max_connections) {
        idle_.push_back(e);
        return;
      }
    }
    curl_easy_cleanup(e);
  }

  void Finish(std::unique_ptr<Transfer> t, Status status) {
    if (t->easy != nullptr) curl_multi_remove_handle(multi_, t->easy);
    if (status.ok()) {
      if (!DeliverHead(t.get())) {
        status = Status(StatusCode::kCancelled, "response aborted by its receiver");
      }
    }
    t->sink->OnDone(std::move(status));
  }

  void Loop() {
    for (;;) {
      std::vector<std::unique_ptr<Transfer>> incoming;
      std::vector<uint64_t> cancels;
      bool stopping;
      {
        std::lock_guard lock(mu_);
        while (!pending_.empty()) {
          incoming.push_back(std::move(pending_.front()));
          pending_.pop_front();
        }
        cancels.swap(cancels_);
        stopping = stopping_;
      }
      for (auto& t : incoming) {
        t->easy = curl_easy_init();
        Status setup = t->easy == nullptr ? Internal("curl_easy_init failed") : Setup(*t, t->easy);
        if (!setup.ok()) {
          Finish(std::move(t), setup);
          continue;
        }
        curl_multi_add_handle(multi_, t->easy);
        uint64_t id = t->id;
        active_[id] = std::move(t);
      }
      for (uint64_t id : cancels) {
        auto it = active_.find(id);
        if (it == active_.end()) continue;
        auto t = std::move(it->second);
        active_.erase(it);
        Finish(std::move(t), Status(StatusCode::kCancelled, "request cancelled"));
      }
      if (stopping) {
        for (auto& [id, t] : active_) {
          Finish(std::move(t), Status(StatusCode::kCancelled, "HTTP client is shutting down"));
        }
        active_.clear();
        return;
      }

      int running = 0;
      curl_multi_perform(multi_, &running);
      int queued = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
        if (msg->msg != CURLMSG_DONE) continue;
        Transfer* raw = nullptr;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &raw);
        auto it = active_.find(raw->id);
        if (it == active_.end()) continue;
        auto t = std::move(it->second);
        active_.erase(it);
        Status status = Outcome(*t, msg->data.result);
        Finish(std::move(t), std::move(status));
      }
      curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
    }
  }

  const ClientOptions options_;
  std::unique_ptr<PlainClient> plain_;  // plain-HTTP requests without a body; null: all libcurl
  CURLM* multi_ = nullptr;
  std::once_flag thread_started_;
  std::thread thread_;
  std::atomic<uint64_t> next_id_{0};

  std::mutex mu_;
  std::deque<std::unique_ptr<Transfer>> pending_;  // guarded by mu_
  std::vector<uint64_t> cancels_;                  // guarded by mu_
  bool stopping_ = false;                          // guarded by mu_

  // Owned by the I/O thread.
  std::unordered_map<uint64_t, std::unique_ptr<Transfer>> active_;

  // Easy handles of Perform() between requests, each with its open connections.
  std::mutex idle_mu_;
  std::vector<CURL*> idle_;  // guarded by idle_mu_
};

Result<std::unique_ptr<Client>> Client::Create(const ClientOptions& options) {
  if (!GlobalInit()) return Error(Internal("curl_global_init failed"));
  if (options.max_connections == 0) {
    return Error(InvalidArgument("HTTP client max_connections must be at least 1"));
  }
  return std::unique_ptr<Client>(new Client(std::make_unique<Impl>(options)));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

uint64_t Client::Start(ClientRequest request, std::shared_ptr<ResponseSink> sink) {
  return impl_->Start(std::move(request), std::move(sink));
}

void Client::Cancel(uint64_t id) { impl_->Cancel(id); }

void Client::Perform(ClientRequest request, ResponseSink& sink) {
  impl_->Perform(std::move(request), sink);
}

Result<ClientResponse> Client::Send(ClientRequest request, size_t max_body) {
  BufferSink sink(max_body);
  auto future = sink.Future();
  Perform(std::move(request), sink);
  return future.get();
}

}  // namespace trainload::http
