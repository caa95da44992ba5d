#include "client/requester.h"

#include <random>
#include <thread>

#include "common/digest.h"
#include "s3/endpoint.h"
#include "s3/error_code.h"
#include "s3/response_parsers.h"
#include "s3/sigv4.h"

namespace trainload::client {
namespace {

using s3::ErrorCode;

uint64_t ThreadRandom() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return rng();
}

bool Success(int status) { return status >= 200 && status < 300; }

// Bridges one HTTP exchange to a BodyConsumer (2xx) or an in-memory body (errors and buffered
// requests). Used on the sending thread (http::Client::Perform).
class ExchangeSink final : public http::ResponseSink {
 public:
  ExchangeSink(BodyConsumer* consumer, size_t max_body) : consumer_(consumer), max_body_(max_body) {}

  bool OnHead(int status, const http::Headers& headers) override {
    response_.status = status;
    response_.headers = headers;
    if (consumer_ != nullptr && Success(status)) {
      consumer_error_ = consumer_->Begin(status, headers);
      return consumer_error_.ok();
    }
    return true;
  }

  bool OnBody(std::span<const std::byte> data) override {
    if (consumer_ != nullptr && Success(response_.status)) {
      consumer_error_ = consumer_->Append(data);
      return consumer_error_.ok();
    }
    // Error bodies are small XML documents; keep at most max_body_ of anything else.
    if (response_.body.size() + data.size() > max_body_) {
      too_large_ = true;
      return false;
    }
    response_.body.append(reinterpret_cast<const char*>(data.data()), data.size());
    return true;
  }

  std::span<std::byte> BodyDestination() override {
    if (consumer_ != nullptr && Success(response_.status)) return consumer_->Destination();
    return {};
  }

  bool OnBodyReceived(size_t n) override {
    consumer_error_ = consumer_->Commit(n);
    return consumer_error_.ok();
  }

  void OnDone(Status status) override {
    if (!consumer_error_.ok()) {
      status = consumer_error_;
    } else if (too_large_) {
      status = Status(StatusCode::kResourceExhausted,
                      "response body larger than " + std::to_string(max_body_) + " bytes");
    }
    if (status.ok()) {
      result_ = std::move(response_);
    } else {
      result_ = Error(std::move(status));
    }
  }

  // After OnDone.
  Result<S3Response> TakeResult() { return std::move(result_); }

 private:
  BodyConsumer* consumer_;
  const size_t max_body_;
  S3Response response_;
  Status consumer_error_;
  bool too_large_ = false;
  Result<S3Response> result_ = Error(Internal("the HTTP exchange did not finish"));
};

}  // namespace

Status ErrorFromResponse(int status, std::string_view body, std::string_view context,
                         bool has_key) {
  s3::ParsedError parsed = s3::ParseErrorBody(body);
  if (!parsed.code.empty()) return s3::StatusFromError(parsed, context);
  // No XML (HEAD responses, proxies): the HTTP status decides.
  ErrorCode code;
  switch (status) {
    case 304: code = ErrorCode::kNotModified; break;
    case 400: code = ErrorCode::kInvalidRequest; break;
    case 403: code = ErrorCode::kAccessDenied; break;
    case 404: code = has_key ? ErrorCode::kNoSuchKey : ErrorCode::kNoSuchBucket; break;
    case 405: code = ErrorCode::kMethodNotAllowed; break;
    case 409: code = ErrorCode::kConditionalRequestConflict; break;
    case 411: code = ErrorCode::kMissingContentLength; break;
    case 412: code = ErrorCode::kPreconditionFailed; break;
    case 416: code = ErrorCode::kInvalidRange; break;
    case 501: code = ErrorCode::kNotImplemented; break;
    case 503: code = ErrorCode::kSlowDown; break;
    default: code = status >= 500 ? ErrorCode::kInternalError : ErrorCode::kInvalidRequest; break;
  }
  return s3::MakeError(code, std::string(context) + ": HTTP " + std::to_string(status) + " (" +
                                 std::string(s3::Info(code).default_message) + ")");
}

Requester::Requester(const ResolvedConfig& config, http::Client& http, RetryBudget& budget,
                     const Clock& clock)
    : config_(config), http_(http), budget_(budget), clock_(clock) {}

std::string Requester::Describe(const S3Request& request) {
  std::string out(request.operation);
  if (!request.bucket.empty()) {
    out += " s3://" + request.bucket;
    if (!request.key.empty()) out += "/" + request.key;
  }
  return out;
}

Result<http::ClientRequest> Requester::Build(const S3Request& request) {
  const ClientOptions& options = config_.options;
  TL_ASSIGN_OR_RETURN(s3::RequestTarget target,
                      s3::BuildRequestTarget(config_.endpoint, options.addressing, request.bucket,
                                             request.key, request.query));
  http::ClientRequest out;
  out.method = request.method;
  out.url = target.url;
  out.headers = request.headers;
  out.headers.Set("host", target.host_header);
  out.timeout = options.request_timeout;
  if (!request.body.empty()) {
    out.body = request.body;
  } else {
    out.body_view = request.body_view;
  }
  out.body_file = request.body_file;
  if (options.anonymous || !options.credentials) return out;

  std::string payload_hash = "UNSIGNED-PAYLOAD";
  if (request.sign_body) {
    std::string_view body = !request.body.empty()
                                ? std::string_view(request.body)
                                : std::string_view(reinterpret_cast<const char*>(
                                                       request.body_view.data()),
                                                   request.body_view.size());
    payload_hash = Sha256Hex(body);
  }
  std::string amz_date = FormatAmzDate(clock_.NowSeconds());
  std::vector<s3::Header> headers(out.headers.entries().begin(), out.headers.entries().end());
  s3::SigningRequest signing{out.method, target.raw_path, target.raw_query, headers,
                             payload_hash, amz_date, options.region, "s3"};
  const Credentials& c = *options.credentials;
  TL_ASSIGN_OR_RETURN(s3::SignedRequest signed_request,
                      s3::SignRequest(signing, s3::Credentials{c.access_key_id,
                                                               c.secret_access_key,
                                                               c.session_token}));
  for (const auto& [name, value] : signed_request.added_headers) out.headers.Set(name, value);
  out.headers.Set("authorization", signed_request.authorization);
  return out;
}

Result<S3Response> Requester::Attempt(const S3Request& request, BodyConsumer* consumer,
                                      size_t max_body) {
  TL_ASSIGN_OR_RETURN(http::ClientRequest http_request, Build(request));
  ExchangeSink sink(consumer, max_body);
  // On this thread: the caller waits for the response anyway.
  http_.Perform(std::move(http_request), sink);
  TL_ASSIGN_OR_RETURN(S3Response response, sink.TakeResult());
  if (!Success(response.status)) {
    return Error(ErrorFromResponse(response.status, response.body, Describe(request),
                                   !request.key.empty()));
  }
  return response;
}

Result<S3Response> Requester::WithRetries(const S3Request& request, BodyConsumer* consumer,
                                          size_t max_body) {
  RetryOptions retry{config_.options.max_attempts > 0 ? config_.options.max_attempts
                                                      : kDefaultMaxAttempts,
                     config_.options.backoff_base, config_.options.backoff_max};
  for (int attempt = 1;; ++attempt) {
    Result<S3Response> result = Attempt(request, consumer, max_body);
    if (result.has_value()) {
      budget_.OnSuccess();
      return result;
    }
    const Status& error = result.error();
    std::string context = Describe(request);
    if (!request.idempotent || !IsTransient(error)) {
      // Errors from S3 already name the request; transport errors get the context here.
      if (!error.reason().empty()) return result;
      return Error(error.WithContext(context));
    }
    // S3 errors already start with the context: say why it ended without naming it twice.
    auto exhausted = [&](const std::string& why) {
      if (!error.reason().empty()) {
        return Status(error.code(), error.message() + " (" + why + ")", error.reason());
      }
      return error.WithContext(context + ": " + why);
    };
    if (attempt >= retry.max_attempts) {
      return Error(exhausted("giving up after " + std::to_string(attempt) + " attempts"));
    }
    if (!budget_.TryAcquire(IsTimeout(error))) {
      return Error(exhausted("retry budget exhausted after " + std::to_string(attempt) +
                             " attempts"));
    }
    std::this_thread::sleep_for(BackoffDelay(attempt - 1, retry, ThreadRandom()));
  }
}

Result<S3Response> Requester::Send(const S3Request& request, size_t max_body) {
  return WithRetries(request, nullptr, max_body);
}

Result<S3Response> Requester::SendStreaming(const S3Request& request, BodyConsumer& consumer) {
  return WithRetries(request, &consumer, 64 << 10);
}

Result<std::string> Requester::Presign(std::string_view method, std::string_view bucket,
                                       std::string_view key, int64_t expires_seconds) {
  const ClientOptions& options = config_.options;
  if (!options.credentials) {
    return Error(FailedPrecondition("cannot presign without credentials (anonymous client)"));
  }
  TL_ASSIGN_OR_RETURN(s3::RequestTarget target,
                      s3::BuildRequestTarget(config_.endpoint, options.addressing, bucket, key));
  std::string amz_date = FormatAmzDate(clock_.NowSeconds());
  std::vector<s3::Header> headers = {{"host", target.host_header}};
  s3::SigningRequest signing{method, target.raw_path, target.raw_query, headers,
                             "UNSIGNED-PAYLOAD", amz_date, options.region, "s3"};
  const Credentials& c = *options.credentials;
  TL_ASSIGN_OR_RETURN(std::string query,
                      s3::Presign(signing, s3::Credentials{c.access_key_id, c.secret_access_key,
                                                           c.session_token},
                                  expires_seconds));
  std::string url = target.url.substr(0, target.url.find('?'));
  return url + "?" + query;
}

}  // namespace trainload::client
