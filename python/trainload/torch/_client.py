"""S3Client: the native trainload client, created lazily once per process.

The native client owns threads, and threads do not survive fork(). DataLoader workers are forked
(or spawned) copies of the main process, so this wrapper keeps only the settings when pickled and
builds a native client in each process on first use, recording the pid: a forked child that
inherited a parent's client builds its own (the inherited one is leaked by the native layer,
never joined or used). Thread-safe: prefetch threads share one native client per process.
"""

import os
import threading
from typing import Iterator, NamedTuple, Optional

from .. import _trainload
from .._errors import S3Exception
from ._config import S3ClientConfig


class ObjectEntry(NamedTuple):
    """One object of a dataset: size and etag are None when not known yet (from_objects)."""
    bucket: str
    key: str
    size: Optional[int] = None
    etag: Optional[str] = None


class S3Client:
    """Settings plus a per-process native client.

    region / endpoint: None resolves them as the AWS SDKs do (AWS_REGION, AWS_ENDPOINT_URL_S3,
    the profile, ...); credentials always come from the standard chain (environment, profile).
    """

    def __init__(self, region: Optional[str] = None, endpoint: Optional[str] = None,
                 s3client_config: Optional[S3ClientConfig] = None):
        self.region = region
        self.endpoint = endpoint
        self.s3client_config = s3client_config or S3ClientConfig()
        self._native = None
        self._pid = None
        self._lock = threading.Lock()

    def __getstate__(self):
        return {"region": self.region, "endpoint": self.endpoint,
                "s3client_config": self.s3client_config}

    def __setstate__(self, state):
        self.__init__(**state)

    @property
    def native(self) -> "_trainload.Client":
        """This process's native client, created on first use."""
        pid = os.getpid()
        native = self._native
        if native is not None and self._pid == pid:
            return native
        if self._pid != pid:
            # A lock inherited through fork may be held by a thread that does not exist here.
            self._lock = threading.Lock()
        with self._lock:
            if self._native is None or self._pid != pid:
                config = self.s3client_config
                self._native = _trainload.Client(
                    endpoint=self.endpoint or "", region=self.region or "",
                    profile=config.profile or "", anonymous=config.unsigned,
                    force_path_style=config.force_path_style,
                    throughput_target_gbps=config.throughput_target_gbps,
                    part_size=config.part_size, max_attempts=config.max_attempts)
                self._pid = pid
            return self._native

    @property
    def part_size(self) -> int:
        return self.s3client_config.part_size

    def head_object(self, bucket: str, key: str) -> ObjectEntry:
        info = self.native.head(bucket, key)
        return ObjectEntry(bucket, key, info.size, info.etag)

    def get_object(self, bucket: str, key: str, *, object_info: Optional[ObjectEntry] = None,
                   reader_constructor=None):
        """An S3Reader of the object (sequential unless `reader_constructor` says otherwise)."""
        from .s3reader import S3ReaderConstructor
        constructor = reader_constructor or S3ReaderConstructor.default()
        entry = object_info or ObjectEntry(bucket, key)
        return constructor(self, entry)

    def put_object(self, bucket: str, key: str):
        """An S3Writer streaming to the object (multipart); the object appears at close()."""
        from .s3writer import S3Writer
        return S3Writer(self, bucket, key)

    def delete_object(self, bucket: str, key: str) -> None:
        self.native.delete(bucket, key)

    def list_objects(self, bucket: str, prefix: str = "") -> Iterator[ObjectEntry]:
        """Every object under `prefix`, page by page, in key order."""
        token = ""
        while True:
            objects, _, token = self.native.list_page(bucket, prefix, token)
            for key, size, etag in objects:
                yield ObjectEntry(bucket, key, size, etag)
            if not token:
                return

    def fetch(self, entry: ObjectEntry) -> bytes:
        """The whole object in memory, by the fastest route for its size: one verified GET when
        small or of unknown size, else parallel ranged GETs into one buffer, pinned to the ETag.
        """
        native = self.native
        if entry.size is None or entry.size <= self.part_size:
            data = native.get(entry.bucket, entry.key, if_match=entry.etag or "", size=entry.size)
            if entry.size is not None and len(data) != entry.size:
                raise S3Exception(
                    f"GetObject s3://{entry.bucket}/{entry.key}: got {len(data)} bytes, the "
                    f"listing said {entry.size} (the object changed)",
                    uri=f"s3://{entry.bucket}/{entry.key}", code="SizeMismatch")
            return data
        return native.get_parallel(entry.bucket, entry.key, entry.size, if_match=entry.etag or "")
