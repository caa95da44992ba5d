#include "status_exception.h"

#include <pybind11/pybind11.h>

#include <array>

namespace py = pybind11;

namespace trainload::python {

std::string S3Uri(std::string_view bucket, std::string_view key) {
  std::string uri = "s3://";
  uri += bucket;
  if (!key.empty()) {
    uri += '/';
    uri += key;
  }
  return uri;
}

std::string_view ExceptionClassFor(const Status& status) {
  // The S3 error code decides when the server sent one: a 404 from HEAD has no body, so the
  // StatusCode is the fallback.
  static constexpr std::array<std::string_view, 4> kNotFound = {"NoSuchKey", "NoSuchBucket",
                                                                "NotFound", "NoSuchUpload"};
  static constexpr std::array<std::string_view, 7> kDenied = {
      "AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId", "Forbidden",
      "ExpiredToken", "InvalidToken",          "AllAccessDisabled"};
  const std::string& reason = status.reason();
  for (std::string_view code : kNotFound) {
    if (reason == code) return "S3FileNotFoundError";
  }
  for (std::string_view code : kDenied) {
    if (reason == code) return "S3PermissionError";
  }
  if (!reason.empty()) return "S3Exception";
  switch (status.code()) {
    case StatusCode::kNotFound:
      return "S3FileNotFoundError";
    case StatusCode::kPermissionDenied:
    case StatusCode::kUnauthenticated:
      return "S3PermissionError";
    default:
      return "S3Exception";
  }
}

void ThrowStatus(const Status& status, const std::string& uri) {
  // Client messages usually start with "GetObject s3://bucket/key: ..."; when one does not name
  // the object (a connection that failed before any request was addressed), the URI leads.
  std::string message = status.message();
  if (message.find(uri) == std::string::npos) message = uri + ": " + message;
  if (!status.reason().empty() && message.find(status.reason()) == std::string::npos) {
    message += " (" + status.reason() + ")";
  }
  py::object errors = py::module_::import("trainload._errors");
  py::object type = errors.attr(std::string(ExceptionClassFor(status)).c_str());
  py::object exception =
      type(message, py::arg("uri") = uri,
           py::arg("code") = status.reason().empty() ? std::string(StatusCodeName(status.code()))
                                                     : status.reason());
  PyErr_SetObject(type.ptr(), exception.ptr());
  throw py::error_already_set();
}

}  // namespace trainload::python
