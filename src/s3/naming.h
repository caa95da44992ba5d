// S3 naming rules for buckets (general purpose and directory) and object keys.
// Pure functions; thread-safe.
#pragma once

#include <string_view>

#include "trainload/status.h"

namespace trainload::s3 {

// Maximum object key length in bytes (UTF-8).
inline constexpr size_t kMaxKeyBytes = 1024;

// True for names of the directory-bucket form "base--zone-id--x-s3".
bool IsDirectoryBucketName(std::string_view name);

// Ok, or InvalidBucketName with a message saying which rule `name` breaks.
Status ValidateBucketName(std::string_view name);

// Ok, or KeyTooLongError (over 1024 bytes) / InvalidArgument (empty, or not valid UTF-8:
// keys must be representable in XML listings).
Status ValidateObjectKey(std::string_view key);

// Whether `text` is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool IsValidUtf8(std::string_view text);

}  // namespace trainload::s3
