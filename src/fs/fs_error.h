// Errors the file system itself decides on (an operation the mount does not support, a write
// out of order, a directory that is not empty). Each is a Status whose reason() names the case;
// the FUSE edge (fuse_filesystem.cc, ToErrno) turns the reason into the errno docs/mount.md
// lists, exactly as it turns S3 reasons (NoSuchKey, AccessDenied, ...) into theirs. Nothing
// below the edge knows errno values. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "trainload/status.h"

namespace trainload::fs {

enum class FsError {
  kNotPermitted,     // the mount does not allow it (overwrite, delete, chmod, rename, ...)
  kReadOnly,         // --read-only
  kBusy,             // a file is being written
  kIsDirectory,      // file operation on a directory
  kNotDirectory,     // directory operation on a file
  kNotEmpty,         // rmdir of a directory with entries
  kExists,           // O_EXCL create / mkdir of an existing name
  kNoEntry,          // the name or inode is gone
  kOutOfOrderWrite,  // a write not at the end of what was written
  kBadHandle,        // a handle used for what it was not opened for, or after its commit
  kNotSupported,     // the operation exists nowhere in this file system (xattrs, ...)
  kNameTooLong,      // a name over 255 bytes
};

// The reason() tag of `error` ("OutOfOrderWrite", ...).
std::string_view FsErrorReason(FsError error);

// A Status carrying `error` as its reason, with a StatusCode that fits it.
Status MakeFsError(FsError error, std::string message);

}  // namespace trainload::fs
