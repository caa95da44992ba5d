"""Manifest: the objects of a dataset, listed once and kept in compact arrays.

A listing of millions of keys held as Python objects costs ~150 bytes each and is copied page by
page into every forked DataLoader worker as reference counts change (s3torchconnector issue #89).
Here keys live in one UTF-8 blob with an offsets array, sizes and ETags in arrays too, so a
manifest is a handful of Python objects whatever its length, pickles quickly for spawned workers,
and is shared copy-on-write by forked ones. Read-only once built.
"""

import hashlib
import logging
import time
from array import array
from typing import Iterable, List, Optional

from ._client import ObjectEntry, S3Client
from ._uri import parse_s3_uri, s3_uri

logger = logging.getLogger("trainload.torch")

_FIRST_LOG_SECONDS = 5.0  # a listing slower than this reports progress
_LOG_EVERY_SECONDS = 30.0


class Manifest:
    def __init__(self):
        self._buckets: List[str] = []
        self._bucket_index = {}
        self._bucket_of = array("I")
        self._keys = bytearray()
        self._key_ends = array("Q")
        self._sizes = array("q")  # -1: unknown
        self._etags = bytearray()
        self._etag_ends = array("Q")

    def append(self, bucket: str, key: str, size: Optional[int] = None,
               etag: Optional[str] = None) -> None:
        index = self._bucket_index.get(bucket)
        if index is None:
            index = self._bucket_index[bucket] = len(self._buckets)
            self._buckets.append(bucket)
        self._bucket_of.append(index)
        self._keys += key.encode("utf-8", "surrogatepass")
        self._key_ends.append(len(self._keys))
        self._sizes.append(-1 if size is None else size)
        self._etags += (etag or "").encode("ascii")
        self._etag_ends.append(len(self._etags))

    def __len__(self) -> int:
        return len(self._key_ends)

    def __getitem__(self, index: int) -> ObjectEntry:
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"manifest index {index} out of range (0..{len(self) - 1})")
        start = self._key_ends[index - 1] if index else 0
        key = self._keys[start:self._key_ends[index]].decode("utf-8", "surrogatepass")
        etag_start = self._etag_ends[index - 1] if index else 0
        etag = self._etags[etag_start:self._etag_ends[index]].decode("ascii") or None
        size = self._sizes[index]
        return ObjectEntry(self._buckets[self._bucket_of[index]], key,
                           None if size < 0 else size, etag)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def fingerprint(self) -> str:
        """Identifies the listing (count and a digest of the keys): resume state carries it to
        check that it continues the same list of objects."""
        digest = hashlib.blake2b(digest_size=8)
        for bucket in self._buckets:
            digest.update(bucket.encode() + b"\0")
        digest.update(self._bucket_of.tobytes())
        digest.update(self._keys)
        digest.update(self._key_ends.tobytes())
        return f"{len(self)}:{digest.hexdigest()}"

    @classmethod
    def from_prefix(cls, client: S3Client, uri: str) -> "Manifest":
        """Lists every object under the s3:// prefix once, logging progress when it is slow."""
        bucket, prefix = parse_s3_uri(uri)
        manifest = cls()
        started = time.monotonic()
        next_log = started + _FIRST_LOG_SECONDS
        token = ""
        native = client.native
        while True:
            objects, _, token = native.list_page(bucket, prefix, token)
            for key, size, etag in objects:
                manifest.append(bucket, key, size, etag)
            now = time.monotonic()
            if token and now >= next_log:
                # Warning level, so that it shows without any logging configuration: a long
                # silent listing looks like a hang (s3torchconnector issue #167).
                logger.warning("listing %s: %d objects so far (%.0f s); this is done once per "
                               "dataset", uri, len(manifest), now - started)
                next_log = now + _LOG_EVERY_SECONDS
            if not token:
                break
        elapsed = time.monotonic() - started
        log = logger.warning if elapsed >= _FIRST_LOG_SECONDS else logger.debug
        log("listed %s: %d objects in %.1f s (kept as the dataset's manifest)", uri,
            len(manifest), elapsed)
        return manifest

    @classmethod
    def from_objects(cls, object_uris: Iterable[str]) -> "Manifest":
        """The given s3:// URIs in order; sizes and ETags are learnt when the objects are read."""
        if isinstance(object_uris, str):
            object_uris = [object_uris]
        manifest = cls()
        for uri in object_uris:
            bucket, key = parse_s3_uri(uri)
            if not key:
                raise ValueError(f"{uri!r} names a bucket, not an object")
            manifest.append(bucket, key)
        return manifest

    def uri(self, index: int) -> str:
        entry = self[index]
        return s3_uri(entry.bucket, entry.key)
