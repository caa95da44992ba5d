// The one place where trainload's Status errors become Python exceptions (DESIGN.md, "Errors").
//
// The exception classes live in pure Python (trainload/_errors.py) so they can inherit from both
// S3Exception and the built-in FileNotFoundError / PermissionError, and pickle across DataLoader
// worker processes:
//   NoSuchKey, NoSuchBucket, NotFound, StatusCode::kNotFound   -> S3FileNotFoundError
//   AccessDenied, SignatureDoesNotMatch, InvalidAccessKeyId, ... and
//   StatusCode::kPermissionDenied / kUnauthenticated           -> S3PermissionError
//   anything else                                              -> S3Exception
// The message always names the s3:// URI the call was about.
//
// Call with the GIL held.
#pragma once

#include <string>
#include <string_view>

#include "trainload/status.h"

namespace trainload::python {

// "s3://bucket/key" ("s3://bucket" when key is empty).
std::string S3Uri(std::string_view bucket, std::string_view key);

// The name of the trainload._errors class `status` maps to.
std::string_view ExceptionClassFor(const Status& status);

// Sets the Python error for `status` (not ok) about `uri` and throws pybind11::error_already_set.
[[noreturn]] void ThrowStatus(const Status& status, const std::string& uri);

}  // namespace trainload::python
