"""S3MapDataset: a map-style dataset (len + random access) over S3 objects, one object per item.

The prefix is listed once, when the dataset is created (progress is logged for large listings),
and kept as a compact manifest shared by every epoch and every DataLoader worker. Item i is
transform(S3Reader of object i); with shuffle=True the items are a seeded permutation of the
listing that changes with set_epoch(). Picklable (spawned workers get the settings and the
manifest, never a live client).
"""

from typing import Any, Callable, Iterable, Optional, Union

import torch.utils.data

from ._client import S3Client
from ._config import S3ClientConfig
from ._manifest import Manifest
from ._sharding import epoch_order
from .s3reader import S3Reader, S3ReaderConstructor


def identity(reader: Any) -> Any:
    return reader


class S3MapDataset(torch.utils.data.Dataset):
    def __init__(self, manifest: Manifest, client: S3Client,
                 transform: Callable[[S3Reader], Any] = identity, reader_constructor=None,
                 shuffle: bool = False, seed: int = 0):
        self._manifest = manifest
        self._client = client
        self._transform = transform
        self._reader_constructor = reader_constructor or S3ReaderConstructor.default()
        self._shuffle = shuffle
        self._seed = seed
        self._epoch = 0
        self._order = None  # this epoch's permutation, built on first use in each process

    @classmethod
    def from_prefix(cls, s3_uri: str, *, region: Optional[str] = None,
                    endpoint: Optional[str] = None,
                    transform: Callable[[S3Reader], Any] = identity,
                    s3client_config: Optional[S3ClientConfig] = None,
                    reader_constructor=None, shuffle: bool = False,
                    seed: int = 0) -> "S3MapDataset":
        """Every object under the s3:// prefix (listed now, once)."""
        client = S3Client(region, endpoint, s3client_config)
        return cls(Manifest.from_prefix(client, s3_uri), client, transform, reader_constructor,
                   shuffle, seed)

    @classmethod
    def from_objects(cls, object_uris: Union[str, Iterable[str]], *,
                     region: Optional[str] = None, endpoint: Optional[str] = None,
                     transform: Callable[[S3Reader], Any] = identity,
                     s3client_config: Optional[S3ClientConfig] = None,
                     reader_constructor=None, shuffle: bool = False,
                     seed: int = 0) -> "S3MapDataset":
        """The given s3:// object URIs, in this order (no listing)."""
        return cls(Manifest.from_objects(object_uris), S3Client(region, endpoint, s3client_config),
                   transform, reader_constructor, shuffle, seed)

    @property
    def manifest(self) -> Manifest:
        return self._manifest

    def set_epoch(self, epoch: int) -> None:
        """Selects the epoch's permutation (with shuffle=True)."""
        if epoch != self._epoch:
            self._epoch = epoch
            self._order = None

    def __len__(self) -> int:
        return len(self._manifest)

    def __getitem__(self, index: int) -> Any:
        count = len(self._manifest)
        if index < 0:
            index += count
        if not 0 <= index < count:
            raise IndexError(f"index {index} out of range for a dataset of {count} objects")
        if self._shuffle:
            if self._order is None:
                self._order = epoch_order(count, True, self._seed, self._epoch)
            index = int(self._order[index])
        reader = self._reader_constructor(self._client, self._manifest[index])
        return self._transform(reader)

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_order"] = None
        return state
