#include "fs/fs_error.h"

namespace trainload::fs {

std::string_view FsErrorReason(FsError error) {
  switch (error) {
    case FsError::kNotPermitted:
      return "NotPermitted";
    case FsError::kReadOnly:
      return "ReadOnlyMount";
    case FsError::kBusy:
      return "Busy";
    case FsError::kIsDirectory:
      return "IsDirectory";
    case FsError::kNotDirectory:
      return "NotDirectory";
    case FsError::kNotEmpty:
      return "DirectoryNotEmpty";
    case FsError::kExists:
      return "Exists";
    case FsError::kNoEntry:
      return "NoEntry";
    case FsError::kOutOfOrderWrite:
      return "OutOfOrderWrite";
    case FsError::kBadHandle:
      return "BadHandle";
    case FsError::kNotSupported:
      return "NotSupported";
    case FsError::kNameTooLong:
      return "NameTooLong";
  }
  return "Unknown";
}

Status MakeFsError(FsError error, std::string message) {
  StatusCode code = StatusCode::kFailedPrecondition;
  switch (error) {
    case FsError::kNotPermitted:
    case FsError::kReadOnly:
      code = StatusCode::kPermissionDenied;
      break;
    case FsError::kExists:
      code = StatusCode::kAlreadyExists;
      break;
    case FsError::kNoEntry:
      code = StatusCode::kNotFound;
      break;
    case FsError::kOutOfOrderWrite:
      code = StatusCode::kInvalidArgument;
      break;
    case FsError::kNotSupported:
      code = StatusCode::kUnimplemented;
      break;
    default:
      break;
  }
  return Status(code, std::move(message), std::string(FsErrorReason(error)));
}

}  // namespace trainload::fs
