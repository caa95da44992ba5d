#include "http/connection.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>
#include <optional>
#include <vector>

#include "common/time_format.h"
#include "http/request_parser.h"

namespace trainload::http {
namespace {

// Request bodies left unread by a handler are drained (to keep the connection) up to this size;
// larger ones close the connection instead.
constexpr uint64_t kMaxDrainBytes = 1 << 20;
// Small response heads and bodies are gathered and sent in one write.
constexpr size_t kCoalesceBytes = 64 * 1024;

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 416: return "Requested Range Not Satisfiable";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

std::span<const std::byte> AsBytes(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

}  // namespace

class Connection::Impl final : public Exchange {
 public:
  Impl(std::unique_ptr<Transport> transport, const ServerOptions& options, Handler& handler,
       std::string remote_address, bool tls)
      : transport_(std::move(transport)),
        options_(options),
        handler_(handler),
        remote_address_(std::move(remote_address)),
        tls_(tls),
        in_(256 * 1024) {
    request_.tls = tls_;
    request_.remote_address = remote_address_;
  }

  void Serve() {
    while (!stopped_.load(std::memory_order_relaxed)) {
      std::optional<HeadParse> head = AwaitHead();
      if (!head || !Respond(*head)) break;
    }
  }

  Connection::Progress ServeAvailable(const std::function<void()>* on_body_request) {
    on_body_request_ = on_body_request;
    Connection::Progress progress = ServeAvailableImpl();
    on_body_request_ = nullptr;
    return progress;
  }

  Connection::Progress ServeAvailableImpl() {
    using Progress = Connection::Progress;
    if (stopped_.load(std::memory_order_relaxed)) return Progress::kFinished;
    // The poller said the socket is readable: one read that does not wait (data, end of stream
    // or an error are there, or it was a spurious wake-up).
    if (!MakeRoom()) {
      (void)Respond(HeadParse::kTooLarge);
      return Progress::kFinished;
    }
    auto n = transport_->Read(std::span(in_.data() + in_end_, in_.size() - in_end_),
                              std::chrono::milliseconds(0));
    if (!n.has_value()) {
      return n.error().code() == StatusCode::kDeadlineExceeded ? Progress::kAwaitInput
                                                               : Progress::kFinished;
    }
    if (*n == 0) return Progress::kFinished;
    in_end_ += *n;
    // Serve what is complete; bytes of a next request are kept, and if they are all there
    // already (pipelining) it is served too. An unfinished head waits for the next event
    // rather than for a blocking read, so a slow client holds no worker.
    while (in_begin_ < in_end_) {
      HeadParse head = ParseBuffered();
      if (head == HeadParse::kIncomplete) break;
      if (!Respond(head) || stopped_.load(std::memory_order_relaxed)) return Progress::kFinished;
    }
    return Progress::kAwaitInput;
  }

  bool has_partial_request() const { return in_begin_ < in_end_; }

  void Stop() {
    stopped_.store(true);
    transport_->Shutdown();
  }

  // Exchange:
  const Request& request() const override { return request_; }

  Result<size_t> ReadBody(std::span<std::byte> buffer) override {
    if (body_done_ || buffer.empty()) return 0;
    if (expect_continue_ && !continue_sent_) {
      continue_sent_ = true;
      TL_RETURN_IF_ERROR(transport_->Write(AsBytes("HTTP/1.1 100 Continue\r\n\r\n"), false));
    }
    return request_.chunked ? ReadChunkedBody(buffer) : ReadLengthBody(buffer);
  }

  std::optional<uint64_t> body_remaining() const override {
    if (body_done_) return 0;
    if (request_.chunked) return std::nullopt;
    return body_remaining_;
  }

  Status SendHead(int status, const Headers& headers,
                  std::optional<uint64_t> content_length) override {
    if (head_sent_) return Internal("HTTP response head sent twice");
    head_sent_ = true;
    bool bodiless = request_.method == "HEAD" || status == 204 || status == 304;
    response_chunked_ = !content_length.has_value() && !bodiless;
    response_body_left_ = bodiless ? 0 : content_length.value_or(0);
    if (!BodyCanBeDrained()) keep_alive_ = false;

    std::string& out = pending_out_;
    // RFC 9110 lets a server skip the 100 when the request has no content, but botocore sends
    // "Expect: 100-continue" for every file-like body (empty files too) and, when the final
    // response comes first, keeps that response's status line for the next response on the
    // same connection: its next request then stalls until the 60 s read timeout and is retried.
    // So an empty body that was expected to wait for a 100 still gets one.
    if (expect_continue_ && !continue_sent_ && body_done_) {
      continue_sent_ = true;
      out.append("HTTP/1.1 100 Continue\r\n\r\n");
    }
    char number[24];
    out.append("HTTP/1.1 ").append(FormatNumber(number, status)).append(" ");
    out.append(ReasonPhrase(status)).append("\r\n");
    for (const auto& [name, value] : headers.entries()) {
      out.append(name).append(": ").append(value).append("\r\n");
    }
    out.append("date: ").append(DateNow()).append("\r\n");
    if (response_chunked_) {
      out.append("transfer-encoding: chunked\r\n");
    } else if (status != 204 && status != 304) {
      out.append("content-length: ").append(FormatNumber(number, content_length.value_or(0)));
      out.append("\r\n");
    }
    if (!keep_alive_) out.append("connection: close\r\n");
    out.append("\r\n");
    if (bodiless) return Flush();
    return Status::Ok();
  }

  Status SendBody(std::span<const std::byte> data) override {
    if (!head_sent_) return Internal("HTTP response body before head");
    if (data.empty()) return Status::Ok();
    if (response_chunked_) {
      char size_line[32];
      int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", data.size());
      pending_out_.append(size_line, static_cast<size_t>(n));
      pending_out_.append(reinterpret_cast<const char*>(data.data()), data.size());
      pending_out_.append("\r\n");
      return pending_out_.size() >= kCoalesceBytes ? Flush() : Status::Ok();
    }
    if (data.size() > response_body_left_) {
      return Internal("HTTP response body longer than its Content-Length");
    }
    response_body_left_ -= data.size();
    if (pending_out_.size() + data.size() <= kCoalesceBytes) {
      pending_out_.append(reinterpret_cast<const char*>(data.data()), data.size());
      return Status::Ok();
    }
    TL_RETURN_IF_ERROR(Flush());
    return transport_->Write(data, false);
  }

  Status SendFile(int fd, uint64_t offset, uint64_t length) override {
    if (!head_sent_ || response_chunked_) return Internal("SendFile needs a sized response head");
    if (length > response_body_left_) {
      return Internal("HTTP response body longer than its Content-Length");
    }
    response_body_left_ -= length;
    // The head rides with the first file bytes in one segment.
    TL_RETURN_IF_ERROR(Flush(/*more=*/true));
    return transport_->SendFile(fd, offset, length);
  }

  bool head_sent() const override { return head_sent_; }

 private:
  // Reads (blocking, with the idle timeout before the first byte and the I/O timeout after)
  // until a head is parsed or found bad; nullopt when the connection ended quietly (closed,
  // reset, timed out).
  std::optional<HeadParse> AwaitHead() {
    for (;;) {
      if (in_begin_ < in_end_) {
        HeadParse head = ParseBuffered();
        if (head != HeadParse::kIncomplete) return head;
      }
      if (!MakeRoom()) return HeadParse::kTooLarge;
      auto timeout = in_begin_ == in_end_ ? options_.idle_timeout : options_.io_timeout;
      auto n = transport_->Read(std::span(in_.data() + in_end_, in_.size() - in_end_), timeout);
      if (!n.has_value() || *n == 0) return std::nullopt;
      in_end_ += *n;
    }
  }

  // Parses the head at the front of the buffered input. kComplete fills request_ and consumes
  // the head; other outcomes consume nothing.
  HeadParse ParseBuffered() {
    ResetForRequest();
    std::string_view input(reinterpret_cast<const char*>(in_.data() + in_begin_),
                           in_end_ - in_begin_);
    HeadParse outcome =
        ParseRequestHead(input, options_.max_header_bytes, head_, request_.headers);
    if (outcome != HeadParse::kComplete) return outcome;
    // Assigned, not rebuilt: the strings keep their capacity from one request to the next.
    request_.method.assign(head_.method);
    request_.target.assign(head_.target);
    request_.content_length = head_.content_length;
    request_.chunked = head_.chunked;
    keep_alive_ = head_.keep_alive;
    body_remaining_ = head_.content_length.value_or(0);
    body_done_ = !head_.chunked && body_remaining_ == 0;
    expect_continue_ = head_.expect_continue;
    chunked_ = ChunkedDecoder();
    in_begin_ += head_.head_bytes;
    return outcome;
  }

  // Answers one parsed head (or the protocol error instead); false when the connection must end.
  bool Respond(HeadParse head) {
    if (head != HeadParse::kComplete) {
      // The head could not be parsed: the handler sees an empty request and answers the error.
      ResetForRequest();
      request_.method.clear();
      request_.target.clear();
      request_.headers.Clear();
      request_.content_length.reset();
      request_.chunked = false;
      keep_alive_ = false;
      body_done_ = true;
      handler_.HandleProtocolError(
          head == HeadParse::kTooLarge ? ProtocolError::kHeaderTooLarge : ProtocolError::kMalformed,
          *this);
      if (!head_sent_) (void)SendHead(400, Headers(), 0);
      (void)Flush();
      return false;
    }
    if (on_body_request_ != nullptr && !body_done_) (*on_body_request_)();
    handler_.Handle(*this);
    return FinishResponse();
  }

  // Moves unparsed bytes to the front of the input buffer; false when it is full.
  bool MakeRoom() {
    CompactInput();
    return in_end_ < in_.size();
  }

  void ResetForRequest() {
    head_sent_ = false;
    response_chunked_ = false;
    response_body_left_ = 0;
    body_done_ = false;
    body_remaining_ = 0;
    expect_continue_ = false;
    continue_sent_ = false;
    keep_alive_ = true;
    pending_out_.clear();
  }

  // Content-Length bodies bypass the parser: bytes go from the socket straight into the
  // caller's buffer, so a large PUT costs no extra copy.
  Result<size_t> ReadLengthBody(std::span<std::byte> buffer) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), body_remaining_));
    size_t got;
    if (in_begin_ < in_end_) {
      got = std::min(want, in_end_ - in_begin_);
      std::memcpy(buffer.data(), in_.data() + in_begin_, got);
      in_begin_ += got;
    } else {
      auto n = transport_->Read(buffer.first(want), options_.io_timeout);
      if (!n.has_value()) return Error(n.error().WithContext("reading request body"));
      if (*n == 0) {
        return Error(Status(StatusCode::kUnavailable,
                            "client closed the connection with " +
                                std::to_string(body_remaining_) + " body bytes still to send"));
      }
      got = *n;
    }
    body_remaining_ -= got;
    if (body_remaining_ == 0) body_done_ = true;
    return got;
  }

  // Chunked bodies are decoded from the input buffer into the caller's buffer.
  Result<size_t> ReadChunkedBody(std::span<std::byte> buffer) {
    for (;;) {
      if (in_begin_ < in_end_) {
        TL_ASSIGN_OR_RETURN(ChunkedDecoder::Step step,
                            chunked_.Decode(std::span(in_.data() + in_begin_, in_end_ - in_begin_),
                                            buffer));
        in_begin_ += step.consumed;
        if (chunked_.done()) body_done_ = true;
        if (step.produced > 0 || body_done_) return step.produced;
      }
      if (!MakeRoom()) return Error(Internal("HTTP input buffer full inside a chunked body"));
      auto n = transport_->Read(std::span(in_.data() + in_end_, in_.size() - in_end_),
                                options_.io_timeout);
      if (!n.has_value()) return Error(n.error().WithContext("reading request body"));
      if (*n == 0) {
        return Error(Unavailable("client closed the connection in the middle of a chunked body"));
      }
      in_end_ += *n;
    }
  }

  // Whether an unread request body can still be skipped so the connection stays usable.
  bool BodyCanBeDrained() const {
    if (body_done_) return true;
    if (expect_continue_ && !continue_sent_) return false;  // the client may never send it
    return !request_.chunked && body_remaining_ <= kMaxDrainBytes;
  }

  bool FinishResponse() {
    if (!head_sent_) {
      keep_alive_ = false;
      (void)SendHead(500, Headers(), 0);
    }
    if (response_chunked_) pending_out_.append("0\r\n\r\n");
    if (!Flush().ok()) return false;
    if (response_body_left_ != 0) return false;  // handler sent a short body: cannot recover
    if (!keep_alive_) return false;
    // Skip what the handler left unread of the request body.
    std::vector<std::byte> scratch;
    while (!body_done_) {
      if (scratch.empty()) scratch.resize(64 * 1024);
      auto n = ReadBody(scratch);
      if (!n.has_value() || *n == 0) return false;
    }
    return true;
  }

  Status Flush(bool more = false) {
    if (pending_out_.empty()) return Status::Ok();
    Status s = transport_->Write(AsBytes(pending_out_), more);
    pending_out_.clear();
    return s;
  }

  // The Date header value, formatted once per second per connection rather than per response.
  std::string_view DateNow() {
    int64_t now = SystemClock().NowSeconds();
    if (now != date_seconds_) {
      date_seconds_ = now;
      date_text_ = FormatHttpDate(now);
    }
    return date_text_;
  }

  template <typename Number>
  static std::string_view FormatNumber(char (&buffer)[24], Number value) {
    return std::string_view(buffer,
                            static_cast<size_t>(std::to_chars(buffer, buffer + 24, value).ptr -
                                                buffer));
  }

  void CompactInput() {
    if (in_begin_ == 0) return;
    std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
    in_end_ -= in_begin_;
    in_begin_ = 0;
  }

  std::unique_ptr<Transport> transport_;
  const ServerOptions& options_;
  Handler& handler_;
  const std::string remote_address_;
  const bool tls_;
  std::atomic<bool> stopped_{false};
  const std::function<void()>* on_body_request_ = nullptr;  // during ServeAvailable() only

  // Input buffer: bytes [in_begin_, in_end_) are received but not yet parsed.
  std::vector<std::byte> in_;
  size_t in_begin_ = 0;
  size_t in_end_ = 0;

  // Per-request state. request_ is reused from one request to the next (see ParseBuffered).
  RequestHead head_;
  ChunkedDecoder chunked_;
  Request request_;
  bool body_done_ = false;
  uint64_t body_remaining_ = 0;
  bool expect_continue_ = false;
  bool continue_sent_ = false;
  bool keep_alive_ = true;
  bool head_sent_ = false;
  bool response_chunked_ = false;
  uint64_t response_body_left_ = 0;
  std::string pending_out_;
  int64_t date_seconds_ = -1;
  std::string date_text_;
};

Connection::Connection(std::unique_ptr<Transport> transport, const ServerOptions& options,
                       Handler& handler, std::string remote_address, bool tls)
    : impl_(std::make_unique<Impl>(std::move(transport), options, handler,
                                   std::move(remote_address), tls)) {}

Connection::~Connection() = default;

void Connection::Serve() { impl_->Serve(); }

Connection::Progress Connection::ServeAvailable(const std::function<void()>* on_body_request) {
  return impl_->ServeAvailable(on_body_request);
}

bool Connection::has_partial_request() const { return impl_->has_partial_request(); }

void Connection::Stop() { impl_->Stop(); }

}  // namespace trainload::http
