"""S3Writer: a write-only file object (io.BufferedIOBase) streaming to one S3 object as a
multipart upload whose parts go up in parallel while the caller keeps writing; usable by
torch.save and anything else that writes a binary file.

The object appears only when close() (or a `with` block) completes. If the block raises, or the
writer is garbage-collected without close(), the upload is aborted and no object is created —
a checkpoint is never left half-written under its name.

Small writes (torch.save issues many) are gathered into a buffer before crossing into the native
layer; large ones go straight through. Not thread-safe (one thread each), like any file object.
"""

import io

from ._client import S3Client
from ._uri import s3_uri

_GATHER_LIMIT = 256 * 1024  # writes below this size are gathered
_GATHER_FLUSH = 4 * 1024 * 1024  # the gathered bytes go out once they reach this


class S3Writer(io.BufferedIOBase):
    def __init__(self, client: S3Client, bucket: str, key: str):
        super().__init__()
        self.bucket = bucket
        self.key = key
        self._native = client.native.open_writer(bucket, key)
        self._pending = bytearray()
        self._position = 0
        self._finished = False
        self.etag = None  # set by close()

    @property
    def uri(self) -> str:
        return s3_uri(self.bucket, self.key)

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._position

    def write(self, data) -> int:
        if self.closed or self._finished:
            raise ValueError(f"write to a closed writer of {self.uri}")
        with memoryview(data) as view:
            count = view.nbytes
            if count < _GATHER_LIMIT:
                self._pending += view.cast("B") if view.format != "B" else view
                if len(self._pending) >= _GATHER_FLUSH:
                    self._send_pending()
            else:
                self._send_pending()
                self._native.write(view)
        self._position += count
        return count

    def flush(self) -> None:
        """No-op: parts are uploaded as they fill; the object appears at close()."""

    def close(self) -> None:
        """Uploads what is left and completes the upload; the object exists afterwards."""
        if self._finished:
            return
        try:
            self._send_pending()
            self.etag = self._native.close()
        except BaseException:
            self._abort()
            raise
        finally:
            self._finished = True
            super().close()

    def abort(self) -> None:
        """Abandons the upload: no object is created (an existing one is left untouched)."""
        if not self._finished:
            self._abort()
            self._finished = True
            super().close()

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.abort()
        else:
            self.close()
        return False

    def __del__(self):
        # io.IOBase's finalizer would close() — committing a partial object. Abort instead.
        if not getattr(self, "_finished", True):
            self._abort()
            self._finished = True

    def _send_pending(self) -> None:
        if self._pending:
            self._native.write(self._pending)
            self._pending = bytearray()

    def _abort(self) -> None:
        try:
            self._native.abort()
        finally:
            self._pending = bytearray()
