// The one error type of trainload: Status, and Result<T> = std::expected<T, Status>.
//
// A Status is a code from a small, fixed set (modelled on absl::StatusCode), a message that
// names the operation and the object it was about, and an optional `reason`: a machine-readable
// tag from the protocol the error came from or goes to (an S3 error code such as "NoSuchKey" or
// "BadDigest"). Layers pass Status values up unchanged; only the edges translate them (errno in
// the file system, S3 XML in the server, exceptions in Python).
//
// Status is a value type; copies are cheap when ok (no allocation). Thread-compatible.
#pragma once

#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace trainload {

enum class StatusCode {
  kOk = 0,
  kCancelled,
  kInvalidArgument,
  kDeadlineExceeded,
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,
  kResourceExhausted,
  kFailedPrecondition,
  kAborted,
  kOutOfRange,
  kUnimplemented,
  kInternal,
  kUnavailable,
  kDataLoss,
  kUnauthenticated,
};

// Returns the canonical name of `code`, e.g. "NOT_FOUND".
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  // An ok status.
  Status() = default;
  Status(StatusCode code, std::string message, std::string reason = {});
  // Lets `return Error(status);` work in functions returning Status as well as Result<T>.
  Status(std::unexpected<Status> error) : Status(std::move(error).error()) {}  // NOLINT

  static Status Ok() { return Status(); }

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  // Human-readable; empty when ok.
  const std::string& message() const;
  // Protocol-level tag (e.g. an S3 error code); empty when none was attached.
  const std::string& reason() const;

  // Returns a copy whose message is `context + ": " + message()`. Ok stays ok.
  Status WithContext(std::string_view context) const;

  // "NOT_FOUND [NoSuchKey]: message" or "OK".
  std::string ToString() const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code() == b.code() && a.message() == b.message() && a.reason() == b.reason();
  }

 private:
  struct Rep {
    StatusCode code;
    std::string message;
    std::string reason;
  };
  std::shared_ptr<const Rep> rep_;
};

template <typename T>
using Result = std::expected<T, Status>;

// The Status of a Result: ok when it holds a value.
template <typename T>
Status StatusOf(const Result<T>& result) {
  return result.has_value() ? Status::Ok() : result.error();
}

// Shorthand for building an error Result: `return Error(Status(...));`
inline std::unexpected<Status> Error(Status status) { return std::unexpected(std::move(status)); }

inline Status InvalidArgument(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}
inline Status NotFound(std::string message) {
  return Status(StatusCode::kNotFound, std::move(message));
}
inline Status AlreadyExists(std::string message) {
  return Status(StatusCode::kAlreadyExists, std::move(message));
}
inline Status FailedPrecondition(std::string message) {
  return Status(StatusCode::kFailedPrecondition, std::move(message));
}
inline Status PermissionDenied(std::string message) {
  return Status(StatusCode::kPermissionDenied, std::move(message));
}
inline Status Internal(std::string message) {
  return Status(StatusCode::kInternal, std::move(message));
}
inline Status Unavailable(std::string message) {
  return Status(StatusCode::kUnavailable, std::move(message));
}
inline Status DataLoss(std::string message) {
  return Status(StatusCode::kDataLoss, std::move(message));
}
inline Status OutOfRange(std::string message) {
  return Status(StatusCode::kOutOfRange, std::move(message));
}
inline Status Unimplemented(std::string message) {
  return Status(StatusCode::kUnimplemented, std::move(message));
}

// Status from the current errno: "<what>: <strerror>" with a code chosen from errno
// (ENOENT -> kNotFound, EACCES -> kPermissionDenied, ENOSPC -> kResourceExhausted, ...).
Status ErrnoStatus(std::string_view what, int errno_value);

}  // namespace trainload

// Propagates an error Status from an expression yielding Status.
#define TL_RETURN_IF_ERROR(expr)                                     \
  do {                                                               \
    ::trainload::Status tl_status_ = (expr);                         \
    if (!tl_status_.ok()) return ::trainload::Error(std::move(tl_status_)); \
  } while (0)

#define TL_CONCAT_INNER_(a, b) a##b
#define TL_CONCAT_(a, b) TL_CONCAT_INNER_(a, b)

// `TL_ASSIGN_OR_RETURN(auto x, ExprReturningResult());` — binds the value or returns the error.
#define TL_ASSIGN_OR_RETURN(lhs, expr) \
  TL_ASSIGN_OR_RETURN_IMPL_(TL_CONCAT_(tl_result_, __LINE__), lhs, expr)
#define TL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)                  \
  auto tmp = (expr);                                               \
  if (!tmp.has_value()) return ::trainload::Error(std::move(tmp).error()); \
  lhs = std::move(tmp).value()
