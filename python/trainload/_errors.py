"""Exceptions raised by trainload's Python package.

The native module raises these (and only these) for failed S3 operations; each message names the
s3:// URI, and `.uri` / `.code` (the S3 error code, e.g. "NoSuchKey", or the status name such as
"UNAVAILABLE") carry the same facts for programs. The subclasses also derive from the built-in
exceptions code already handles, so `except FileNotFoundError` works as for local files.
"""


class S3Exception(Exception):
    """An S3 operation failed."""

    def __init__(self, message, uri=None, code=None):
        super().__init__(message)
        self.uri = uri
        self.code = code


class S3FileNotFoundError(S3Exception, FileNotFoundError):
    """The key or bucket does not exist (NoSuchKey, NoSuchBucket, 404)."""


class S3PermissionError(S3Exception, PermissionError):
    """The credentials were refused (AccessDenied, SignatureDoesNotMatch, InvalidAccessKeyId)."""
