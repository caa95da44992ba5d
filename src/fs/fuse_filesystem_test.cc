#include "fs/fuse_filesystem.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "fs/fs_error.h"
#include "s3/error_code.h"

namespace trainload::fs {
namespace {

TEST(ToErrnoTest, FileSystemDecisions) {
  EXPECT_EQ(ToErrno(MakeFsError(FsError::kNotPermitted, "m")), EPERM);
  EXPECT_EQ(ToErrno(MakeFsError(FsError::kReadOnly, "m")), EROFS);
  EXPECT_EQ(ToErrno(MakeFsError(FsError::kBusy, "m")), EBUSY);
  EXPECT_EQ(ToErrno(MakeFsError(FsError::kIsDirectory, "m")), EISDIR);
  EXPECT_EQ(ToErrno(MakeFsError(FsError::kNotDirectory, "m")), ENOTDIR);
  EXPECT_EQ(ToErrno(MakeFsError(FsError::kNotEmpty, "m")), ENOTEMPTY);
  EXPECT_EQ(ToErrno(MakeFsError(FsError::kExists, "m")), EEXIST);
  EXPECT_EQ(ToErrno(MakeFsError(FsError::kNoEntry, "m")), ENOENT);
  EXPECT_EQ(ToErrno(MakeFsError(FsError::kOutOfOrderWrite, "m")), EINVAL);
  EXPECT_EQ(ToErrno(MakeFsError(FsError::kBadHandle, "m")), EBADF);
  EXPECT_EQ(ToErrno(MakeFsError(FsError::kNotSupported, "m")), EOPNOTSUPP);
  EXPECT_EQ(ToErrno(MakeFsError(FsError::kNameTooLong, "m")), ENAMETOOLONG);
}

TEST(ToErrnoTest, S3Errors) {
  using s3::ErrorCode;
  EXPECT_EQ(ToErrno(s3::MakeError(ErrorCode::kNoSuchKey, "m")), ENOENT);
  EXPECT_EQ(ToErrno(s3::MakeError(ErrorCode::kNoSuchBucket, "m")), ENOENT);
  EXPECT_EQ(ToErrno(s3::MakeError(ErrorCode::kAccessDenied, "m")), EACCES);
  EXPECT_EQ(ToErrno(s3::MakeError(ErrorCode::kSignatureDoesNotMatch, "m")), EACCES);
  EXPECT_EQ(ToErrno(s3::MakeError(ErrorCode::kPreconditionFailed, "m")), EIO);
  EXPECT_EQ(ToErrno(Status(StatusCode::kAborted, "changed", "PreconditionFailed")), EIO);
  EXPECT_EQ(ToErrno(s3::MakeError(ErrorCode::kSlowDown, "giving up after 10 attempts")), EIO);
  EXPECT_EQ(ToErrno(s3::MakeError(ErrorCode::kInternalError, "m")), EIO);
  EXPECT_EQ(ToErrno(s3::MakeError(ErrorCode::kEntityTooLarge, "m")), EFBIG);
  EXPECT_EQ(ToErrno(s3::MakeError(ErrorCode::kKeyTooLongError, "m")), ENAMETOOLONG);
}

TEST(ToErrnoTest, StatusCodesWithoutReason) {
  EXPECT_EQ(ToErrno(Status::Ok()), 0);
  EXPECT_EQ(ToErrno(NotFound("m")), ENOENT);
  EXPECT_EQ(ToErrno(PermissionDenied("m")), EACCES);
  EXPECT_EQ(ToErrno(InvalidArgument("m")), EINVAL);
  EXPECT_EQ(ToErrno(Unimplemented("m")), ENOSYS);
  EXPECT_EQ(ToErrno(Unavailable("connection refused, giving up after 10 attempts")), EIO);
  EXPECT_EQ(ToErrno(DataLoss("checksum")), EIO);
  EXPECT_EQ(ToErrno(Internal("m")), EIO);
  EXPECT_EQ(ToErrno(Status(StatusCode::kDeadlineExceeded, "m")), ETIMEDOUT);
}

}  // namespace
}  // namespace trainload::fs
