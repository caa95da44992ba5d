"""S3Reader: a read-only, seekable file object (io.BufferedIOBase) over one S3 object, usable
wherever Python expects a binary file: torch.load, PIL.Image.open, numpy.load, tarfile, zipfile.

Two modes, as in s3torchconnector (choose with S3ReaderConstructor):

- sequential (default): the object is read front to back and kept in memory, so seeking backwards
  is free. An object up to part_size is one checksum-verified GET on first access; a larger one is
  streamed (the client prefetches the next parts), or, when the whole object is wanted at once
  (read() from the start, a seek to the end, S3Checkpoint), fetched as parallel ranged GETs
  straight into its final buffer.
- range-based: every read is a ranged GET pinned to the object's ETag (If-Match); reads smaller
  than buffer_size go through a buffer of that size, larger ones — and all reads when
  buffer_size=0 — land directly in the caller's memory (readinto: no intermediate copy). For
  large objects read sparsely.

A reader is not thread-safe (one thread each), like any file object.
"""

import io
from typing import Optional

from .._errors import S3Exception
from ._client import ObjectEntry, S3Client
from ._uri import s3_uri

DEFAULT_BUFFER_SIZE = 8 * 1024 * 1024
_STREAM_CHUNK = 1024 * 1024  # bytes pulled from the stream per refill, at least
_EVERYTHING = 1 << 62


class S3Reader(io.BufferedIOBase):
    """Common part of the readers: position, size, seek/tell and the file-object protocol."""

    def __init__(self, client: S3Client, entry: ObjectEntry):
        super().__init__()
        self._client = client
        self._entry = entry
        self._pos = 0

    @property
    def bucket(self) -> str:
        return self._entry.bucket

    @property
    def key(self) -> str:
        return self._entry.key

    @property
    def uri(self) -> str:
        return s3_uri(self._entry.bucket, self._entry.key)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def tell(self) -> int:
        self._check_open()
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._check_open()
        if whence == io.SEEK_SET:
            position = offset
        elif whence == io.SEEK_CUR:
            position = self._pos + offset
        elif whence == io.SEEK_END:
            position = self._size() + offset
        else:
            raise ValueError(f"invalid whence {whence!r} seeking in {self.uri}")
        if position < 0:
            raise ValueError(f"negative seek position {position} in {self.uri}")
        self._pos = position
        return position

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def readinto1(self, buffer) -> int:
        return self.readinto(buffer)

    def _size(self) -> int:
        """The object's size, with one HEAD when neither the listing nor a GET said it."""
        if self._entry.size is None:
            self._head()
        return self._entry.size

    def _head(self) -> None:
        """Learns size and ETag from a HEAD (an ETag already known must still match)."""
        head = self._client.head_object(self._entry.bucket, self._entry.key)
        if self._entry.etag is not None and head.etag != self._entry.etag:
            raise S3Exception(f"{self.uri} changed while being read (ETag {head.etag}, "
                              f"expected {self._entry.etag})", uri=self.uri,
                              code="PreconditionFailed")
        self._entry = head

    def _check_open(self):
        if self.closed:
            raise ValueError(f"I/O operation on a closed reader of {self.uri}")

    def __repr__(self):
        return f"{type(self).__name__}({self.uri!r})"


class SequentialS3Reader(S3Reader):
    """Reads front to back and keeps what it read (see the module docstring).

    data: the whole object when already fetched (prefetching datasets hand it over).
    whole_object: fetch everything, in parallel, on first access (checkpoints).
    """

    def __init__(self, client: S3Client, entry: ObjectEntry, data=None,
                 whole_object: bool = False):
        super().__init__(client, entry)
        self._whole_object = whole_object
        self._stream = None
        self._data = data
        self._filled = 0 if data is None else len(data)
        self._complete = data is not None
        if data is not None and entry.size is None:
            self._entry = entry._replace(size=len(data))

    def read(self, size: Optional[int] = -1) -> bytes:
        self._check_open()
        if size is None or size < 0:
            self._fill_to(_EVERYTHING)
            end = self._filled
            if self._pos == 0 and end > 0 and isinstance(self._data, bytes):
                self._pos = end
                return self._data  # the whole object, as fetched: no copy
        else:
            end = self._pos + size
            self._fill_to(end)
            end = min(end, self._filled)
        if end <= self._pos:
            return b""
        with memoryview(self._data) as view:
            out = bytes(view[self._pos:end])
        self._pos = end
        return out

    def readinto(self, buffer) -> int:
        self._check_open()
        with memoryview(buffer) as raw, raw.cast("B") as dest:
            end = self._pos + len(dest)
            self._fill_to(end)
            end = min(end, self._filled)
            count = max(0, end - self._pos)
            if count:
                with memoryview(self._data) as view:
                    dest[:count] = view[self._pos:end]
        self._pos += count
        return count

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        self._data = None
        super().close()

    def _fill_to(self, end: int) -> None:
        """Makes bytes [0, end) available (fewer at the end of the object)."""
        if self._complete or end <= self._filled:
            return
        size = self._entry.size
        if self._filled == 0 and self._stream is None and (
                self._whole_object or size is None and end >= _EVERYTHING
                or size is not None and (end >= size or size <= self._client.part_size)):
            if self._whole_object and size is None:
                self._size()  # a HEAD, so the parallel path knows the size and ETag
            self._data = self._client.fetch(self._entry)
            self._filled = len(self._data)
            self._complete = True
            if self._entry.size is None:
                self._entry = self._entry._replace(size=self._filled)
            return
        if self._stream is None:
            self._stream = self._client.native.open_reader(
                self._entry.bucket, self._entry.key, if_match=self._entry.etag or "")
            info = self._stream.info
            self._entry = self._entry._replace(size=info.size, etag=info.etag)
            self._data = bytearray(info.size)
        size = self._entry.size
        target = min(size, max(end, self._filled + _STREAM_CHUNK))
        if target > self._filled:
            with memoryview(self._data) as view:
                got = self._stream.readinto(view[self._filled:target])
            if got < target - self._filled:
                raise S3Exception(f"GetObject {self.uri}: the object ended at byte "
                                  f"{self._filled + got}, before its size {size}", uri=self.uri,
                                  code="DataLoss")
            self._filled = target
        if self._filled >= size:
            self._complete = True
            self._stream.close()
            self._stream = None


class RangedS3Reader(S3Reader):
    """Each read is a ranged GET (see the module docstring); buffer_size=0 disables buffering."""

    def __init__(self, client: S3Client, entry: ObjectEntry,
                 buffer_size: int = DEFAULT_BUFFER_SIZE):
        super().__init__(client, entry)
        if buffer_size < 0:
            raise ValueError(f"buffer_size must be >= 0, not {buffer_size}")
        self._buffer_size = buffer_size
        self._buffer = b""
        self._buffer_start = 0

    def read(self, size: Optional[int] = -1) -> bytes:
        self._check_open()
        total = self._size()
        if size is None or size < 0:
            size = total - self._pos
        count = min(size, total - self._pos)
        if count <= 0:
            return b""
        if not self._buffer_covers(self._pos) and (self._buffer_size == 0
                                                   or count >= self._buffer_size):
            data = self._get(self._pos, count)
            self._pos += count
            return data
        data = bytearray(count)
        self.readinto(data)
        return bytes(data)

    def readinto(self, buffer) -> int:
        self._check_open()
        total = self._size()
        with memoryview(buffer) as raw, raw.cast("B") as dest:
            count = max(0, min(len(dest), total - self._pos))
            done = 0
            while done < count:
                position = self._pos + done
                want = count - done
                if self._buffer_covers(position):
                    offset = position - self._buffer_start
                    n = min(want, len(self._buffer) - offset)
                    dest[done:done + n] = self._buffer[offset:offset + n]
                elif self._buffer_size == 0 or want >= self._buffer_size:
                    n = self._client.native.readinto_range(
                        self.bucket, self.key, position, dest[done:count],
                        if_match=self._entry.etag)
                    self._check_length(position, want, n)
                else:
                    n = min(self._buffer_size, total - position)
                    self._buffer = self._get(position, n)
                    self._buffer_start = position
                    continue
                done += n
        self._pos += count
        return count

    def close(self) -> None:
        self._buffer = b""
        super().close()

    def _size(self) -> int:
        # Every ranged GET is pinned to the ETag, so a replaced object fails instead of mixing.
        if self._entry.size is None or self._entry.etag is None:
            self._head()
        return self._entry.size

    def _buffer_covers(self, position: int) -> bool:
        return self._buffer_start <= position < self._buffer_start + len(self._buffer)

    def _get(self, position: int, count: int) -> bytes:
        data = self._client.native.get_range(self.bucket, self.key, position, count,
                                             if_match=self._entry.etag)
        self._check_length(position, count, len(data))
        return data

    def _check_length(self, position: int, wanted: int, got: int) -> None:
        if got != wanted:
            raise S3Exception(f"GetObject {self.uri}: bytes {position}-{position + wanted - 1} "
                              f"returned {got} bytes (the object is shorter than "
                              f"{self._entry.size} bytes)", uri=self.uri, code="DataLoss")


class _SequentialConstructor:
    reader_type = "sequential"
    prefetchable = True  # datasets may fetch whole objects ahead for it

    def __call__(self, client: S3Client, entry: ObjectEntry, data=None) -> S3Reader:
        return SequentialS3Reader(client, entry, data=data)


class _RangedConstructor:
    reader_type = "range_based"
    prefetchable = False

    def __init__(self, buffer_size: int):
        self.buffer_size = buffer_size

    def __call__(self, client: S3Client, entry: ObjectEntry, data=None) -> S3Reader:
        return RangedS3Reader(client, entry, buffer_size=self.buffer_size)


class S3ReaderConstructor:
    """Chooses the reader mode (same factory names as s3torchconnector)."""

    @staticmethod
    def sequential() -> _SequentialConstructor:
        return _SequentialConstructor()

    @staticmethod
    def range_based(buffer_size: Optional[int] = None) -> _RangedConstructor:
        return _RangedConstructor(DEFAULT_BUFFER_SIZE if buffer_size is None else buffer_size)

    @staticmethod
    def default() -> _SequentialConstructor:
        return S3ReaderConstructor.sequential()

    @staticmethod
    def get_reader_type_string(constructor) -> str:
        return getattr(constructor or S3ReaderConstructor.default(), "reader_type", "custom")
